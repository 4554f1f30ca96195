"""What the default limits let through: ``python bench/capacity.py [--streams 1000,3000,5000] [--flags ...]``.

Starts ``mockllm serve`` with its **default** ``--max-connections`` / ``--max-streams`` (plus any
``--flags``), opens N connections at once, sends a paced streamed request on each (``--latency
realistic --ttft-ms 200 --tokens-per-second 50``) and reads every stream to its end. Prints, per N: how
many streams completed, how many got a 503, and the server's peak RSS over its idle RSS (so the cost of a
stream at that scale). This is the measurement the defaults in ``mockllm/config.py`` were chosen from.
Load goes to 127.0.0.1 only; each N takes a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402
import run  # noqa: E402

PACING = ["--latency", "realistic", "--ttft-ms", "200", "--tokens-per-second", "50"]


def measure(count: int, flags: list[str], workdir: Path) -> dict[str, Any]:
    cmd = [run.PY, "-m", "mockllm", "serve", "--port", "0", *PACING, *flags]
    with run.running("mockllm", cmd, None, workdir) as server:
        assert run.fetch(server.port, run.NONSTREAM_BODY)[0] == 200  # tokenizers loaded: not part of the load
        idle = server.status("VmRSS")
        server.reset_peak()
        body = json.dumps(run.STREAM_BODY).encode()
        result = asyncio.run(
            load.streams(server.port, run.PATH, body, count, timeout=50 + count * 0.005, preconnect=True)
        )
        peak = server.status("VmHWM")
    statuses: dict[str, int] = {}
    for s in result.streams:
        key = s.status.decode() if s.status else (s.error or "no answer")[:40]
        statuses[key] = statuses.get(key, 0) + 1
    return {
        "streams": count,
        "completed": result.ok,
        "statuses": statuses,
        "peak_streaming": result.peak_streaming,
        "wall_s": round(result.seconds, 2),
        "rss_idle_mb": round(idle / 2**20, 1),
        "rss_peak_mb": round(peak / 2**20, 1),
        "kb_per_stream": round((peak - idle) / 1024 / max(1, result.peak_streaming), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", default="1000,3000,5000", help="comma-separated concurrent stream counts")
    parser.add_argument("--flags", default="", help="extra serve flags, e.g. '--max-streams 500'")
    args = parser.parse_args(argv)
    nofile = run.raise_nofile()
    with tempfile.TemporaryDirectory(prefix="mockllm-capacity-") as tmp:
        for count in (int(n) for n in args.streams.split(",")):
            if count + 256 > nofile:
                print(f"{count:>6} streams: skipped (RLIMIT_NOFILE {nofile})")
                continue
            r = measure(count, args.flags.split(), Path(tmp))
            print(
                f"{count:>6} streams: {r['completed']} complete, statuses {r['statuses']}, peak {r['peak_streaming']} "
                f"streaming, {r['wall_s']} s; RSS idle {r['rss_idle_mb']} MB, peak {r['rss_peak_mb']} MB "
                f"(~{r['kb_per_stream']} KB a stream)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
