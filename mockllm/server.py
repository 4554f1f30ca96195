"""An in-process server on its own thread: what tests and the pytest plugin embed.

The server runs its own event loop in a daemon thread, so a plain synchronous test can point the sync
``openai`` client at it, and async tests (any event loop) can too, without sharing a loop with it.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

from aiohttp import web

from .config import Settings
from .core.pipeline import Pipeline
from .http.app import PIPELINE, make_app
from .http.limits import GuardedRunner


class ServerThread:
    """Start with :meth:`start` (or as a context manager); ``base_url`` ends in ``/v1``.

    The low-level engine room: the public, scripted :class:`mockllm.MockServer` and the pytest plugin run
    one of these and hand out a :class:`~mockllm.handle.MockLLM` to talk to it."""

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        base = settings or Settings(port=0)
        if overrides:
            from dataclasses import replace

            base = replace(base, **overrides)
        self.settings = base
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.app: web.Application | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    @property
    def pipeline(self) -> Pipeline:
        assert self.app is not None, "server not started"
        return self.app[PIPELINE]

    def start(self) -> ServerThread:
        ready: Future[int] = Future()
        self._loop = asyncio.new_event_loop()

        async def boot() -> int:
            self.app = make_app(self.settings)
            self._runner = GuardedRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
            await site.start()
            server = site._server  # aiohttp has no public accessor for the bound port
            assert server is not None
            return int(server.sockets[0].getsockname()[1])

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            try:
                ready.set_result(self._loop.run_until_complete(boot()))
            except BaseException as exc:  # surface start-up errors to the caller's thread
                ready.set_exception(exc)
                return
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="mockllm-server", daemon=True)
        self._thread.start()
        self.port = ready.result(timeout=30)
        return self

    def call(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(*args)`` on the server's loop thread and return its result (for state changes)."""
        assert self._loop is not None
        future: Future[Any] = Future()

        def task() -> None:
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(task)
        return future.result(timeout=30)

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


#: The name this class had before ``mockllm.MockServer`` became the public API (the suite still uses it).
MockServer = ServerThread
