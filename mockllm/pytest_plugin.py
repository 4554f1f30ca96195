"""pytest plugin (registered through the ``pytest11`` entry point, so installing mockllm is enough).

Shaped after pytest-httpserver: **one in-process server per test session** (per xdist worker, since each
worker is its own process), **reset before and after every test**, and a per-test handle to script it and
check what was sent::

    def test_greets(mockllm):
        mockllm.on(user="hi").reply("hello")
        client = mockllm.client()
        assert client.chat.completions.create(model="gpt-4o-mini", messages=[...]).choices[0].message.content == "hello"
        mockllm.assert_called_once(user="hi", model="gpt-4o-mini")

Fixtures this module provides:

``mockllm``
    A :class:`MockLLM` for the current test (sync and async tests alike: the server runs on its own
    thread and loop, so any event loop, pytest-asyncio's or anyio's, can talk to it).
``mockllm_server``
    The session's :class:`~mockllm.server.MockServer` (not reset for you; prefer ``mockllm``).
``mockllm_settings``
    Session-scoped, override it in a ``conftest.py`` to configure the session server: return a mapping
    of :class:`~mockllm.config.Settings` fields (``{"seed": 3, "fixtures": ["llm-fixtures/"]}``;
    relative fixture paths are taken from pytest's rootdir). Files given here are *file* fixtures: they
    stay loaded across tests.

Decisions, and why:

* **Reset, not namespaces.** User code does not send ``x-mockllm-session``, so tests cannot be told apart
  by the server; instead the plugin resets runtime fixtures and models, sequence counters, the journal,
  the usage ledger, the id counter and rate buckets before (and after) each test. Each test therefore
  sees a freshly started server: its answers do not depend on test order, and ``seed=N`` answers byte for
  byte like ``mockllm serve --seed N``. Under ``pytest -n`` every worker has its own server.
* **Marker.** ``@pytest.mark.mockllm("a.yaml", fixtures=[...], seed=.., profile=.., strict=.., **settings)``:
  fixture paths (positional or ``fixtures=``) are loaded as runtime fixtures into whichever server the test
  uses; any other setting that differs from the session server's gives the test a **dedicated server**
  with those settings (kept for later tests with the same settings, at most :data:`DEDICATED_SERVERS`).
  Restarting beats reconfiguring: profile, seed or latency change objects throughout the pipeline.
  Markers on a module/class and the function merge, the closest winning per setting.
* **Fixture paths** (marker, :meth:`MockLLM.load`) are relative to the test file's folder, else to the
  current directory.
* **One handle class.** The fixture yields the same :class:`~mockllm.handle.MockLLM` that
  ``with mockllm.MockServer(...) as llm`` binds; routes, clients, fast retries and the journal are
  described there.
* **A failing test** gets a "mockllm" report section listing the requests it sent, what answered each,
  and for requests no fixture matched, why each fixture did not (near misses).

This module is imported by pytest in every project that has mockllm installed, so it imports nothing
heavy at module level; the server and ``openai`` load when a test first asks for them.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .embedded import apply_settings, start_server
from .handle import MockLLM, RecordedRequest, Route, UnusedRouteWarning

if TYPE_CHECKING:
    from .config import Settings
    from .server import ServerThread

__all__ = ["DEDICATED_SERVERS", "MockLLM", "RecordedRequest", "Route", "UnusedRouteWarning"]

DEDICATED_SERVERS = 4
_HANDLE = pytest.StashKey["MockLLM"]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockllm(*fixture_paths, fixtures=[...], seed=0, profile='openai', strict=False, **settings): "
        "configure the mockllm server of this test (see mockllm.pytest_plugin)",
    )


# ===== servers ===========================================================================================


class _ServerPool:
    """The session server (started on first use) and dedicated servers for marker settings (LRU-bounded)."""

    def __init__(self, base: Settings) -> None:
        self.base = base
        self._shared: ServerThread | None = None
        self._dedicated: OrderedDict[str, ServerThread] = OrderedDict()

    @property
    def shared(self) -> ServerThread:
        if self._shared is None:
            self._shared = start_server(self.base)
        return self._shared

    def get(self, settings: Settings) -> ServerThread:
        if settings == self.base:
            return self.shared
        key = repr(settings)
        server = self._dedicated.get(key)
        if server is None:
            server = start_server(settings)
            self._dedicated[key] = server
            while len(self._dedicated) > DEDICATED_SERVERS:
                self._dedicated.popitem(last=False)[1].stop()
        self._dedicated.move_to_end(key)
        return server

    def close(self) -> None:
        for server in [self._shared, *self._dedicated.values()]:
            if server is not None:
                server.stop()
        self._shared = None
        self._dedicated.clear()


def _settings_from(value: Any, rootdir: Path) -> Settings:
    from .config import Settings

    if isinstance(value, Settings):
        settings = value
    else:
        settings = apply_settings(Settings(port=0), dict(value or {}), "mockllm_settings")
    if settings.fixtures:
        paths = tuple(str(p if Path(p).is_absolute() else rootdir / p) for p in settings.fixtures)
        settings = dataclasses.replace(settings, fixtures=paths)
    return settings


def _marker_config(item: pytest.Item) -> tuple[dict[str, Any], list[str]]:
    """Settings and fixture paths from every ``mockllm`` marker, farthest first so the closest wins."""
    settings: dict[str, Any] = {}
    paths: list[str] = []
    for marker in reversed(list(item.iter_markers("mockllm"))):
        kwargs = dict(marker.kwargs)
        extra = kwargs.pop("fixtures", ())
        paths.extend(str(a) for a in marker.args)
        paths.extend([str(extra)] if isinstance(extra, str | Path) else [str(p) for p in extra])
        settings.update(kwargs)
    return settings, paths


@pytest.fixture(scope="session")
def mockllm_settings() -> Mapping[str, Any]:
    """Settings of the session's server: override in ``conftest.py`` (a mapping of Settings fields)."""
    return {}


