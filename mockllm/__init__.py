"""mockllm: a local, deterministic emulator of the OpenAI-compatible Chat Completions API.

The public Python API (everything else is private and may move)::

    from mockllm import MockServer

    with MockServer(seed=3) as llm:          # keyword arguments: the `serve` flags' names
        llm.on(user="hi").reply("hello")
        client = llm.client()                # an openai.OpenAI pointed at llm.base_url
        ...
        llm.assert_called_once(user="hi")

The names load lazily, so ``import mockllm`` (which pytest does for the plugin) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .embedded import MockServer
    from .handle import MockLLM, RecordedRequest, Route, UnusedRouteWarning

__version__ = "0.1.0"
__all__ = ["MockLLM", "MockServer", "RecordedRequest", "Route", "UnusedRouteWarning", "__version__"]

_WHERE = {
    "MockServer": "embedded",
    "MockLLM": "handle",
    "RecordedRequest": "handle",
    "Route": "handle",
    "UnusedRouteWarning": "handle",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'mockllm' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
