"""Packaging: what ``pip install mockllm`` (not editable) gives, on each Python the project supports, and
how ``make`` picks an interpreter.

The smoke test builds one wheel from the checkout, installs it into a virtual environment of every
interpreter it finds among 3.11, 3.12 and 3.13 (absent ones are skipped), starts ``mockllm serve`` from
a folder outside the checkout and asks the question a bundled fixture answers. To stay fast the
environments are kept in ``build/smoke-venvs/`` (keyed by the dependency list, so a new dependency makes
a new one) and later runs only reinstall the wheel with ``--no-deps``; an environment of the running
interpreter's version borrows this environment's packages instead of downloading them.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "build" / "smoke-venvs"
VERSIONS = ("3.11", "3.12", "3.13")
LISTENING = re.compile(r"mockllm listening on http://127\.0\.0\.1:(\d+)/v1")
PIP_QUIET = ["-q", "--disable-pip-version-check"]


def _runs_as(path: str, version: str) -> bool:
    try:
        script = "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"
        out = subprocess.run([path, "-c", script], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def find_interpreter(version: str) -> str | None:
    """A working ``python3.X``: on PATH, else a pyenv installation (its shims exist but may not run)."""
    candidates = [shutil.which(f"python{version}")]
    if sys.version_info[:2] == tuple(int(p) for p in version.split(".")):
        candidates.insert(0, sys.executable)
    pyenv = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"), reverse=True)
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for candidate in candidates:
        if candidate and Path(candidate).exists() and _runs_as(candidate, version):
            return candidate
    return None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *PIP_QUIET, "--no-deps", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = out.glob("mockllm-*.whl")
    return built


def test_the_wheel_carries_the_bundled_fixtures_and_an_spdx_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    shipped = {n.removeprefix("mockllm/bundled_fixtures/") for n in names if n.startswith("mockllm/bundled_fixtures/")}
    source = {str(p.relative_to(ROOT / "fixtures")) for p in (ROOT / "fixtures").rglob("*.yaml")}
    assert shipped == source and shipped, (shipped, source)
    assert {"mockllm/py.typed", "mockllm/http/static/inspector.html"} <= names
    assert "License-Expression: MIT" in metadata
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "MIT"


def _environment(python: str, version: str) -> Path:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    key = hashlib.sha1(json.dumps([python, project["dependencies"]]).encode()).hexdigest()[:10]
    venv = CACHE / f"{version}-{key}"
    ready = venv / ".deps-installed"
    if ready.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=120)
    if version == f"{sys.version_info[0]}.{sys.version_info[1]}":
        # Same version as this interpreter: borrow this environment's installed dependencies (a plain
        # path in a .pth file, so this environment's editable mockllm is *not* picked up).
        site = venv / "lib" / f"python{version}" / "site-packages"
        (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    ready.touch()
    return venv


def _bin(venv: Path, name: str) -> str:
    return str(venv / "bin" / name)


@pytest.mark.parametrize("version", VERSIONS)
def test_pip_installed_package_serves_the_bundled_fixtures(version: str, wheel: Path, tmp_path: Path) -> None:
    python = find_interpreter(version)
    if python is None:
        pytest.skip(f"no working python{version} on this machine")
    venv = _environment(python, version)
    pip = [_bin(venv, "python"), "-m", "pip", "install", *PIP_QUIET]
    installed = subprocess.run([*pip, "--no-deps", "--force-reinstall", str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    if subprocess.run([*pip[:3], "check"], capture_output=True, text=True).returncode != 0:
        deps = subprocess.run([*pip, str(wheel)], capture_output=True, text=True, timeout=600)  # first run only
        assert deps.returncode == 0, deps.stderr[-3000:]

    # From a folder outside the checkout, so nothing but the installed package can be imported.
    probe = subprocess.run(
        [_bin(venv, "python"), "-c", "import mockllm, mockllm.cli as c; print(mockllm.__file__, c.BUNDLED_FIXTURES)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    location, fixtures = probe.stdout.split()
    assert Path(location).is_relative_to(venv) and Path(fixtures).is_relative_to(venv), probe.stdout

    server = subprocess.Popen(
        [_bin(venv, "mockllm"), "serve", "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = LISTENING.search(line)
        assert match, line + server.stdout.read(2000) if server.poll() is not None else line
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "What is the capital of France?"}]}
        request = urllib.request.Request(
            f"http://127.0.0.1:{match.group(1)}/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert answer["choices"][0]["message"]["content"] == "The capital of France is Paris."
    finally:
        server.terminate()
        server.wait(timeout=30)


# ----- make picks an interpreter -----------------------------------------------------------------------


def _fake_path(tmp_path: Path, pythons: dict[str, str]) -> dict[str, str]:
    """A PATH holding only ``make``'s helpers and the given pythons (name → target or shell script)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "cat", "sha1sum", "cut"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    for name, target in pythons.items():
        if target.startswith("#!"):
            (bin_dir / name).write_text(target)
            (bin_dir / name).chmod(0o755)
        else:
            (bin_dir / name).symlink_to(target)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return {**os.environ, "PATH": str(bin_dir)}


BROKEN_SHIM = "#!/bin/sh\necho 'pyenv: python3.13: command not found' >&2\nexit 127\n"
OLD_PYTHON = "#!/bin/sh\nexit 1\n"  # answers the version check as a Python 3.10 would


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_uses_any_python_of_at_least_3_11(tmp_path: Path) -> None:
    env = _fake_path(tmp_path, {"python3.13": BROKEN_SHIM, "python3": sys.executable})
    plan = subprocess.run(["make", "-n", "install"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert plan.returncode == 0, plan.stderr
    assert "python3 -m venv .venv" in plan.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_below_3_11_is_a_one_line_error(tmp_path: Path) -> None:
    env = _fake_path(tmp_path, {"python3": OLD_PYTHON, "python": OLD_PYTHON})
    done = subprocess.run(["make", "install"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode != 0
    ours = [line for line in done.stderr.splitlines() if not line.startswith("make")]
    assert ours == [
        "mockllm needs Python >= 3.11; tried: python3.13 python3.12 python3.11 python3 python "
        "(set PY=/path/to/python3.11 or newer)"
    ], done.stderr
    assert not (tmp_path / ".venv").exists()