@pytest.fixture(scope="session")
def _mockllm_pool(mockllm_settings: Any, pytestconfig: pytest.Config) -> Iterator[_ServerPool]:
    problem = None
    try:
        pool = _ServerPool(_settings_from(mockllm_settings, pytestconfig.rootpath))
    except (TypeError, ValueError) as exc:
        problem = str(exc)
    if problem is not None:  # failed outside the except block, so pytest shows the message once
        pytest.fail(problem, pytrace=False)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def mockllm_server(_mockllm_pool: _ServerPool) -> ServerThread:
    """The session's server, as a raw :class:`~mockllm.server.ServerThread` (not reset between tests)."""
    return _mockllm_pool.shared


@pytest.fixture
def mockllm(request: pytest.FixtureRequest, _mockllm_pool: _ServerPool) -> Iterator[MockLLM]:
    """A freshly reset mockllm server for this test; see :class:`MockLLM`."""
    changes, paths = _marker_config(request.node)
    problem = None
    try:
        settings = apply_settings(_mockllm_pool.base, changes, "@pytest.mark.mockllm")
    except (TypeError, ValueError) as exc:
        problem = str(exc)
    if problem is not None:  # failed outside the except block, so pytest shows the message once
        pytest.fail(problem, pytrace=False)
    server = _mockllm_pool.get(settings)
    test_dir = request.node.path.parent if getattr(request.node, "path", None) else None
    handle = MockLLM(server, test_dir)
    handle.reset()
    if paths:
        handle.load(*paths)
    request.node.stash[_HANDLE] = handle
    try:
        yield handle
    finally:
        handle.reset()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
    """On a failed test that used ``mockllm``, add a section listing its requests and near misses."""
    report = yield
    handle = item.stash.get(_HANDLE, None)
    if handle is not None and report.failed and call.when == "call":
        report.sections.append(("mockllm: requests of this test", handle.report()))
    return report
