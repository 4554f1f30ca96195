"""Run an aiohttp application on a socket until SIGINT/SIGTERM: the part ``serve`` and ``record`` share.

Both print one line once the socket accepts connections (tests and scripts wait for it), refuse a port
they cannot bind with a one-line error and exit status 2, and end cleanly with status 0 on a signal.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from aiohttp import web

__all__ = ["listen", "shown_host", "stop_on_signal"]


def shown_host(host: str) -> str:
    """``host`` as it goes in a URL (IPv6 literals in brackets)."""
    return host if ":" not in host else f"[{host}]"


async def listen(runner: web.AppRunner, host: str, port: int, *, backlog: int = 128) -> int | None:
    """Set up ``runner`` and listen; the bound port (``port`` 0 picks a free one), or None after printing
    why the socket could not be opened (the runner is cleaned up then)."""
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=backlog, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        print(f"mockllm: error: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return None
    server: Any = site._server  # aiohttp has no public accessor for the bound port
    return int(server.sockets[0].getsockname()[1]) if server is not None and server.sockets else port


def stop_on_signal() -> asyncio.Event:
    """An event set by the first SIGINT or SIGTERM. Install it *before* announcing the server: a script
    that signals as soon as it reads the ready line must find the handler there, not the default one."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
