"""Gateway profiles: the dialect each gateway speaks, as data plus the few rules data cannot say.

A profile bundles a validation :class:`~mockllm.validate.Dialect`, the catalog the gateway serves, the
extra response headers it sends, and a ``check`` hook for model-specific rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .catalog import BUILTIN_MODELS, Catalog, ModelInfo
from .errors import ApiError
from .ids import RequestIds
from .reply import Reply
from .request import ChatRequest
from .validate import OPENAI, Dialect


def _no_check(request: ChatRequest, model: ModelInfo) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    dialect: Dialect = OPENAI
    model_filter: Callable[[ModelInfo], bool] = lambda m: True
    extra_headers: Callable[[RequestIds], dict[str, str]] = lambda ids: {}
    rules: tuple[Callable[[ChatRequest, ModelInfo], None], ...] = field(default_factory=tuple)
    extensions: tuple[Callable[[ChatRequest, ModelInfo, Reply, RequestIds], Reply], ...] = field(default_factory=tuple)

    def catalog(self) -> Catalog:
        return Catalog(m for m in BUILTIN_MODELS if self.model_filter(m))

    def check(self, request: ChatRequest, model: ModelInfo) -> None:
        for rule in self.rules:
            rule(request, model)

    def extend(self, request: ChatRequest, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
        """Response extensions of the gateway (annotations, reasoning, ...), applied after decide."""
        for extension in self.extensions:
            reply = extension(request, model, reply, ids)
        return reply

    def response_headers(self, ids: RequestIds) -> dict[str, str]:
        return self.extra_headers(ids)


PROFILES: dict[str, Profile] = {"openai": Profile("openai")}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ApiError(400, f"Unknown profile {name!r}. Known profiles: {', '.join(sorted(PROFILES))}.") from None
