"""Hypothesis strategies for chat completion requests, built from the official spec, and the oracle that
judges the server's answers (issue 11 §1). Shared by ``tests/test_fuzz.py`` (a quick profile) and
``bench/fuzz.py`` (the long run that prints counts by outcome).

* :func:`requests` draws *valid* requests: every field follows ``CreateChatCompletionRequest`` in
  ``openai-openapi.yaml`` (``$ref``/``allOf``/``anyOf``/``oneOf``, enums, ranges, lengths), with a few
  overrides that keep the answers cheap and the models real (``n`` ≤ 3, models from our catalog), and at
  most a handful of optional fields at once so most requests are ones a model could accept.
* :func:`mutations` turns a valid request into a *near-valid* one: a field dropped, of the wrong type,
  out of range, oversized, outside its enum, unknown; or a body that Python's ``json`` reads but JSON
  forbids (issue 15): a ``NaN``/``Infinity``/``-Infinity`` literal, pathological nesting of ``[``/``{``
  (up to 100,000 levels), a lone surrogate escape or invalid UTF-8 in any string or key.
* :func:`judge` sends one and classifies the answer; it raises ``AssertionError`` for anything that is
  not a spec-valid 200 (JSON or SSE) or a 4xx in OpenAI's error shape naming the mutated field (for
  the not-JSON kinds: exactly OpenAI's "We could not parse the JSON body" 400).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import spec
from hypothesis import strategies as st

MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-nano", "gpt-5-mini", "o3-mini", "o4-mini", "gpt-3.5-turbo"]
# Fields whose spec range is unbounded but whose cost is not: drawn small so a case stays milliseconds.
_CHEAP = {
    "n": st.integers(1, 3),
    "max_tokens": st.none() | st.integers(1, 64),
    "max_completion_tokens": st.none() | st.integers(1, 64),
    # one draw in ten names a model the catalog does not have
    "model": st.sampled_from([*MODELS, *MODELS[:1]]).flatmap(
        lambda m: st.sampled_from([m] * 9 + ["gpt-unknown-model"])
    ),
}
_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
_TEXT = st.text(_ALPHABET, max_size=24)
_MAX_DEPTH = 7


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema and len(schema) <= 3:  # a $ref with only description/title beside it
        schema = spec.components()[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in schema["allOf"]:
        part = _resolve(part)
        if "allOf" in part:
            part = _merge_all_of(part)
        merged["properties"].update(part.get("properties", {}))
        merged["required"] += part.get("required", [])
    merged["properties"].update(schema.get("properties", {}))
    merged["required"] += schema.get("required", [])
    return merged


def from_schema(schema: dict[str, Any], depth: int = 0, name: str = "") -> st.SearchStrategy[Any]:
    """A strategy for instances of an OpenAPI (3.1, nullable rewritten) schema; depth-capped."""
    schema = _resolve(schema)
    if "$ref" in schema:
        schema = {**_resolve({"$ref": schema["$ref"]}), **{k: v for k, v in schema.items() if k != "$ref"}}
    if "allOf" in schema:
        schema = _merge_all_of(schema)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = schema[key]
            if depth >= _MAX_DEPTH:  # prefer a leaf option deep down
                options = [o for o in options if _resolve(o).get("type") not in ("object", "array")] or options[:1]
            return st.one_of([from_schema(o, depth + 1, name) for o in options])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, depth, name) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return st.integers(lo if lo is not None else -5, hi if hi is not None else 1000)
    if kind == "number":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return st.floats(lo if lo is not None else -100, hi if hi is not None else 100, allow_nan=False)
    if kind == "string":
        lo = schema.get("minLength", 0)
        return st.text(_ALPHABET, min_size=lo, max_size=max(lo, 24))
    if kind == "array":
        lo = schema.get("minItems", 0)
        hi = min(schema.get("maxItems", 3), 3, max(lo, 3))
        items = schema.get("items", {})
        if depth >= _MAX_DEPTH:
            hi = lo
        return st.lists(from_schema(items, depth + 1, name), min_size=lo, max_size=max(lo, hi))
    if kind == "object" or "properties" in schema:
        return _object(schema, depth)
    return st.one_of(st.none(), st.booleans(), st.integers(-3, 3), _TEXT)  # "any"


def _object(schema: dict[str, Any], depth: int, overrides: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    props: dict[str, Any] = schema.get("properties", {})
    required = [k for k in schema.get("required", []) if k in props]
    optional = [k for k in props if k not in required]
    overrides = overrides or {}

    def field(key: str) -> st.SearchStrategy[Any]:
        return overrides[key] if key in overrides else st.deferred(lambda: from_schema(props[key], depth + 1, key))

    chosen = st.lists(st.sampled_from(optional), max_size=3 if depth else 5, unique=True) if optional else st.just([])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        keys = required + draw(chosen)
        return {k: draw(field(k)) for k in keys}

    if depth >= _MAX_DEPTH and not required:
        return st.just({})
    return build()


# ----- the request strategies -------------------------------------------------------------------------

_SIMPLE_MESSAGES = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(["user", "system", "developer"]), "content": _TEXT}),
    min_size=1,
    max_size=3,
).map(lambda ms: [*ms, {"role": "user", "content": "hello"}] if ms[-1]["role"] != "user" else ms)


def requests() -> st.SearchStrategy[dict[str, Any]]:
    """Valid ``CreateChatCompletionRequest`` bodies (half with simple messages, half spec-drawn ones)."""
    schema = _merge_all_of(spec.components()["CreateChatCompletionRequest"])
    spec_messages = from_schema(schema["properties"]["messages"], 1, "messages")
    overrides = {**_CHEAP, "messages": st.one_of(_SIMPLE_MESSAGES, spec_messages)}
    drawn = _object(schema, 0, overrides)

    @st.composite
    def with_streams(draw: st.DrawFn) -> dict[str, Any]:
        # ``stream`` is one optional field of ~40; a third of the cases stream so SSE gets its share
        body = draw(drawn)
        if draw(st.integers(0, 2)) == 0:
            body["stream"] = True
            if draw(st.booleans()):
                body["stream_options"] = {"include_usage": draw(st.booleans())}
        return body

    return with_streams()


#: Mutation kinds whose body is not JSON (RFC 8259): each must get OpenAI's unparsable-body 400.
NOT_JSON = frozenset({"non_json", "deep", "bad_unicode"})
#: Stands in for raw JSON text while a body is encoded; replaced by ``Mutation.raw`` afterwards.
_HOLE = "\x00mockllm-raw\x00"
_KEY_HOLE = "\x00mockllm-key\x00"


@dataclass(frozen=True, slots=True)
class Mutation:
    """One change to a body. ``raw`` (not-JSON kinds) is spliced in as text: the value at ``path``
    (or, with ``key=True``, the name of the key at ``path``) after encoding, since no encoder would
    write it. ``deep`` mutations that stay within the depth bound are ordinary JSON and judged as such."""

    kind: str
    path: tuple[str | int, ...]
    value: Any = None
    raw: bytes | None = None
    key: bool = False

    def apply(self, body: dict[str, Any]) -> dict[str, Any] | bytes:
        data = json.loads(json.dumps(body))
        parent: Any = data
        for step in self.path[:-1]:
            parent = parent[step]
        last = self.path[-1]
        if self.kind == "missing":
            del parent[last]
        elif self.raw is None:
            parent[last] = self.value
        elif self.key:
            parent[_KEY_HOLE] = parent.pop(last)
        else:
            parent[last] = _HOLE
        if self.raw is None:
            return data
        hole = json.dumps(_KEY_HOLE if self.key else _HOLE).encode()
        encoded = json.dumps(data, ensure_ascii=False).encode()
        assert encoded.count(hole) == 1
        return encoded.replace(hole, self.raw)

    def param(self) -> str:
        """The OpenAI ``param`` spelling of the path: ``messages[0].role``."""
        text = ""
        for step in self.path:
            text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
        return text


_WRONG_TYPES = st.sampled_from([None, True, 12345, -1.5, "a string", [], ["x"], {}, {"x": 1}])
_RANGED = {
    "temperature": (0, 2),
    "top_p": (0, 1),
    "presence_penalty": (-2, 2),
    "frequency_penalty": (-2, 2),
    "top_logprobs": (0, 20),
    "n": (1, 128),
}
_ENUMS = ["reasoning_effort", "service_tier", "verbosity", "modalities", "tool_choice", "prompt_cache_retention"]


@st.composite
def mutations(draw: st.DrawFn, body: dict[str, Any]) -> Mutation:
    """One near-valid change to ``body``: the kinds named in the issue, each aimed at one field."""
    keys = sorted(body)
    kind = draw(
        # (hypothesis favours the first entries: the rarest-interesting kinds go last)
        st.sampled_from(
            [
                "wrong_type",
                "non_json",
                "deep",
                "bad_unicode",
                "out_of_range",
                "oversized",
                "bad_enum",
                "message",
                "unknown",
                "missing",
            ]
        )
    )
    if kind in NOT_JSON:
        return draw(_not_json(body, kind))
    if kind == "missing":
        return Mutation("missing", (draw(st.sampled_from(["model", "messages"])),))
    if kind == "wrong_type":
        key = draw(st.sampled_from([*keys, "temperature", "stream", "stop", "tools", "max_tokens"]))
        value = draw(_WRONG_TYPES.filter(lambda v: type(v) is not type(body.get(key, object()))))
        return Mutation("wrong_type", (key,), value)
    if kind == "out_of_range":
        key = draw(st.sampled_from(sorted(_RANGED)))
        lo, hi = _RANGED[key]
        value = draw(
            st.sampled_from([hi + 0.5, lo - 1, hi * 10 + 1, 2**63, -(2**63), 1e308])
            | st.floats(hi, 1e6, exclude_min=True)
        )
        if key in ("n", "top_logprobs") and isinstance(value, float) and value.is_integer() and value < 2**53:
            value = int(value)
        return Mutation("out_of_range", (key,), value)
    if kind == "oversized":
        which = draw(st.sampled_from(["content", "stop", "messages", "user", "metadata", "logit_bias", "tools"]))
        if which == "content":
            return Mutation("oversized", ("messages", 0, "content"), "x" * draw(st.sampled_from([70_000, 600_000])))
        if which == "stop":
            return Mutation("oversized", ("stop",), [f"s{i}" for i in range(draw(st.integers(5, 50)))])
        if which == "messages":
            return Mutation("oversized", ("messages",), [{"role": "user", "content": "hi"}] * 3000)
        if which == "user":
            return Mutation("oversized", ("user",), "u" * 100_000)
        if which == "metadata":
            return Mutation("oversized", ("metadata",), {f"k{i}": "v" for i in range(40)})
        if which == "logit_bias":
            return Mutation("oversized", ("logit_bias",), {str(i): 1 for i in range(2000)})
        tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
        return Mutation("oversized", ("tools",), [tool] * 200)
    if kind == "bad_enum":
        key = draw(st.sampled_from(_ENUMS))
        return Mutation("bad_enum", (key,), draw(st.sampled_from(["bogus", "HIGH", "", "auto-ish"])))
    if kind == "unknown":
        return Mutation("unknown", (draw(st.sampled_from(["frobnicate", "temprature", "max_token", "prompt"])),), 1)
    # a message field: role missing / wrong, content of the wrong type
    target = draw(st.sampled_from(["role", "content"]))
    if target == "role":
        return Mutation("message", ("messages", 0, "role"), draw(st.sampled_from(["robot", "", None, 7])))
    return Mutation("message", ("messages", 0, "content"), draw(st.sampled_from([42, {"text": "x"}, [{"a": 1}], True])))


def _places(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every (path, value) in a body, containers included, root excluded."""
    found: list[tuple[tuple[str | int, ...], Any]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for step, child in items:
        found.append(((*path, step), child))
        found.extend(_places(child, (*path, step)))
    return found


def _nested(depth: int, bracket: str) -> bytes:
    """``depth`` levels of arrays or objects around a ``1``, as text (no encoder writes 100,000 levels)."""
    if bracket == "[":
        return b"[" * depth + b"1" + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


_SURROGATES = [b"\\ud800", b"\\udfff", b"\\udc00\\ud800", b"x\\ud83d", b"\\ude00y"]


@st.composite
def _not_json(draw: st.DrawFn, body: dict[str, Any], kind: str) -> Mutation:
    """A body Python's ``json`` would read but JSON forbids, the bad part anywhere in the body."""
    places = _places(body)
    if kind == "non_json":
        # at a known field, a new one, or any place already in the body (inside messages, tools, ...)
        path = draw(st.sampled_from([("temperature",), ("metadata",), ("seed",)] + [p for p, _ in places]))
        literal = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"[1, NaN]", b'{"x": -Infinity}']))
        return Mutation("non_json", path, raw=literal)
    if kind == "deep":
        path = draw(st.sampled_from([("metadata",), ("messages", 0, "content"), ("tools",)] + [p for p, _ in places]))
        depth = draw(st.sampled_from([129, 200, 1_000, 5_000, 100_000]))
        return Mutation("deep", path, raw=_nested(depth, draw(st.sampled_from("[{"))))
    # bad_unicode: a lone surrogate escape (or bytes that are not UTF-8) in one string value or key
    strings = [(p, v) for p, v in places if isinstance(v, str)]
    keys = [p for p, _ in places if isinstance(p[-1], str)]
    target = draw(st.sampled_from(["value", "key"] if strings and keys else ["key"] if keys else ["value"]))
    bad = draw(st.sampled_from([*_SURROGATES, b"\xed\xa0\x80", b"\xff", b"\xc3"]))
    if target == "key" or not strings:
        path = draw(st.sampled_from(keys or [("model",)]))
        return Mutation("bad_unicode", path, raw=b'"' + path[-1].encode() + bad + b'"', key=True)  # type: ignore[union-attr]
    path, text = draw(st.sampled_from(strings))
    at = draw(st.integers(0, len(text)))  # between characters, so no escape or UTF-8 sequence is split

    def inner(part: str) -> bytes:
        return json.dumps(part, ensure_ascii=False).encode()[1:-1]

    return Mutation("bad_unicode", path, raw=b'"' + inner(text[:at]) + bad + inner(text[at:]) + b'"')


