"""``POST /v1/embeddings`` validation: wire JSON in, a typed :class:`EmbeddingRequest` or OpenAI's error out.

Hand-written for the same reasons as the chat validator: OpenAI reports the *first* problem, in a fixed
order, with fixed texts no generic validator produces. The texts are the live API's where
PROTOCOL-embeddings.md §4 has them; the others follow the templates it suggests, marked below.

Order (PROTOCOL-embeddings.md §7): body → ``model`` / ``input`` present → unknown keys → ``model`` type →
``dimensions`` → ``encoding_format`` → ``user`` → model lookup (404) → ``dimensions`` against the model →
input shape → empty elements → item count → tokens per element → tokens per request. ``null`` is read as
"not given" for the optional fields, as in chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ...core import tokens
from ...core.auth import bearer_key
from ...core.catalog import Catalog, ModelInfo
from ...core.conversation import ImageInfo, ResponseFormat
from ...core.errors import ApiError

__all__ = [
    "MAX_ITEMS",
    "MAX_TOKENS_PER_REQUEST",
    "EmbeddingInput",
    "EmbeddingRequest",
    "validate_embedding_request",
]

MAX_ITEMS = 2048  # SPEC maxItems; 2049 refused live
MAX_TOKENS_PER_REQUEST = 300_000  # SPEC; live error text in §4
KNOWN_KEYS = frozenset({"model", "input", "encoding_format", "dimensions", "user"})
ENCODING_FORMATS = ("float", "base64")

_INPUT_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."


@dataclass(slots=True, frozen=True)
class EmbeddingInput:
    """One input: its text (token ids decoded with the model's encoding) and its token count."""

    text: str
    tokens: int
    token_ids: tuple[int, ...] | None = None  # as sent, for a pre-tokenized input


@dataclass(slots=True)
class EmbeddingRequest:
    """A request that passed validation.

    The attributes after ``session`` let fixture conditions written for chat (``user``, ``stream``,
    ``tool``...) evaluate an embeddings request without special cases: it has no messages, no tools, no
    images and never streams, so those conditions simply do not hold.
    """

    model: str
    inputs: list[EmbeddingInput]
    raw: dict[str, Any] = field(default_factory=dict)
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None
    single: bool = False  # ``input`` was one string or one token array (not an array of them)
    headers: dict[str, str] = field(default_factory=dict)
    api_key: str | None = None
    session: str | None = None

    api: ClassVar[str] = "embeddings"
    stream: ClassVar[bool] = False
    messages: ClassVar[tuple[()]] = ()
    tools: ClassVar[tuple[()]] = ()
    response_format: ClassVar[ResponseFormat] = ResponseFormat()
    last_user_text: ClassVar[str] = ""
    system_text: ClassVar[str] = ""
    images: ClassVar[list[ImageInfo]] = []
    max_tokens: ClassVar[None] = None

    @property
    def prompt_tokens(self) -> int:
        return sum(item.tokens for item in self.inputs)

    @property
    def input_text(self) -> str | None:
        """The first input's text: what journal near-miss reports test ``input`` conditions against."""
        return self.inputs[0].text if self.inputs else None


def _py(value: Any) -> str:
    """A JSON value as Python's jsonschema quotes it in its messages (``'abc'``, ``True``, ``1.5``)."""
    return repr(value)


def _check_dimensions(value: Any) -> int:
    # The live answer to -1 is a Python-jsonschema text with param and code null (VCR bad-request);
    # the type error follows the same library's wording [UNVERIFIED].
    if type(value) is not int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ApiError(400, f"{_py(value)} is not of type 'integer' - 'dimensions'")
    if value < 1:
        raise ApiError(400, f"{value} is less than the minimum of 1 - 'dimensions'")
    return value


def _check_model_dimensions(dimensions: int, model: ModelInfo) -> None:
    if not model.shortenable:
        raise ApiError(400, "This model does not support specifying dimensions.")
    choices = model.dimension_choices
    if choices and dimensions not in choices:
        # SiliconFlow lists the allowed sizes; its wording for another size is unrecorded [UNVERIFIED].
        raise ApiError(
            400,
            f"Invalid value for 'dimensions' = {dimensions}. Supported values: {list(choices)}.",
            param="dimensions",
            code="invalid_value",
        )
    if dimensions > model.embedding_dims:
        # Live check: the text contains "Must be less than or equal to 1536"; the rest follows the
        # encoding_format template of the same endpoint [UNVERIFIED].
        raise ApiError(
            400,
            f"Invalid value for 'dimensions' = {dimensions}. Must be less than or equal to {model.embedding_dims}.",
            param="dimensions",
            code="invalid_value",
        )


def _shape(value: Any) -> tuple[list[Any], bool, bool]:
    """(items, single, token form) of ``input``, or the live API's schema error."""
    if isinstance(value, str):
        return [value], True, False
    if type(value) is not list:
        raise ApiError(400, _INPUT_INVALID)
    if not value:
        # SPEC minItems 1; OpenAI's text for it is unrecorded: chat's template [UNVERIFIED].
        raise ApiError.empty_array("input")
    first = value[0]
    if isinstance(first, str):
        if not all(type(item) is str for item in value):
            raise ApiError(400, _INPUT_INVALID)
        return value, False, False
    if type(first) is int:
        if not all(type(item) is int and item >= 0 for item in value):
            raise ApiError(400, _INPUT_INVALID)
        return [value], True, True
    if type(first) is list:
        for index, item in enumerate(value):
            if type(item) is not list or not all(type(t) is int and t >= 0 for t in item):
                raise ApiError(400, _INPUT_INVALID)
            if not item:
                raise ApiError.empty_array(f"input[{index}]")
        return value, False, True
    raise ApiError(400, _INPUT_INVALID)


def _decode(ids: list[int], encoding: str) -> str:
    """Token ids to text with the model's encoding (PROTOCOL-embeddings.md §7.5), so a pre-tokenized
    input embeds exactly like the text it encodes. Ids outside the vocabulary are kept as ``<|id|>``
    markers rather than refused: what OpenAI answers to them is unrecorded [UNVERIFIED]."""
    enc = tokens.tokenizer(encoding)
    try:
        return enc.decode_bytes(ids).decode("utf-8", "replace")
    except (KeyError, OverflowError):
        parts: list[bytes] = []
        for token in ids:
            try:
                parts.append(enc.decode_single_token_bytes(token))
            except (KeyError, OverflowError):
                parts.append(f"<|{token}|>".encode())
        return b"".join(parts).decode("utf-8", "replace")


def validate_embedding_request(
    body: Any, *, catalog: Catalog, headers: Mapping[str, str] | None = None
) -> tuple[EmbeddingRequest, ModelInfo]:
    """Check a parsed ``/v1/embeddings`` body; return the request and its model, or raise ApiError."""
    if type(body) is not dict:
        raise ApiError.body_not_an_object(body)
    get = body.get
    model_id = get("model")
    if model_id is None or model_id == "":
        raise ApiError(400, "you must provide a model parameter")
    raw_input = get("input")
    if raw_input is None:
        raise ApiError.missing("input")
    if not KNOWN_KEYS.issuperset(body):
        for key in body:
            if key not in KNOWN_KEYS:
                raise ApiError.unrecognized_argument(key)
    if type(model_id) is not str:
        raise ApiError.invalid_type("model", "a string", model_id)

    dimensions = get("dimensions")
    if dimensions is not None:
        dimensions = _check_dimensions(dimensions)
    encoding_format = get("encoding_format")
    if encoding_format is None:
        encoding_format = "float"
    elif encoding_format not in ENCODING_FORMATS or type(encoding_format) is not str:
        shown = encoding_format if isinstance(encoding_format, str) else _py(encoding_format)
        raise ApiError(400, f"Invalid value for 'encoding_format' = {shown}. Supported values: ['float', 'base64'].")
    user = get("user")
    if user is not None and type(user) is not str:
        raise ApiError.invalid_type("user", "a string", user)

    model = catalog.get(model_id)
    if model is None:
        raise ApiError.model_not_found(model_id)
    if not model.embedding_dims:
        # OpenAI's answer to a chat model here is unrecorded; named after the chat endpoint's refusal of
        # non-chat models [UNVERIFIED].
        raise ApiError(
            400,
            f"The model `{model_id}` is not an embedding model and thus not supported in the v1/embeddings endpoint.",
            param="model",
        )
    if dimensions is not None:
        _check_model_dimensions(dimensions, model)

    items, single, token_form = _shape(raw_input)
    if not token_form:
        for index, item in enumerate(items):
            if item == "":
                where = "input" if single else f"input[{index}]"
                message = f"Invalid '{where}': input cannot be an empty string."
                raise ApiError(400, message, param=where, code="invalid_value")
    if len(items) > MAX_ITEMS:
        raise ApiError(
            400,
            f"Invalid 'input': array length must be {MAX_ITEMS} or less.",
            param="input",
            code="array_above_max_length",
        )
    limit = model.context_window
    encoding = model.encoding
    inputs: list[EmbeddingInput] = []
    total = 0
    for index, item in enumerate(items):
        if token_form:
            ids = tuple(item)
            count = len(ids)
            entry = EmbeddingInput("", count, ids)
        else:
            count = tokens.count(item, encoding)
            entry = EmbeddingInput(item, count)
        if count > limit:
            if single:
                raise ApiError(400, f"Invalid 'input': maximum context length is {limit} tokens.")
            raise ApiError(
                400,
                f"Invalid 'input[{index}]': maximum input length is {limit} tokens.",
                param=f"input[{index}]",
                code="invalid_value",
            )
        total += count
        inputs.append(entry)
    if total > MAX_TOKENS_PER_REQUEST:
        raise ApiError(
            400,
            f"Requested {total} tokens, max {MAX_TOKENS_PER_REQUEST} tokens per request",
            type="max_tokens_per_request",
            code="max_tokens_per_request",
        )
    if token_form:  # decoded only once every limit passed: a refused request never pays for it
        inputs = [EmbeddingInput(_decode(list(e.token_ids or ()), encoding), e.tokens, e.token_ids) for e in inputs]
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    api_key = bearer_key(lowered)
    request = EmbeddingRequest(
        model=model_id,
        inputs=inputs,
        raw=body,
        encoding_format=encoding_format,
        dimensions=dimensions,
        user=user,
        single=single,
        headers=lowered,
        api_key=api_key,
        session=lowered.get("x-mockllm-session"),
    )
    return request, model
