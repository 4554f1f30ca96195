"""What the engine asks of a wire API: the seam between the neutral core and each API package.

The pipeline (``pipeline.py``) runs the same decide → shape steps for every API; a :class:`Surface` is
the edge on either side of them: it turns the API's JSON into a :class:`~.conversation.Conversation`
(with the API's own exact errors), and turns the shaped :class:`~.shaping.Completion` back into the
API's JSON body or its SSE events, spelling errors and mid-stream failures its own way. Each API package
under ``mockllm.apis`` provides one; nothing in ``core`` or ``http`` names an API.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .catalog import ModelInfo
    from .conversation import Conversation, ImageInfo
    from .errors import ApiError
    from .ids import RequestIds
    from .pipeline import Outcome, Pipeline
    from .ratelimit import RateState
    from .reply import FaultSpec, Reply

__all__ = ["AnswerFacts", "Endpoint", "EventPlan", "Route", "RouteCall", "Surface"]

InspectImage = Callable[[Mapping[str, Any], str], "ImageInfo"]


@dataclass(slots=True, frozen=True)
class RouteCall:
    """What an API's companion route gets of its HTTP request (no aiohttp past this point)."""

    match: Mapping[str, str]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True, frozen=True)
class AnswerFacts:
    """What every successful answer reports, whatever its API: the request id mockllm minted
    (``req_`` + hex), the milliseconds the pipeline took, and the rate limiter's state. Each surface
    spells them in its own headers (:meth:`Surface.response_headers`)."""

    request_id: str
    processing_ms: int
    rate: RateState


@dataclass(slots=True, frozen=True)
class Endpoint:
    """An API whose create route does not go through decide → shape (embeddings answer vectors, not
    text). ``answer`` is its own step on the shared edge: it checks the key, parses strict JSON, asks
    :meth:`~.pipeline.Pipeline.injected` and the fixtures, takes from the rate limiter, and returns an
    :class:`~.pipeline.Outcome` that the HTTP layer executes and journals like any surface's."""

    name: str
    path: str
    answer: Callable[[Pipeline, bytes, Mapping[str, str]], Outcome]


@dataclass(slots=True, frozen=True)
class Route:
    """A companion route of an API (``GET /v1/responses/{id}``...): it answers JSON from the API's state.
    ``answer`` returns (status, body) or raises ApiError, which the API's envelope renders."""

    method: str
    path: str
    answer: Callable[[Pipeline, RouteCall], tuple[int, dict[str, Any]]]


class Surface(Protocol):
    """One wire API. ``name`` is what the ``api:`` fixture condition and the journal call it; ``path`` is
    its create route, and every answer under that path (404s and 500s included) is spelt by this API;
    ``id_header`` is the header that carries an answer's request id."""

    name: str
    path: str
    id_header: str

    def request_id(self, minted: str) -> str:
        """This API's form of a request id mockllm minted (``req_`` + hex) for an answer outside the
        pipeline (a route's 404, a contained 500, a companion route)."""
        ...

    def models_route(self, pipeline: Pipeline, call: RouteCall) -> tuple[int, dict[str, Any]] | None:
        """``GET /v1/models`` (``call.match`` without ``model``) or ``/v1/models/{model}`` in this API's
        shape when the request is from its SDK, else None (OpenAI's shape answers). Raises ApiError."""
        ...

    def api_key(self, headers: Mapping[str, str]) -> str | None:
        """The caller's key as this API carries it (``Authorization: Bearer``, ``x-api-key``)."""
        ...

    def parse(
        self, raw: Any, headers: Mapping[str, str], pipeline: Pipeline, inspect_image: InspectImage | None
    ) -> tuple[Conversation, ModelInfo]:
        """Validate a parsed body; return the neutral conversation and its model, or raise ApiError."""
        ...

    def extend(self, request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
        """Adjust the decided reply for this API's dialect (a gateway profile's extensions)."""
        ...

    def completion_id(self, model: ModelInfo, ids: RequestIds) -> str | None:
        """An id in another format than OpenAI's chat one, where the API or gateway uses one."""
        ...

    def response_headers(self, ids: RequestIds, facts: AnswerFacts) -> dict[str, str]:
        """The headers of a successful answer: ``facts`` spelt as this API does (request id, rate limits,
        processing time), and a gateway's own."""
        ...

    def render(self, outcome: Outcome, pipeline: Pipeline) -> None:
        """Fill ``outcome.payload``/``body`` (JSON) or ``outcome.plan`` (a stream) and the content type."""
        ...

    def error_outcome(self, error: ApiError, request_id: str | None) -> Outcome:
        """An error answer in this API's envelope, with ``error.rate`` (a 429 of the rate limiter) spelt in
        its headers."""
        ...

    def stream_fault(
        self, fault: FaultSpec, events: list[bytes], kinds: list[str], outcome: Outcome | None
    ) -> tuple[list[bytes], bool]:
        """Rewrite a healthy event list for a stream fault; returns (events, abort the connection after)."""
        ...

    def evictions(self) -> dict[str, int]:
        """Evictions of the API's own bounded state, by name, for ``/_mockllm/stats``."""
        ...

    def reset(self) -> None:
        """Forget the API's own state (the admin API's reset)."""
        ...

    def routes(self) -> list[Route]:
        """Companion routes beside the create route (stored objects, token counting)."""
        ...


@dataclass(slots=True)
class EventPlan:
    """A stream as a list of encoded events, for APIs whose events are built whole (Responses, Messages).

    It offers what the HTTP writer reads of chat's template-based ``StreamPlan``: the events in order,
    one buffer for an unpaced stream, and per event its kind (for faults and the journal) and the number
    of tokens it carries (for pacing).
    """

    encoded: list[bytes] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    token_counts: list[int] = field(default_factory=list)
    text: str = ""  # what the stream says, for the journal

    def add(self, event: bytes, kind: str, tokens: int = 0) -> None:
        self.encoded.append(event)
        self.kinds.append(kind)
        self.token_counts.append(tokens)

    def __len__(self) -> int:
        return len(self.encoded)

    def event(self, index: int) -> bytes:
        return self.encoded[index]

    def iter_events(self) -> Iterator[bytes]:
        return iter(self.encoded)

    @property
    def events(self) -> list[bytes]:
        return list(self.encoded)

    def joined(self) -> bytes:
        return b"".join(self.encoded)

    def said(self, indices: Iterable[int]) -> list[dict[str, Any]]:
        """The text the events at ``indices`` carried (what the journal shows of a stream cut short), as
        chat's plan reports it: ``[{"index": 0, "content"?, "reasoning_content"?, "refusal"?}]``. Only
        delta events are read back, each its ``data:`` line's ``delta``."""
        said: dict[str, Any] = {"index": 0}
        for index in indices:
            key = _SAID_KEYS.get(self.kinds[index]) if index < len(self.kinds) else None
            if key is None:
                continue
            for line in self.encoded[index].split(b"\n"):
                if line.startswith(b"data: "):
                    delta = json.loads(line[6:]).get("delta")
                    if isinstance(delta, str):
                        said[key] = said.get(key, "") + delta
        return [said]


#: Event kinds whose ``delta`` is text the journal reports, and under which name.
_SAID_KEYS = {"content": "content", "reasoning": "reasoning_content", "refusal": "refusal"}
