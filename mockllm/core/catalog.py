"""The model catalog: what each model accepts and how it is billed, timed and tokenized.

Figures come from the gateways' docs and OpenAI's public model pages (PROTOCOL.md §3, §7, §8); where a
vendor publishes no figure (tokens/second, time to first token) the numbers are plausible defaults and
marked as such in the README. Users override or add models with a ``models:`` section in a fixture file.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .errors import ApiError

Encoding = Literal["o200k_base", "cl100k_base"]
VisionKind = Literal["tile", "patch", "area"]


@dataclass(slots=True, frozen=True)
class VisionPolicy:
    """How image tokens are charged (PROTOCOL.md §7).

    ``tile``: low = ``base``; high = ``base + tile * tiles`` after fitting 2048² and 768 short side.
    ``patch``: ceil(w/32)·ceil(h/32) patches capped at ``patch_cap``, times ``multiplier``.
    ``area`` (Claude): ceil(w·h/750) after fitting the long edge to 1568 px, at most ``patch_cap`` tokens.
    """

    kind: VisionKind = "tile"
    base: int = 85
    tile: int = 170
    multiplier: float = 1.0
    patch_cap: int = 1536


TILE_4O = VisionPolicy("tile", 85, 170)
#: Anthropic's documented estimate (PROTOCOL-anthropic.md §2.2): w·h/750 after the 1568 px resize, ~1600 max.
CLAUDE_AREA = VisionPolicy("area", patch_cap=1600)


@dataclass(slots=True, frozen=True)
class ModelInfo:
    id: str
    owned_by: str = "openai"
    context_window: int = 128_000
    max_output_tokens: int = 16_384
    vision: bool = False
    audio: bool = False
    # "openai": OpenAI reasoning model (max_tokens refused, hidden reasoning counted in usage);
    # "visible": reasoning returned as reasoning_content (DeepSeek-R1 / SiliconFlow style).
    reasoning: Literal["openai", "visible"] | None = None
    encoding: Encoding = "o200k_base"
    input_price: float = 0.0  # USD per 1M tokens
    output_price: float = 0.0
    snapshot: str | None = None  # the resolved name answered in `model`
    system_fingerprint: str | None = None
    vision_policy: VisionPolicy = TILE_4O
    search: bool = False  # *-search-preview: web_search_options, url_citation annotations
    ttft_ms: float = 300.0  # realistic latency profile (plausible defaults, not vendor figures)
    tokens_per_second: float = 80.0
    needs_verification: bool = False  # SiliconFlow profile: 403 "requires real-name authentication"
    max_images: int = 500
    max_image_bytes: int = 50 * 1024 * 1024
    created: int = 1_700_000_000
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Embedding models (PROTOCOL-embeddings.md §3.1, §5): the native vector size (0: not an embedding
    # model), whether ``dimensions`` may shorten it, and, when the vendor lists them, the sizes allowed.
    # For these models ``context_window`` is the most tokens one input may have.
    embedding_dims: int = 0
    shortenable: bool = False
    dimension_choices: tuple[int, ...] = ()

    @property
    def answered_name(self) -> str:
        return self.snapshot or self.id


def _m(model_id: str, **kw: Any) -> ModelInfo:
    return ModelInfo(id=model_id, **kw)


_GPT4O = dict(context_window=128_000, max_output_tokens=16_384, vision=True, system_fingerprint="fp_7c2b1e4a9d")
_PATCH_MINI = VisionPolicy("patch", multiplier=1.62)
_CLAUDE_1M = dict(
    owned_by="anthropic",
    context_window=1_000_000,
    max_output_tokens=128_000,
    vision=True,
    vision_policy=CLAUDE_AREA,
    created=1_771_200_000,
)
_CLAUDE_200K = dict(
    owned_by="anthropic",
    context_window=200_000,
    max_output_tokens=64_000,
    vision=True,
    vision_policy=CLAUDE_AREA,
    created=1_759_276_800,
)
_PATCH_NANO = VisionPolicy("patch", multiplier=2.46)

#: OpenAI's own families plus every model named in the gateways' docs (issue #3 §5).
BUILTIN_MODELS: tuple[ModelInfo, ...] = (
    # --- OpenAI -----------------------------------------------------------------------------
    _m(
        "gpt-4o",
        snapshot="gpt-4o-2024-08-06",
        input_price=2.5,
        output_price=10.0,
        ttft_ms=350,
        tokens_per_second=90,
        **_GPT4O,
    ),  # type: ignore[arg-type]
    _m("gpt-4o-2024-08-06", input_price=2.5, output_price=10.0, **_GPT4O),  # type: ignore[arg-type]
    _m("gpt-4o-2024-11-20", input_price=2.5, output_price=10.0, **_GPT4O),  # type: ignore[arg-type]
    _m(
        "gpt-4o-mini",
        snapshot="gpt-4o-mini-2024-07-18",
        input_price=0.15,
        output_price=0.6,
        vision_policy=VisionPolicy("tile", 2833, 5667),
        ttft_ms=250,
        tokens_per_second=110,
        **_GPT4O,
    ),  # type: ignore[arg-type]
    _m(
        "gpt-4o-audio-preview",
        input_price=2.5,
        output_price=10.0,
        audio=True,
        context_window=128_000,
        max_output_tokens=16_384,
    ),
    _m(
        "gpt-4o-search-preview",
        snapshot="gpt-4o-search-preview-2025-03-11",
        input_price=2.5,
        output_price=10.0,
        search=True,
        system_fingerprint="",  # VCR chat-web-search: "" rather than null or fp_
        context_window=128_000,
        max_output_tokens=16_384,
    ),
    _m(
        "gpt-4o-mini-search-preview",
        snapshot="gpt-4o-mini-search-preview-2025-03-11",
        input_price=0.15,
        output_price=0.6,
        search=True,
        system_fingerprint="",  # VCR chat-web-search: "" rather than null or fp_
        context_window=128_000,
        max_output_tokens=16_384,
    ),
    _m(
        "gpt-4.1",
        snapshot="gpt-4.1-2025-04-14",
        context_window=1_047_576,
        max_output_tokens=32_768,
        vision=True,
        input_price=2.0,
        output_price=8.0,
    ),
    _m(
        "gpt-4.1-mini",
        snapshot="gpt-4.1-mini-2025-04-14",
        context_window=1_047_576,
        max_output_tokens=32_768,
        vision=True,
        input_price=0.4,
        output_price=1.6,
        vision_policy=_PATCH_MINI,
    ),
    _m(
        "gpt-4.1-nano",
        snapshot="gpt-4.1-nano-2025-04-14",
        context_window=1_047_576,
        max_output_tokens=32_768,
        vision=True,
        input_price=0.1,
        output_price=0.4,
        vision_policy=_PATCH_NANO,
    ),
    _m(
        "gpt-5",
        snapshot="gpt-5-2025-08-07",
        context_window=400_000,
        max_output_tokens=128_000,
        vision=True,
        reasoning="openai",
        input_price=1.25,
        output_price=10.0,
        vision_policy=VisionPolicy("tile", 70, 140),
        ttft_ms=900,
        tokens_per_second=60,
    ),
    _m(
        "gpt-5-mini",
        snapshot="gpt-5-mini-2025-08-07",
        context_window=400_000,
        max_output_tokens=128_000,
        vision=True,
        reasoning="openai",
        input_price=0.25,
        output_price=2.0,
        vision_policy=VisionPolicy("patch", multiplier=1.2),
        ttft_ms=700,
        tokens_per_second=80,
    ),
    _m(
        "gpt-5-nano",
        snapshot="gpt-5-nano-2025-08-07",
        context_window=400_000,
        max_output_tokens=128_000,
        vision=True,
        reasoning="openai",
        input_price=0.05,
        output_price=0.4,
        vision_policy=VisionPolicy("patch", multiplier=1.5),
        ttft_ms=600,
        tokens_per_second=100,
    ),
    _m(
        "o1",
        snapshot="o1-2024-12-17",
        context_window=200_000,
        max_output_tokens=100_000,
        vision=True,
        reasoning="openai",
        input_price=15.0,
        output_price=60.0,
        vision_policy=VisionPolicy("tile", 75, 150),
    ),
    _m(
        "o3",
        snapshot="o3-2025-04-16",
        context_window=200_000,
        max_output_tokens=100_000,
        vision=True,
        reasoning="openai",
        input_price=2.0,
        output_price=8.0,
        vision_policy=VisionPolicy("tile", 75, 150),
    ),
    _m(
        "o3-mini",
        snapshot="o3-mini-2025-01-31",
        context_window=200_000,
        max_output_tokens=100_000,
        reasoning="openai",
        input_price=1.1,
        output_price=4.4,
    ),
    _m(
        "o4-mini",
        snapshot="o4-mini-2025-04-16",
        context_window=200_000,
        max_output_tokens=100_000,
        vision=True,
        reasoning="openai",
        input_price=1.1,
        output_price=4.4,
        vision_policy=VisionPolicy("patch", multiplier=1.72),
    ),
    _m(
        "gpt-4-turbo",
        snapshot="gpt-4-turbo-2024-04-09",
        encoding="cl100k_base",
        max_output_tokens=4_096,
        vision=True,
        input_price=10.0,
        output_price=30.0,
        system_fingerprint="fp_5d1a7c3e2b",
    ),
    _m(
        "gpt-4",
        snapshot="gpt-4-0613",
        encoding="cl100k_base",
        context_window=8_192,
        max_output_tokens=8_192,
        input_price=30.0,
        output_price=60.0,
    ),
    _m(
        "gpt-3.5-turbo",
        snapshot="gpt-3.5-turbo-0125",
        encoding="cl100k_base",
        context_window=16_385,
        max_output_tokens=4_096,
        input_price=0.5,
        output_price=1.5,
        system_fingerprint="fp_0165350fbb",
    ),
    # --- SiliconFlow (DeepSeek / Qwen); vendor tokenizers approximated with o200k_base ---------
    _m(
        "deepseek-ai/DeepSeek-V3",
        owned_by="deepseek-ai",
        context_window=65_536,
        max_output_tokens=8_192,
        input_price=0.27,
        output_price=1.1,
    ),
    _m(
        "deepseek-ai/DeepSeek-V2.5",
        owned_by="deepseek-ai",
        context_window=32_768,
        max_output_tokens=4_096,
        input_price=0.18,
        output_price=0.18,
    ),
    _m(
        "deepseek-ai/DeepSeek-R1",
        owned_by="deepseek-ai",
        context_window=65_536,
        max_output_tokens=16_384,
        reasoning="visible",
        input_price=0.55,
        output_price=2.19,
        ttft_ms=1200,
        tokens_per_second=40,
    ),
    _m(
        "deepseek-ai/deepseek-vl2",
        owned_by="deepseek-ai",
        context_window=4_096,
        max_output_tokens=4_096,
        vision=True,
        input_price=0.14,
        output_price=0.14,
    ),
    _m(
        "Qwen/Qwen2.5-Math-72B-Instruct",
        owned_by="Qwen",
        context_window=4_096,
        max_output_tokens=4_096,
        input_price=0.57,
        output_price=0.57,
    ),
    _m(
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        owned_by="Qwen",
        context_window=32_768,
        max_output_tokens=4_096,
        input_price=0.18,
        output_price=0.18,
    ),
    _m(
        "Qwen/QVQ-72B-Preview",
        owned_by="Qwen",
        context_window=32_768,
        max_output_tokens=16_384,
        vision=True,
        reasoning="visible",
        input_price=1.2,
        output_price=1.2,
    ),
    # SiliconFlow's "Pro/" tier: the model the 403 "requires real-name authentication" rule is shown on
    # (which models SiliconFlow gates is an account matter; the doc's own examples all answer, so none of
    # their models is flagged). Flag any other model with ``needs_verification: true`` in a ``models:`` entry.
    _m(
        "Pro/deepseek-ai/DeepSeek-R1",
        owned_by="deepseek-ai",
        context_window=65_536,
        max_output_tokens=16_384,
        reasoning="visible",
        input_price=0.55,
        output_price=2.19,
        ttft_ms=1200,
        tokens_per_second=40,
        needs_verification=True,
    ),
    # --- Anthropic (the Messages API; MyTokenGate serves the first three over chat) -------------
    # Limits from Anthropic's model pages (PROTOCOL-anthropic.md §9). Anthropic's tokenizer is not public:
    # Claude models count with o200k_base, the approximation used everywhere (usage, count_tokens,
    # max_tokens cuts, context errors, TPM). ``extra["thinking"] == "adaptive"``: only adaptive thinking.
    _m("claude-opus-4-6", input_price=15.0, output_price=75.0, **_CLAUDE_1M),  # type: ignore[arg-type]
    _m("claude-sonnet-4-6", input_price=3.0, output_price=15.0, **_CLAUDE_1M),  # type: ignore[arg-type]
    _m("claude-haiku-4-5-20251001", input_price=1.0, output_price=5.0, **_CLAUDE_200K),  # type: ignore[arg-type]
    _m(
        "claude-opus-4-7",
        input_price=5.0,
        output_price=25.0,
        extra={"thinking": "adaptive"},
        **_CLAUDE_1M,
    ),  # type: ignore[arg-type]
    _m(
        "claude-haiku-4-5",
        snapshot="claude-haiku-4-5-20251001",
        input_price=1.0,
        output_price=5.0,
        **_CLAUDE_200K,
    ),  # type: ignore[arg-type]
    _m(
        "claude-sonnet-4-5",
        snapshot="claude-sonnet-4-5-20250929",
        input_price=3.0,
        output_price=15.0,
        **_CLAUDE_200K,
    ),  # type: ignore[arg-type]
    _m(
        "claude-opus-4-5",
        snapshot="claude-opus-4-5-20251101",
        input_price=5.0,
        output_price=25.0,
        **_CLAUDE_200K,
    ),  # type: ignore[arg-type]
    _m(
        "claude-opus-4-1",
        snapshot="claude-opus-4-1-20250805",
        input_price=15.0,
        output_price=75.0,
        **{**_CLAUDE_200K, "max_output_tokens": 32_000},
    ),  # type: ignore[arg-type]
    # --- Google (served by MyTokenGate) --------------------------------------------------------
    _m(
        "gemini-2.5-pro",
        owned_by="google",
        context_window=1_048_576,
        max_output_tokens=65_536,
        vision=True,
        audio=True,
        input_price=1.25,
        output_price=10.0,
    ),
    _m(
        "gemini-2.5-flash",
        owned_by="google",
        context_window=1_048_576,
        max_output_tokens=65_536,
        vision=True,
        audio=True,
        input_price=0.3,
        output_price=2.5,
    ),
    _m(
        "gemini-3.1-pro-preview",
        owned_by="google",
        context_window=1_048_576,
        max_output_tokens=65_536,
        vision=True,
        audio=True,
        input_price=2.0,
        output_price=12.0,
    ),
    _m(
        "gemini-2.5-flash-image",
        owned_by="google",
        context_window=32_768,
        max_output_tokens=32_768,
        vision=True,
        input_price=0.3,
        output_price=2.5,
    ),
    _m(
        "gemini-3-pro-image-preview",
        owned_by="google",
        context_window=65_536,
        max_output_tokens=32_768,
        vision=True,
        input_price=2.0,
        output_price=12.0,
    ),
    _m(
        "gemini-3.1-flash-image-preview",
        owned_by="google",
        context_window=65_536,
        max_output_tokens=32_768,
        vision=True,
        input_price=0.5,
        output_price=3.0,
    ),
    # --- Alibaba OpenSearch -----------------------------------------------------------------
    _m(
        "ops-qwen-turbo",
        owned_by="alibaba",
        context_window=32_768,
        max_output_tokens=8_192,
        input_price=0.3,
        output_price=0.6,
    ),
)


def _embedding(model_id: str, dims: int, price: float, **kw: Any) -> ModelInfo:
    fields: dict[str, Any] = dict(
        context_window=8_192, max_output_tokens=1, encoding="cl100k_base", input_price=price, output_price=0.0
    )
    fields.update(kw)
    return ModelInfo(id=model_id, embedding_dims=dims, **fields)


_QWEN3_SIZES = (64, 128, 256, 512, 768, 1024, 1536, 2048, 2560, 4096)

#: Embedding models: OpenAI's three (PROTOCOL-embeddings.md §3.1; ``owned_by`` as ``/v1/models`` lists
#: them) and the ones SiliconFlow's API reference names (§5; its tokenizers approximated with cl100k_base).
#: The reference gives no USD prices for SiliconFlow's models: they cost 0 until a ``models:`` entry in a
#: fixture file sets ``input_price``.
EMBEDDING_MODELS: tuple[ModelInfo, ...] = (
    _embedding("text-embedding-3-small", 1536, 0.02, owned_by="system", shortenable=True, created=1705948997),
    _embedding("text-embedding-3-large", 3072, 0.13, owned_by="system", shortenable=True, created=1705953180),
    _embedding("text-embedding-ada-002", 1536, 0.10, owned_by="openai-internal", created=1671217299),
    _embedding("BAAI/bge-large-zh-v1.5", 1024, 0.0, owned_by="BAAI", context_window=512),
    _embedding("BAAI/bge-large-en-v1.5", 1024, 0.0, owned_by="BAAI", context_window=512),
    _embedding("netease-youdao/bce-embedding-base_v1", 768, 0.0, owned_by="netease-youdao", context_window=512),
    _embedding("BAAI/bge-m3", 1024, 0.0, owned_by="BAAI"),
    _embedding("Pro/BAAI/bge-m3", 1024, 0.0, owned_by="BAAI"),
    _embedding(
        "Qwen/Qwen3-Embedding-8B",
        4096,
        0.0,
        owned_by="Qwen",
        context_window=32_768,
        shortenable=True,
        dimension_choices=_QWEN3_SIZES,
    ),
    _embedding(
        "Qwen/Qwen3-Embedding-4B",
        2560,
        0.0,
        owned_by="Qwen",
        context_window=32_768,
        shortenable=True,
        dimension_choices=_QWEN3_SIZES[:9],
    ),
    _embedding(
        "Qwen/Qwen3-Embedding-0.6B",
        1024,
        0.0,
        owned_by="Qwen",
        context_window=32_768,
        shortenable=True,
        dimension_choices=_QWEN3_SIZES[:6],
    ),
)

BUILTIN_MODELS = BUILTIN_MODELS + EMBEDDING_MODELS


class Catalog:
    """Model lookup by exact id, then by dated snapshot name, then by glob patterns added by users
    (``id: "my-*"``)."""

    def __init__(self, models: Iterable[ModelInfo] = BUILTIN_MODELS) -> None:
        self._models: dict[str, ModelInfo] = {}
        self._snapshots: dict[str, str] = {}  # dated snapshot id -> the alias it answers for
        for model in models:
            self.add(model)

    def add(self, model: ModelInfo) -> None:
        self._models[model.id] = model
        if model.snapshot and model.snapshot != model.id:
            self._snapshots[model.snapshot] = model.id

    def copy(self) -> Catalog:
        return Catalog(self._models.values())

    def get(self, model_id: str) -> ModelInfo | None:
        found = self._models.get(model_id)
        if found is not None:
            return found
        alias = self._snapshots.get(model_id)
        if alias is not None and alias in self._models:
            # The dated name the API answers with ("gpt-4o-mini-2024-07-18") is a model id too: clients
            # send it back (pinned versions, replayed transcripts), and the real API accepts it.
            return replace(self._models[alias], id=model_id, snapshot=None)
        for pattern, model in self._models.items():
            if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(model_id, pattern):
                return replace(model, id=model_id, snapshot=None)
        return None

    def require(self, model_id: str) -> ModelInfo:
        model = self.get(model_id)
        if model is None:
            raise ApiError.model_not_found(model_id)
        return model

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models.values())

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, model_id: object) -> bool:
        return isinstance(model_id, str) and self.get(model_id) is not None
