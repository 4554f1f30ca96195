"""``make soak DURATION=30m``: mixed traffic at a fixed rate against a real ``mockllm serve`` process,
sampling its RSS, open file descriptors and asyncio task count, then printing the series and the drift
(issue 11 §6).

Traffic (weights in ``MIX``): plain answers, streams, ``n>1``, image inputs, scripted faults through the
``x-mockllm-fault`` header (errors, cut and broken streams, resets), and clients that hang up mid-stream.
Requests start on a fixed schedule (``--rate`` per second) whatever the answers do, with at most
``--max-in-flight`` open at once (beyond that a tick is counted as skipped, never queued).

Goals checked at the end (exit status 1 if one is missed):

* RSS after warm-up stays within 10% of its value at the end of warm-up (the journal and other bounded
  state fill up during warm-up, so growth after it would be a leak);
* tasks and descriptors, once traffic stops and a few seconds pass, are back to the idle baseline taken
  before traffic started.

    python bench/soak.py --duration 30m [--rate 25] [--sample 5] [--warmup 5m]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parents[1]
MIX = {"plain": 30, "stream": 25, "n": 10, "image": 10, "fault": 15, "disconnect": 10}
FAULTS = ["rate_limit", "server_error", "disconnect", "stream_error", "malformed_chunk", "truncate", "reset"]
SLOW_FIXTURE = """
fixtures:
  - name: soak-slow
    match: {user: soak slow stream}
    reply:
      content: "{content}"
      pacing: {ttft_ms: 20, tokens_per_second: 400}
"""


def duration(text: str) -> float:
    """``90``, ``90s``, ``2m``, ``1h30m`` → seconds."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"not a duration: {text} (try 90s, 2m, 30m, 1h)")
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts)


