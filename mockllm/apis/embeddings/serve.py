"""Answer one ``/v1/embeddings`` request with the engine the chat endpoint uses.

:func:`answer` is this API's :class:`~mockllm.core.surface.Endpoint` step (``mockllm.apis`` lists it).
Everything but the vectors is shared with chat:
the API key check, OpenAI-shaped errors with an ``x-request-id``, seeded ids, the rate limiter
(``--rpm``/``--tpm``; an embeddings request costs its input tokens), injected failures (the
``x-mockllm-fault`` header, ``--chaos``), fixtures (error presets, transport faults, pinned vectors,
near-twins), ``--strict``, the profile's rules and headers, and the journal and usage ledger (which
``Pipeline.record`` fills from :attr:`Outcome.usage`).

Fixtures are decided per input (each input of a batch is one match, so ``replies`` sequences advance
once per input): the first error found answers the whole request, as one bad element fails a real
request; the first fault found is executed on the answer; inputs no fixture pins get the algorithm's
vector.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core import auth
from ...core.catalog import ModelInfo
from ...core.errors import ApiError
from ...core.faults import error_from_spec
from ...core.reply import FaultSpec, Reply
from ...core.surface import AnswerFacts
from ..openai_wire import answer_headers, error_outcome
from .render import embeddings_body
from .validate import EmbeddingRequest, validate_embedding_request
from .vectors import Dense, Space, near_twin, resize, space, to_float32

if TYPE_CHECKING:
    from ...core.ids import RequestIds
    from ...core.pipeline import Outcome, Pipeline

__all__ = ["answer"]


def _digest(request: EmbeddingRequest, seed: int) -> bytes:
    """What makes two requests the same (key order and encoding format aside), mixed with the seed."""
    material = [request.model, [item.text for item in request.inputs], request.dimensions, seed]
    return hashlib.blake2b(json.dumps(material).encode(), digest_size=16).digest()  # ASCII: lone surrogates too


def _decide(
    pipeline: Pipeline, request: EmbeddingRequest, model: ModelInfo, ids: RequestIds, request_id: str
) -> tuple[list[Reply | None], Reply]:
    """Per input: the fixture reply that pins its vector (or None); and a summary reply for the request
    (its source and any fault), the way chat's ``decide`` orders injected failures before fixtures."""
    injected = pipeline.injected(request.headers, ids)
    if injected is not None and injected.error is not None:
        raise error_from_spec(injected.error, request, model, request_id)  # type: ignore[arg-type]
    pins: list[Reply | None] = []
    source: str | None = None
    fault: FaultSpec | None = None
    fixtures = pipeline.fixtures
    use_fixtures = len(fixtures) > 0
    for item in request.inputs:
        match = fixtures.decide(request, item.text) if use_fixtures else None  # type: ignore[arg-type]
        if match is None:
            if pipeline.settings.strict and injected is None:
                raise pipeline.strict_miss(request)  # type: ignore[arg-type]
            pins.append(None)
            continue
        reply = match.reply
        if reply.error is not None:
            raise error_from_spec(reply.error, request, model, request_id)  # type: ignore[arg-type]
        source = source or reply.source
        fault = fault or reply.fault
        pins.append(reply if (reply.embedding is not None or reply.like is not None) else None)
    summary = Reply(source=source or "generator", fault=fault)
    if injected is not None:
        summary.fault, summary.source = injected.fault, injected.source
    return pins, summary


def _vector(space: Space, text: str, size: int, pin: Reply | None) -> Dense:
    if pin is None:
        sparse = space.embed(text, size)
    elif pin.embedding is not None:
        sparse = resize(pin.embedding, size) or space.fallback(text, size)
    else:
        assert pin.like is not None
        sparse = near_twin(space, pin.like, text, size)
    return to_float32(sparse, size)


def answer(pipeline: Pipeline, body: bytes, headers: Mapping[str, str]) -> Outcome:
    from ...core.pipeline import Outcome, parse_json_body

    started = time.perf_counter()
    raw: Any = None
    size = len(body)
    try:
        auth.check_key(auth.bearer_key(headers), pipeline.settings.api_keys)
        raw = parse_json_body(body)  # strict JSON, as every API's: no NaN, bounded nesting, no lone surrogates
        request, model = validate_embedding_request(raw, catalog=pipeline.catalog, headers=headers)
        pipeline.profile.check(request, model)  # type: ignore[arg-type]
    except ApiError as error:
        ids = pipeline.ids.for_request(hashlib.blake2b(body, digest_size=16).digest())
        outcome = error_outcome(error, ids.request())
        outcome.raw = raw
        outcome.info["body_bytes"] = size
        return outcome

    ids = pipeline.ids.for_request(_digest(request, pipeline.settings.seed))
    request_id = ids.request()
    prompt = request.prompt_tokens
    reserved = 0
    summary: Reply | None = None
    try:
        rate = pipeline.limiter.admit(request.api_key, prompt, request.model, pipeline.clock())
        reserved = prompt
        pins, summary = _decide(pipeline, request, model, ids, request_id)
    except ApiError as error:
        if reserved:  # admitted, then answered with an error: an error costs no tokens
            pipeline.limiter.debit(request.api_key, 0, pipeline.clock(), reserved=reserved)
        outcome = error_outcome(error, request_id)
        outcome.request, outcome.model, outcome.ids, outcome.reply = request, model, ids, summary  # type: ignore[assignment]
        outcome.raw = raw
        outcome.info["body_bytes"] = size
        return outcome

    vectors_space = space(model.id, model.embedding_dims, pipeline.settings.seed)
    dims = request.dimensions or model.embedding_dims
    vectors = [_vector(vectors_space, item.text, dims, pin) for item, pin in zip(request.inputs, pins, strict=True)]
    style = pipeline.profile.embedding_style
    body_out = embeddings_body(
        vectors, model=request.model, prompt_tokens=prompt, encoding_format=request.encoding_format, style=style
    )
    usage: dict[str, int] = {"prompt_tokens": prompt, "total_tokens": prompt}
    if style == "siliconflow":
        usage = {"prompt_tokens": prompt, "completion_tokens": 0, "total_tokens": prompt}
    headers_out = {"content-type": "application/json", "openai-model": request.model}
    headers_out.update(answer_headers(AnswerFacts(request_id, int((time.perf_counter() - started) * 1000), rate)))
    headers_out.update(pipeline.profile.response_headers(ids))
    outcome = Outcome(200, headers_out, body=body_out, request=request, model=model, reply=summary, ids=ids, raw=raw)  # type: ignore[arg-type]
    outcome.usage = usage
    # The journal keeps a summary, not three million floats.
    outcome.payload = {
        "object": "list",
        "model": request.model,
        "embeddings": len(vectors),
        "dimensions": dims,
        "encoding_format": request.encoding_format,
        "usage": usage,
    }
    outcome.info["body_bytes"] = size
    return outcome
