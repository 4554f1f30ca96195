"""The vendored schema copies (tests/reference) equal the official spec's, whenever the spec is here."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

EXTRACT = Path(__file__).resolve().parent / "reference" / "extract.py"


def test_vendored_schemas_equal_the_official_spec() -> None:
    spec = importlib.util.spec_from_file_location("extract", EXTRACT)
    assert spec is not None and spec.loader is not None
    extract = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extract)
    if not extract.OFFICIAL.exists():
        pytest.skip(f"{extract.OFFICIAL} is not on this machine; the vendored copy stands alone")
    official = extract.load_official()
    for out, roots in extract.OUTPUTS.items():
        want = json.loads(json.dumps(extract.closure(official, roots), sort_keys=True))
        have = json.loads(out.read_text(encoding="utf-8"))
        assert have == want, f"tests/reference/{out.name} is stale: run tests/reference/extract.py"