def tiny_png() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 90)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@dataclass
class Sample:
    t: float
    rss: int
    fds: int
    tasks: int
    connections: int
    streams: int
    sent: int


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.counts: Counter[str] = Counter()
        self.in_flight = 0
        self.rng = random.Random(args.seed)
        self.image = tiny_png()
        self.samples: list[Sample] = []
        self.base = ""
        self.root = ""

    # ----- the server ------------------------------------------------------------------------------

    def start(self, folder: Path) -> subprocess.Popen[str]:
        (folder / "slow.yaml").write_text(SLOW_FIXTURE.replace("{content}", "tock " * 300), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "mockllm",
            "serve",
            "--port",
            "0",
            "--fixtures",
            str(ROOT / "fixtures"),
            "--fixtures",
            str(folder),
            *self.args.server_args,
        ]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://\S+)/v1", line)
        if not match:
            proc.kill()
            raise SystemExit(f"soak: server did not start: {line!r}")
        self.root = match.group(1)
        self.base = self.root + "/v1"
        return proc

    # ----- traffic ---------------------------------------------------------------------------------

    def request(self) -> tuple[str, dict[str, object], dict[str, str]]:
        kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        words = " ".join(self.rng.choice(["alpha", "beta", "gamma", "delta", "soak"]) for _ in range(6))
        body: dict[str, object] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": words}]}
        headers: dict[str, str] = {"Authorization": f"Bearer sk-soak-{self.rng.randrange(50):04d}"}
        if kind == "stream":
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        elif kind == "n":
            body["n"] = self.rng.randint(2, 4)
            body["stream"] = self.rng.random() < 0.5
        elif kind == "image":
            body["messages"] = [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is in this image?"},
                        {"type": "image_url", "image_url": {"url": self.image}},
                    ],
                }
            ]
        elif kind == "fault":
            fault = self.rng.choice(FAULTS)
            headers["x-mockllm-fault"] = fault
            body["stream"] = fault in ("disconnect", "stream_error", "malformed_chunk", "truncate") or (
                self.rng.random() < 0.3
            )
            kind = f"fault:{fault}"
        elif kind == "disconnect":
            body["messages"] = [{"role": "user", "content": "soak slow stream"}]
            body["stream"] = True
        return kind, body, headers

    async def one(self, session: aiohttp.ClientSession) -> None:
        kind, body, headers = self.request()
        self.in_flight += 1
        try:
            async with session.post(self.base + "/chat/completions", json=body, headers=headers) as response:
                if kind == "disconnect":
                    await response.content.readany()  # first bytes, then hang up mid-stream
                    response.close()
                    self.counts[f"{kind} {response.status}"] += 1
                    return
                await response.read()
                self.counts[f"{kind} {response.status}"] += 1
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as exc:
            self.counts[f"{kind} {type(exc).__name__}"] += 1
        finally:
            self.in_flight -= 1

    async def drive(self, session: aiohttp.ClientSession, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.args.rate
        due = loop.time()
        end = due + seconds
        tasks: set[asyncio.Task[None]] = set()
        while due < end:
            if self.in_flight >= self.args.max_in_flight:
                self.counts["skipped (too many in flight)"] += 1
            else:
                task = asyncio.create_task(self.one(session))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            due += interval
            await asyncio.sleep(max(0.0, due - loop.time()))
        if tasks:
            await asyncio.wait(tasks, timeout=60)

    # ----- sampling --------------------------------------------------------------------------------

    async def sample(self, session: aiohttp.ClientSession, proc: psutil.Process, started: float) -> Sample:
        async with session.get(self.root + "/_mockllm/stats") as response:
            stats = await response.json()
        s = Sample(
            t=time.monotonic() - started,
            rss=proc.memory_info().rss,
            fds=proc.num_fds(),
            tasks=stats["tasks"],
            connections=stats["connections"],
            streams=stats["streams"],
            sent=self.counts.total(),
        )
        self.samples.append(s)
        print(
            f"{s.t:8.0f} {s.rss / 2**20:9.1f} {s.fds:6d} {s.tasks:6d} {s.connections:6d} {s.streams:6d} {s.sent:9d}",
            flush=True,
        )
        return s

    async def sampler(self, proc: psutil.Process, started: float, stop: asyncio.Event) -> None:
        async with aiohttp.ClientSession() as session:
            while not stop.is_set():
                await self.sample(session, proc, started)
                try:
                    await asyncio.wait_for(stop.wait(), self.args.sample)
                except TimeoutError:
                    pass

    async def run(self, proc: psutil.Process) -> int:
        args = self.args
        started = time.monotonic()
        print(f"soak: {args.duration:.0f} s at {args.rate:g} req/s against {self.base} (pid {proc.pid})")
        print(f"{'t (s)':>8} {'RSS (MB)':>9} {'fds':>6} {'tasks':>6} {'conns':>6} {'strms':>6} {'requests':>9}")
        async with aiohttp.ClientSession() as probe:
            await asyncio.sleep(1.0)
            idle = await self.sample(probe, proc, started)
        stop = asyncio.Event()
        sampler = asyncio.create_task(self.sampler(proc, started, stop))
        connector = aiohttp.TCPConnector(limit=args.max_in_flight)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await self.drive(session, args.duration)
        stop.set()
        await sampler
        await asyncio.sleep(args.settle)  # let keep-alive and lingering closes finish
        async with aiohttp.ClientSession() as probe:
            end = await self.sample(probe, proc, started)
        return self.report(idle, end)

    def report(self, idle: Sample, end: Sample) -> int:
        args = self.args
        warm = [s for s in self.samples if s.t >= args.warmup and s is not end]
        print("\noutcomes:")
        for outcome, count in sorted(self.counts.items()):
            print(f"  {outcome:<40} {count:>8}")
        ok = True
        if len(warm) >= 2:
            baseline = warm[0].rss
            peak = max(s.rss for s in warm)
            last = warm[-1].rss
            drift = (peak - baseline) / baseline * 100
            print(
                f"\nRSS after warm-up ({warm[0].t:.0f} s): {baseline / 2**20:.1f} MB; peak {peak / 2**20:.1f} MB "
                f"({drift:+.1f}%), last under load {last / 2**20:.1f} MB ({(last - baseline) / baseline * 100:+.1f}%)"
            )
            ok &= drift <= 10.0
        else:
            print("\nRSS: run too short for a post-warm-up series (raise --duration or lower --warmup)")
        print(f"tasks: idle {idle.tasks} -> end {end.tasks} ({end.tasks - idle.tasks:+d})")
        print(f"file descriptors: idle {idle.fds} -> end {end.fds} ({end.fds - idle.fds:+d})")
        print(f"connections at end: {end.connections}, streams at end: {end.streams}")
        ok &= end.tasks <= idle.tasks and end.fds <= idle.fds and end.streams == 0
        print("soak: " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=duration, default=duration(os.environ.get("DURATION", "2m")))
    parser.add_argument("--rate", type=float, default=25.0, help="requests started per second (default 25)")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between samples (default 5)")
    parser.add_argument("--warmup", type=duration, help="default: 40%% of the run, at most 5m")
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before the final sample")
    parser.add_argument("--max-in-flight", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("server_args", nargs="*", help="extra 'mockllm serve' flags (after --)")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = min(300.0, 0.4 * args.duration)
    with tempfile.TemporaryDirectory(prefix="mockllm-soak-") as folder:
        soak = Soak(args)
        server = soak.start(Path(folder))
        try:
            return asyncio.run(soak.run(psutil.Process(server.pid)))
        finally:
            server.terminate()
            try:
                code = server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                code = -9
            print(f"server exit status after SIGTERM: {code}")


if __name__ == "__main__":
    sys.exit(main())
