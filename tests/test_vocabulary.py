"""Fixture files are checked against the error-preset and fault vocabularies wherever they are loaded.

A typo (``rate_limitt``) must fail ``mockllm check`` and ``mockllm serve`` at once, naming the file,
fixture and field with a suggestion, instead of answering a generic 500 (or nothing) at request time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

MODULE = [sys.executable, "-m", "mockllm"]

CASES = {
    "preset": ("error: {preset: rate_limitt}", "error.preset: unknown error preset 'rate_limitt'", "rate_limit"),
    "fault": ("fault: {kind: disconect}", "fault.kind: unknown fault kind 'disconect'", "disconnect"),
}


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "typo.yaml"
    path.write_text(f'fixtures:\n  - name: typo\n    match: {{user: "x"}}\n    {body}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_check_rejects_unknown_presets_and_faults(tmp_path: Path, case: str) -> None:
    body, message, suggestion = CASES[case]
    path = _write(tmp_path, body)
    done = subprocess.run([*MODULE, "check", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done
    out = done.stdout + done.stderr
    assert f"{path}: fixtures[0] (typo): {message}" in out
    assert f"did you mean '{suggestion}'" in out


@pytest.mark.parametrize("case", list(CASES))
def test_serve_refuses_to_start_with_unknown_presets_and_faults(tmp_path: Path, case: str) -> None:
    body, message, _ = CASES[case]
    path = _write(tmp_path, body)
    done = subprocess.run(
        [*MODULE, "serve", "--port", "0", "--fixtures", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done
    assert done.stdout == ""  # never announced as listening
    (line,) = done.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith("mockllm: error: ") and message in line


def test_serve_help_names_every_profile() -> None:
    done = subprocess.run([*MODULE, "serve", "--help"], capture_output=True, text=True, timeout=60, check=True)
    flat = " ".join(done.stdout.split())
    for name in ("openai", "siliconflow", "opensearch", "tokensmind", "mytokengate"):
        assert name in flat