# ----- the oracle ------------------------------------------------------------------------------------------


def _sse_chunks(text: str) -> list[Any]:
    chunks: list[Any] = []
    done = False
    for event in text.split("\n\n"):
        event = event.strip()
        if not event:
            continue
        assert event.startswith("data: "), event[:200]
        data = event[len("data: ") :]
        if data == "[DONE]":
            done = True
            continue
        assert not done, "event after [DONE]"
        chunks.append(json.loads(data))
    assert done, "stream without data: [DONE]"
    return chunks


def _validate(name: str, body: dict[str, Any]) -> None:
    """Spec validation with the one gap tests/test_contract.py tolerates too: ``system_fingerprint: null``
    (the spec says string; the real API answers null on gpt-5 / gpt-4.1, PROTOCOL.md §3)."""
    if body.get("system_fingerprint", "") is None:
        body = {k: v for k, v in body.items() if k != "system_fingerprint"}
    spec.validate(name, body)


def _names(error: dict[str, Any], mutation: Mutation) -> bool:
    """The error points at the mutated field: its ``param``, or its name in the message."""
    top = str(mutation.path[0])
    param = error.get("param") or ""
    return param.startswith(top) or top in (error.get("message") or "") or mutation.param() in param


def encode(body: dict[str, Any]) -> bytes:
    """JSON as a client would send it (non-finite floats become the NaN/Infinity literals, which are invalid)."""
    return json.dumps(body, allow_nan=True).encode()


