"""The request pipeline: parse → validate → decide → shape → render, with no aiohttp in sight.

``Pipeline.handle`` takes the raw body and headers and returns an :class:`Outcome` (a JSON answer or a
stream plan). Everything stateful the pipeline needs (fixture table, id counter, seed) hangs off the
pipeline object the app owns, so tests can drive it directly and the HTTP layer stays a thin shell.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import auth, shaping
from .catalog import Catalog, ModelInfo
from .config import Settings
from .errors import ApiError
from .fixtures import FixtureTable
from .generate import Generator, request_digest
from .ids import IdFactory, RequestIds
from .profiles import Profile, get_profile
from .render import StreamPlan, completion_body, stream_plan
from .reply import Reply
from .request import ChatRequest
from .validate import validate_chat_request

__all__ = ["Outcome", "Pipeline"]

_loads = json.loads


@dataclass(slots=True)
class Outcome:
    """What to send. Exactly one of ``body`` / ``plan`` is set; ``error`` is set for error answers."""

    status: int
    headers: dict[str, str]
    body: bytes | None = None
    plan: StreamPlan | None = None
    error: ApiError | None = None
    request: ChatRequest | None = None
    model: ModelInfo | None = None
    reply: Reply | None = None
    completion: shaping.Completion | None = None
    ids: RequestIds | None = None
    info: dict[str, Any] = field(default_factory=dict)


def error_outcome(error: ApiError, request_id: str | None = None) -> Outcome:
    headers = {"content-type": "application/json; charset=utf-8"}
    headers.update(error.headers)
    if request_id is not None:
        headers["x-request-id"] = request_id
    return Outcome(error.status, headers, body=json.dumps(error.body(), indent=4).encode(), error=error)


class Pipeline:
    """One server's request logic and state."""

    def __init__(
        self, settings: Settings, fixtures: FixtureTable | None = None, catalog: Catalog | None = None
    ) -> None:
        self.settings = settings
        self.profile: Profile = get_profile(settings.profile)
        self.catalog = catalog if catalog is not None else self.profile.catalog()
        self.fixtures = fixtures if fixtures is not None else FixtureTable()
        self.generator = Generator(settings.seed)
        self.ids = IdFactory(settings.seed)
        self._inspect_image: Any = None
        self._inspect_audio: Any = None
        self._check_strict: Any = None
        try:
            from .vision import inspect_audio_part, inspect_image_part

            self._inspect_image, self._inspect_audio = inspect_image_part, inspect_audio_part
        except ImportError:  # pragma: no cover - vision is part of the package
            pass
        try:
            from .structured import check_strict_schema

            self._check_strict = check_strict_schema
        except ImportError:  # pragma: no cover
            pass

    def now(self) -> int:
        return self.settings.freeze_time if self.settings.freeze_time is not None else int(time.time())

    # ----- the one entry point ------------------------------------------------------------------

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Outcome:
        started = time.perf_counter()
        try:
            auth.check_key(auth.bearer_key(headers), self.settings.api_keys)
            try:
                raw = _loads(body)
            except (ValueError, UnicodeDecodeError):
                raise ApiError.bad_json() from None
            request, model = validate_chat_request(
                raw,
                catalog=self.catalog,
                dialect=self.profile.dialect,
                headers=headers,
                inspect_image=self._inspect_image,
                inspect_audio=self._inspect_audio,
                check_strict_schema=self._check_strict,
            )
            self.profile.check(request, model)
            prompt = shaping.prompt_usage(request, model)
            shaping.check_context(request, model, prompt.total)
        except ApiError as error:
            outcome = error_outcome(error)
            outcome.info["elapsed"] = time.perf_counter() - started
            return outcome

        ids = self.ids.for_request(request_digest(request, self.settings.seed))
        request_id = ids.request()
        try:
            reply = self.decide(request, model)
            if reply.error is not None:
                from .faults import error_from_spec

                raise error_from_spec(reply.error, request, model)
            completion = shaping.shape(request, model, reply, ids, prompt, self.now())
        except ApiError as error:
            outcome = error_outcome(error, request_id)
            outcome.request, outcome.model, outcome.ids = request, model, ids
            return outcome

        headers_out = {
            "x-request-id": request_id,
            "openai-version": "2020-10-01",
            "openai-processing-ms": str(max(1, int((time.perf_counter() - started) * 1000))),
            "access-control-expose-headers": "X-Request-ID",
        }
        headers_out.update(self.profile.response_headers(ids))
        outcome = Outcome(200, headers_out, request=request, model=model, reply=reply, completion=completion, ids=ids)
        if request.stream:
            headers_out["content-type"] = "text/event-stream; charset=utf-8"
            outcome.plan = stream_plan(
                completion,
                include_usage=request.include_usage,
                obfuscation=request.include_obfuscation and model.owned_by == "openai",
            )
        else:
            headers_out["content-type"] = "application/json"
            outcome.body = json.dumps(completion_body(completion), ensure_ascii=False).encode()
        return outcome

    def decide(self, request: ChatRequest, model: ModelInfo) -> Reply:
        """A matching fixture's reply, else (unless --strict) the generator's."""
        match = self.fixtures.decide(request)
        if match is not None:
            reply = match.reply
            if reply.content is not None and request.n > 1 and reply.choices is None:
                reply.choices = [reply] * request.n
            return reply
        if self.settings.strict:
            raise self.strict_miss(request)
        return self.generator.reply(request, model)

    def strict_miss(self, request: ChatRequest) -> ApiError:
        misses = self.fixtures.explain(request)[:3]
        if misses:
            detail = "; ".join(f"'{m.fixture.name}' failed {', '.join(m.failures)}" for m in misses)
            message = f"No fixture matched this request. Nearest: {detail}."
        else:
            message = "No fixture matched this request, and no fixtures are loaded."
        return ApiError(404, message, code="fixture_not_found")

    # ----- models -------------------------------------------------------------------------------

    def model_object(self, model: ModelInfo) -> dict[str, Any]:
        return {"id": model.id, "object": "model", "created": model.created, "owned_by": model.owned_by}

    def models_body(self) -> dict[str, Any]:
        return {"object": "list", "data": [self.model_object(m) for m in self.catalog]}


def loads_or_none(text: str) -> Any:
    try:
        return _loads(text)
    except ValueError:
        return None
