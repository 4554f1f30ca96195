"""``mockllm.MockServer``: the server embedded in any Python program (unittest, a script, a notebook).

    with MockServer(fixtures=["llm-fixtures/"], seed=3) as llm:
        llm.on(user="hi").reply("hello")
        client = llm.client()
        ...
        llm.assert_called_once(user="hi")

The handle it binds is the :class:`~mockllm.handle.MockLLM` the pytest fixture yields: one implementation
behind both. Keyword arguments are the ``serve`` flags' names (``--max-streams`` → ``max_streams``, and
``fixtures``/``api_keys`` take a path/key or a list), checked by the same rules as the command line's, so
a typo or an out-of-range value fails here, not at the first request.

Unlike ``mockllm serve`` it loads no fixtures unless given some (like the pytest fixture): a test states
what it relies on. It listens on a free port of 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .core.errors import did_you_mean
from .handle import MockLLM

if TYPE_CHECKING:
    from .config import Settings
    from .server import ServerThread

__all__ = ["MockServer", "apply_settings", "start_server"]

#: Settings that are not for users (test hooks, the free-form bag).
INTERNAL_SETTINGS = frozenset({"test_hooks", "extra"})


def apply_settings(base: Settings, changes: dict[str, Any], where: str) -> Settings:
    """``base`` with ``changes`` (Settings field names) checked by the command line's rules; ``where``
    starts every error message (``MockServer``, ``@pytest.mark.mockllm``...)."""
    known = {f.name for f in dataclasses.fields(base)} - INTERNAL_SETTINGS
    unknown = sorted(set(changes) - known)
    if unknown:
        hints = [name + did_you_mean(name, known) for name in unknown]
        raise ValueError(f"{where}: unknown mockllm setting(s) {', '.join(hints)}; known: {', '.join(sorted(known))}")
    for key in ("fixtures", "api_keys"):
        if key in changes and not isinstance(changes[key], tuple):
            value = changes[key]
            changes[key] = (str(value),) if isinstance(value, str | Path) else tuple(str(v) for v in value)
    try:
        return dataclasses.replace(base, **changes).checked()
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def start_server(settings: Settings) -> ServerThread:
    """A started server thread, its tokenizers loaded first so that no request pays for them."""
    from .core import structured, tokens
    from .server import ServerThread

    tokens.warm(also=(structured.warm,))
    return ServerThread(settings).start()


class MockServer:
    """A mockllm server of its own, for as long as a ``with`` (or ``async with``) block lasts.

    ``with MockServer(**settings) as llm`` starts it and binds a :class:`~mockllm.handle.MockLLM`
    (``base_url``, ``client()``, ``on(...)``, ``requests``, ``assert_called``, ``reset()``...); leaving
    the block stops it. :meth:`start` / :meth:`stop` do the same without a block (``setUpClass`` /
    ``tearDownClass``). ``async with`` starts and stops it off the event loop, so the loop keeps running
    while the tokenizers load; the handle's methods are quick calls to the server's own thread.
    """

    def __init__(self, **settings: Any) -> None:
        from .config import Settings

        self.settings: Settings = apply_settings(Settings(port=0), dict(settings), "MockServer")
        self._server: ServerThread | None = None
        self._handle: MockLLM | None = None

    @property
    def handle(self) -> MockLLM:
        """The running server's handle (RuntimeError before :meth:`start`)."""
        if self._handle is None:
            raise RuntimeError("MockServer is not running: use `with MockServer(...) as llm` or call start()")
        return self._handle

    def start(self) -> MockLLM:
        """Start the server (once) and return its handle."""
        if self._handle is None:
            self._server = start_server(self.settings)
            self._handle = MockLLM(self._server)
        return self._handle

    def stop(self) -> None:
        """Stop the server; open streams get ``shutdown_timeout`` seconds. Safe to call twice."""
        server, self._server, self._handle = self._server, None, None
        if server is not None:
            server.stop()

    def __enter__(self) -> MockLLM:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> MockLLM:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        where = self._handle.base_url if self._handle is not None else "not running"
        return f"<mockllm.MockServer {where}>"