BAD_JSON = "We could not parse the JSON body of your request."


def judge(
    client: httpx.Client, body: dict[str, Any] | bytes, mutation: Mutation | None = None, *, named: bool = True
) -> str:
    """Send ``body``; return an outcome label (``200``, ``200-stream``, ``400 invalid_type``, …).

    With a ``mutation``, a 400 must name its field (when ``named``: the unmutated body was accepted);
    a not-JSON mutation must get OpenAI's unparsable-body 400 whatever else is wrong with the body."""
    content = body if isinstance(body, bytes) else encode(body)
    response = client.post("/chat/completions", content=content, headers={"Content-Type": "application/json"})
    status = response.status_code
    assert status < 500, f"{status} for {content[:500]!r}: {response.text[:500]}"
    if mutation is not None and mutation.raw is not None:
        assert status == 400, f"{mutation.kind} answered {status}: {content[:300]!r}"
        error = response.json()["error"]
        assert error["message"].startswith(BAD_JSON) and error["param"] is None, error
        return "400 bad_json"
    if status == 200:
        if "text/event-stream" in response.headers.get("content-type", ""):
            for chunk in _sse_chunks(response.text):
                _validate("CreateChatCompletionStreamResponse", chunk)
            return "200-stream"
        _validate("CreateChatCompletionResponse", response.json())
        return "200"
    payload = response.json()
    spec.validate("ErrorResponse", payload)
    error = payload["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"], error
    if mutation is not None and named and status == 400:
        assert _names(error, mutation), f"{mutation} answered {error}"
    return f"{status} {error['code'] or error['type']}"
