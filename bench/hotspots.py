"""CPU profile of mockllm's request path, in process: ``.venv/bin/python bench/hotspots.py [--stream] [-n N]``.

Runs ``Pipeline.handle`` (parse, validate, match, count tokens, generate, shape, render) and then
``Pipeline.record`` (journal, usage ledger) as ``app.chat_completions`` does, N times on the benchmark
request under cProfile, and prints the top functions by own time and by cumulative time. That is what
mockllm adds on top of a bare aiohttp handler; aiohttp's own share (and mockllm's middlewares) are left
out, so for the whole live server use py-spy (``pip install py-spy``; ``py-spy record --pid PID
--format raw`` while ``bench/run.py --only nonstream`` or wrk loads it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from run import NONSTREAM_BODY, STREAM_BODY  # noqa: E402

from mockllm.config import Settings  # noqa: E402
from mockllm.core import tokens  # noqa: E402
from mockllm.core.pipeline import Pipeline  # noqa: E402
from mockllm.http.app import PIPELINE, make_app  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream", action="store_true", help="profile the streamed request (plan building)")
    parser.add_argument("-n", type=int, default=2000, help="requests (default 2000)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    tokens.warm()
    app = make_app(Settings(fixtures=(str(ROOT / "fixtures"),)))
    pipeline: Pipeline = app[PIPELINE]
    body = json.dumps(STREAM_BODY if args.stream else NONSTREAM_BODY).encode()
    headers = {"Content-Type": "application/json"}
    record = getattr(pipeline, "record", None)

    def once() -> int:
        outcome = pipeline.handle(body, headers)
        if record is not None:
            record(outcome, "POST", "/v1/chat/completions", 0.0)
        return outcome.status

    for _ in range(50):  # warm caches and the tokenizers
        assert once() == 200
    started = time.perf_counter()
    for _ in range(args.n):
        once()
    plain = (time.perf_counter() - started) / args.n
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.n):
        once()
    profiler.disable()
    print(
        f"handle + record ({'stream' if args.stream else 'non-stream'}): "
        f"{plain * 1e6:.0f} us a request without the profiler"
    )
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(args.top)
        text = out.getvalue()
        print(text[text.find("   ncalls") :])
    return 0


if __name__ == "__main__":
    sys.exit(main())
