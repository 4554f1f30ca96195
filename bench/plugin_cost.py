"""What a test pays for ``mockllm.client()``: ``python bench/plugin_cost.py [--tests 300]`` (also a section of
``make bench``).

Runs real pytest sessions of N generated tests through the ``mockllm`` fixture; each test scripts a route
and sends one request. Three variants of the same tests:

  per-test   each test calls ``mockllm.client()`` (what users write)
  shared     one client made once for the module (the floor: no per-test client cost)
  sdk        each test builds ``openai.OpenAI(base_url=...)`` itself (what ``client()`` did before it
             shared one HTTP client: a new httpx client and TLS context per test)

Timed from the first test's setup to the last test's teardown (pytest's start-up is the same for all and
left out). The goal: per-test within 1.3x of shared.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

VARIANTS = ("per-test", "shared", "sdk")

CONFTEST = """
import json, os, time
STAMPS = []
def pytest_runtest_setup(item):
    if not STAMPS:
        STAMPS.append(time.perf_counter())
def pytest_sessionfinish(session):
    with open(os.environ["PLUGIN_COST_OUT"], "w") as out:
        json.dump({"seconds": time.perf_counter() - STAMPS[0], "failed": session.testsfailed}, out)
"""

TESTS = """
import openai
import pytest

VARIANT = {variant!r}
SHARED = []


@pytest.mark.parametrize("i", range({count}))
def test_one(mockllm, i):
    mockllm.on(user=f"question {{i}}").reply(f"answer {{i}}")
    if VARIANT == "per-test":
        client = mockllm.client()
    elif VARIANT == "shared":
        if not SHARED:
            SHARED.append(mockllm.client())
        client = SHARED[0]
    else:
        client = openai.OpenAI(base_url=mockllm.base_url, api_key="sk-test", max_retries=0)
    messages = [{{"role": "user", "content": f"question {{i}}"}}]
    out = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert out.choices[0].message.content == f"answer {{i}}"
"""


def run_variant(variant: str, count: int, workdir: Path) -> dict[str, Any]:
    folder = workdir / variant
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / "test_cost.py").write_text(TESTS.format(variant=variant, count=count))
    out = folder / "result.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(folder)],
        cwd=folder,
        env={**__import__("os").environ, "PLUGIN_COST_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"{variant}: pytest failed\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    result = json.loads(out.read_text())
    return {"seconds": result["seconds"], "ms_per_test": result["seconds"] / count * 1000}


def measure(count: int = 300, rounds: int = 1) -> dict[str, Any]:
    """Seconds per variant (the best of ``rounds``, rounds alternating variants) and the ratios."""
    best: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="mockllm-plugin-cost-") as tmp:
        for _ in range(rounds):
            for variant in VARIANTS:
                r = run_variant(variant, count, Path(tmp))
                if variant not in best or r["seconds"] < best[variant]["seconds"]:
                    best[variant] = r
    shared = best["shared"]["seconds"]
    return {
        "tests": count,
        **{variant: best[variant] for variant in VARIANTS},
        "ratio_per_test": best["per-test"]["seconds"] / shared,
        "ratio_sdk": best["sdk"]["seconds"] / shared,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    r = measure(args.tests, args.rounds)
    for variant in VARIANTS:
        print(f"{variant:9s} {r[variant]['seconds']:6.2f} s  {r[variant]['ms_per_test']:6.2f} ms/test")
    print(f"per-test / shared = {r['ratio_per_test']:.2f}x (goal <= 1.3x); sdk / shared = {r['ratio_sdk']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
