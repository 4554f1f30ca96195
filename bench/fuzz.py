"""``make fuzz``: the long fuzz run of issue 11 §1 (default 10,000 cases), counts printed by outcome.

Each case is one valid request drawn from the spec's ``CreateChatCompletionRequest`` plus one near-valid
mutation of it (so 10,000 cases send 20,000 requests) against an in-process server with the bundled
fixtures. Unlike the quick profile in ``tests/test_fuzz.py``, a failing case does not stop the run: it is
counted under ``FAIL …`` and the first few are printed in full, so one run shows every kind of failure.
Exit status 1 if any case failed or the server logged an error.

    python bench/fuzz.py [--cases N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from fuzz_strategies import judge, mutations, requests  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mockllm.config import Settings  # noqa: E402
from mockllm.server import MockServer  # noqa: E402


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()

    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    started = time.monotonic()

    with MockServer(Settings(port=0, fixtures=(str(ROOT / "fixtures"),), seed=args.seed % 1000)) as srv:
        client = httpx.Client(base_url=srv.base_url, timeout=30)

        @seed(args.seed)
        @settings(
            max_examples=args.cases,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def case(data: st.DataObject) -> None:
            body = data.draw(requests())
            mutation = data.draw(mutations(body))
            sent = body
            try:
                base = judge(client, body)
                counts["valid " + base] += 1
                sent = mutation.apply(body)
                counts[f"{mutation.kind} " + judge(client, sent, mutation, named=base.startswith("200"))] += 1
            except (AssertionError, httpx.HTTPError, ValueError) as exc:
                counts[f"FAIL {type(exc).__name__}"] += 1
                if len(failures) < 5:
                    shown = sent[:800] if isinstance(sent, bytes) else json.dumps(sent)[:800]
                    failures.append(f"{exc}\n  request: {shown!r}")
            done = counts.total()
            if done % 2000 == 0:
                rate = done / 2 / (time.monotonic() - started)
                print(f"  … {done // 2} cases, {rate:.0f} cases/s", file=sys.stderr, flush=True)

        case()
        client.close()

    elapsed = time.monotonic() - started
    logging.getLogger().removeHandler(errors)
    cases = sum(v for k, v in counts.items() if k.startswith("valid ")) or 1
    print(f"\nmockllm fuzz: {cases} cases ({counts.total()} requests) in {elapsed:.0f} s, seed {args.seed}")
    print(f"{'outcome':<58} {'count':>7}")
    for outcome, count in sorted(counts.items(), key=lambda kv: (kv[0].split()[0], -kv[1])):
        print(f"{outcome:<58} {count:>7}")
    by_status = Counter(k.split()[1] if not k.startswith("FAIL") else "FAIL" for k in counts.elements())
    print("by status: " + ", ".join(f"{k}={v}" for k, v in sorted(by_status.items())))
    print(f"server errors logged: {len(errors.records)}")
    for failure in failures:
        print("\nFAILED CASE:", failure)
    for record in errors.records[:3]:
        print("\nSERVER ERROR:", record[:2000])
    return 1 if failures or errors.records or any(k.startswith("FAIL") for k in counts) else 0


if __name__ == "__main__":
    sys.exit(main())
