"""The generator's word lists are faker's lorem lists, read as data without importing faker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from faker.providers.lorem.en_US import Provider as EnglishLorem
from faker.providers.lorem.zh_CN import Provider as ChineseLorem

from mockllm.core import generate


def test_word_lists_equal_fakers_own() -> None:
    assert generate._EN_WORDS == tuple(EnglishLorem.word_list)
    assert generate._ZH_WORDS == tuple(ChineseLorem.word_list)


def test_starting_the_app_imports_neither_faker_nor_pillow() -> None:
    """Cold start: Faker, Pillow and the schema generator load on first use (or in the warm-up thread)."""
    bundled = str(Path(__file__).resolve().parents[1] / "fixtures")
    code = (
        "import sys; from mockllm.http.app import make_app; from mockllm.config import Settings; "
        f"make_app(Settings(fixtures=({bundled!r},))); "
        "print(sorted(m for m in ('faker', 'PIL', 'mockllm.core.structured') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
