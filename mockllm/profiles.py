"""Gateway profiles: the dialect each gateway speaks, as data plus the few rules data cannot say.

``--profile`` picks one. A profile bundles what the gateway's own documentation promises
(``/work/shared/reference/gateway-docs``, PROTOCOL.md §4 and §10):

* ``models``: the catalog it serves (``GET /v1/models`` and what ``model`` may name), with per-gateway
  changes to the shared entries (MyTokenGate's vision list, SiliconFlow's empty ``system_fingerprint``);
* ``dialect``: validation as data (extra parameters and their ranges, roles, conversation rules);
* ``rules``: checks that need the resolved model (SiliconFlow's 403 for unverified models, the
  sampling parameters search models refuse);
* ``extensions``: response changes applied after the answer is decided (SiliconFlow's
  ``thinking_budget``, ``url_citation`` annotations of search models);
* how its answers look on the wire: extra headers, the id format, fields every stream delta carries.

Why data first: a gateway is mostly "OpenAI, but ...", and a table of differences is easy to check
against the gateway's docs line by line; code is kept for what a table cannot say. The ``openai``
profile is the default and serves *every* built-in model under OpenAI's rules, so tests written
against it can use any model name the gateways document.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from .apis.chat.validate import OPENAI, Dialect, ParamRule
from .core import tokens
from .core.catalog import BUILTIN_MODELS, Catalog, ModelInfo
from .core.conversation import Conversation
from .core.errors import ApiError
from .core.ids import RequestIds
from .core.reply import Reply

__all__ = [
    "MYTOKENGATE",
    "OPENSEARCH",
    "PROFILES",
    "SEARCH_REFUSED_PARAMS",
    "SILICONFLOW",
    "TOKENSMIND",
    "Profile",
    "get_profile",
    "search_citations",
    "thinking_budget",
]

Rule = Callable[[Conversation, ModelInfo], None]
Extension = Callable[[Conversation, ModelInfo, Reply, RequestIds], Reply]


# ----- ids and headers ------------------------------------------------------------------------------


def _uuid(ids: RequestIds, label: str) -> uuid.UUID:
    """A version-4-shaped UUID derived from the request's ids, so reruns with one seed repeat it."""
    digest = hashlib.blake2b(ids.request().encode() + label.encode(), digest_size=16).digest()
    return uuid.UUID(bytes=digest, version=4)


def openai_completion_id(model: ModelInfo, ids: RequestIds) -> str | None:
    """OpenAI's search-preview models answer ``chatcmpl-<uuid4>`` (PROTOCOL.md §3, VCR chat-web-search);
    None leaves the usual ``chatcmpl-`` + 29 alphanumerics to shaping."""
    return f"chatcmpl-{_uuid(ids, 'completion')}" if model.search else None


def _opensearch_id(model: ModelInfo, ids: RequestIds) -> str | None:
    """OpenSearch's response table shows a bare upper-case UUID (``2244F3A8-4201-4F37-BF86-42013B1026D6``)."""
    return str(_uuid(ids, "completion")).upper()


def _siliconflow_id(model: ModelInfo, ids: RequestIds) -> str | None:
    """SiliconFlow answers 32 hex digits without a prefix (captured streams: ``01983a922eff7e1c…``)."""
    return _uuid(ids, "completion").hex


def _siliconflow_headers(ids: RequestIds) -> dict[str, str]:
    """SiliconFlow's API reference documents an ``x-siliconcloud-trace-id`` on every answer."""
    return {"x-siliconcloud-trace-id": _uuid(ids, "trace").hex}


def _no_headers(ids: RequestIds) -> dict[str, str]:
    return {}


def _every_model(model: ModelInfo) -> bool:
    return True


# ----- the profile ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Profile:
    """One gateway. Every field defaults to OpenAI's behaviour; see the module docstring for each role.

    ``models`` lists the ids the gateway serves (None: every built-in model); ``model_changes`` are
    field overrides applied to each of them; ``vision_models``, when set, is the complete list of
    models that accept images (the gateway's docs name them). ``completion_id`` returns the answer's
    id or None for OpenAI's default format. ``delta_defaults`` are members every streamed delta
    carries when it has no value of its own (SiliconFlow sends ``"reasoning_content": null``).
    """

    name: str
    summary: str = ""
    dialect: Dialect = OPENAI
    models: tuple[str, ...] | None = None
    model_filter: Callable[[ModelInfo], bool] = _every_model
    model_changes: Mapping[str, Any] = field(default_factory=dict)
    vision_models: frozenset[str] | None = None
    extra_headers: Callable[[RequestIds], dict[str, str]] = _no_headers
    rules: tuple[Rule, ...] = ()
    extensions: tuple[Extension, ...] = ()
    completion_id: Callable[[ModelInfo, RequestIds], str | None] = openai_completion_id
    delta_defaults: Mapping[str, Any] = field(default_factory=dict)
    #: ``/v1/embeddings`` answers: "openai" (``object: list``, usage without completion tokens) or
    #: "siliconflow" (no top-level ``object``, ``completion_tokens: 0``; PROTOCOL-embeddings.md §5, §9).
    embedding_style: str = "openai"

    def catalog(self) -> Catalog:
        """The models this gateway serves, in the built-in catalog's order, with the profile's changes."""
        chosen: list[ModelInfo] = []
        for model in BUILTIN_MODELS:
            if (self.models is not None and model.id not in self.models) or not self.model_filter(model):
                continue
            changes = dict(self.model_changes)
            if self.vision_models is not None:
                changes["vision"] = model.id in self.vision_models
            chosen.append(replace(model, **changes) if changes else model)
        return Catalog(chosen)

    def check(self, request: Conversation, model: ModelInfo) -> None:
        for rule in self.rules:
            rule(request, model)

    def extend(self, request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
        """Response extensions of the gateway (annotations, reasoning, ...), applied after decide."""
        for extension in self.extensions:
            reply = extension(request, model, reply, ids)
        return reply

    def response_headers(self, ids: RequestIds) -> dict[str, str]:
        return self.extra_headers(ids)


def _choices(reply: Reply) -> list[Reply]:
    return reply.choices if reply.choices else [reply]


# ----- rules ----------------------------------------------------------------------------------------

#: What ``*-search-preview`` models refuse. The first four are in captured OpenAI errors ("Model
#: incompatible request arguments supplied: frequency_penalty, presence_penalty, temperature, top_p");
#: ``n`` and the logprobs pair follow Tokensmind's note that search models take no "temperature and
#: similar fine-grained parameters" [UNVERIFIED against the live API].
SEARCH_REFUSED_PARAMS: tuple[str, ...] = (
    "frequency_penalty", "logprobs", "n", "presence_penalty", "temperature", "top_logprobs", "top_p",
)  # fmt: skip


def refuse_search_sampling(request: Conversation, model: ModelInfo) -> None:
    """OpenAI's own wording: every offending name, sorted, comma-joined; ``param`` and ``code`` null.

    Any non-null value counts (``temperature: 1`` too): the API refuses the argument, not the value.
    """
    if not model.search:
        return
    given = [name for name in SEARCH_REFUSED_PARAMS if request.raw.get(name) is not None]
    if given:
        noun = "argument" if len(given) == 1 else "arguments"
        raise ApiError(400, f"Model incompatible request {noun} supplied: {', '.join(given)}")


def require_verification(request: Conversation, model: ModelInfo) -> None:
    """SiliconFlow's error table: 403 "Insufficient permissions — the most common reason is that the model
    requires real-name authentication". Written in OpenAI's error shape so SDKs raise their 403 class
    (``PermissionDeniedError``) with a message that says what to do."""
    if model.needs_verification:
        raise ApiError(
            403,
            f"Insufficient permissions: the model `{model.id}` requires real-name authentication. Complete "
            "real-name verification for your account (https://cloud.siliconflow.cn/account/authentication) "
            "and try again.",
            param="model",
            code="real_name_verification_required",
        )


# ----- extensions -----------------------------------------------------------------------------------


def thinking_budget(request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
    """SiliconFlow's ``thinking_budget``: the most reasoning tokens a reasoning model may emit.

    The reasoning text is cut to that many tokens of the model's encoding (never inside a UTF-8
    character), so ``usage.completion_tokens_details.reasoning_tokens`` never exceeds the budget; the
    answer itself is untouched, as the budget only bounds the chain of thought.
    """
    budget = request.extras.get("thinking_budget")
    if budget is None or model.reasoning != "visible":
        return reply
    from .core.shaping import safe_text  # shaping imports nothing from here; local import keeps start-up lean

    for choice in _choices(reply):
        if choice.reasoning_content:
            token_list = tokens.encode(choice.reasoning_content, model.encoding)
            if len(token_list) > budget:
                choice.reasoning_content = safe_text(token_list[:budget], model.encoding)
    return reply


#: Where generated citations point: (domain, site name, path template). Fixed data, so the same request
#: always cites the same pages; ``{slug}`` is the topic joined with dashes, ``{wiki}`` with underscores.
_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("en.wikipedia.org", "Wikipedia", "wiki/{wiki}"),
    ("www.britannica.com", "Britannica", "topic/{slug}"),
    ("www.reuters.com", "Reuters", "world/{slug}"),
    ("apnews.com", "AP News", "article/{slug}"),
    ("www.bbc.com", "BBC", "news/{slug}"),
    ("www.nature.com", "Nature", "articles/{slug}"),
)
_CITATIONS = {"low": 1, "medium": 2, "high": 3}  # by web_search_options.search_context_size (default medium)
_STOPWORDS = frozenset(
    "the a an and or of to in on for with about from what who whom whose which when where why how is are was "
    "were be been do does did can could should would will tell me my your our their this that these those "
    "please give show find today latest news any some into over under than then there here it its".split()
)
_WORD = re.compile(r"[A-Za-z0-9]+|[\u3400-\u4dbf\u4e00-\u9fff]+")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？]")


def _topic(text: str) -> list[str]:
    """Up to four content words of the question (CJK runs count as words)."""
    words = [w for w in _WORD.findall(text) if w.lower() not in _STOPWORDS and (len(w) > 2 or not w.isascii())]
    return words[:4]


def citations_for(request: Conversation, count: int) -> list[tuple[str, str, str]]:
    """``count`` (label, url, title) triples derived from the last user message alone, so the same question
    cites the same pages on every run. URLs carry ``?utm_source=openai`` as the real ones do."""
    words = _topic(request.last_user_text) or ["search", "results"]
    topic = " ".join(w.capitalize() if w.isascii() else w for w in words)
    slug = quote("-".join(w.lower() for w in words))
    wiki = quote("_".join(words).capitalize())
    start = hashlib.blake2b(topic.encode(), digest_size=2).digest()[0] % len(_SOURCES)
    out: list[tuple[str, str, str]] = []
    for k in range(min(count, len(_SOURCES))):
        domain, site, path = _SOURCES[(start + k) % len(_SOURCES)]
        url = f"https://{domain}/{path.format(slug=slug, wiki=wiki)}?utm_source=openai"
        out.append((domain.removeprefix("www."), url, f"{topic} - {site}"))
    return out


def cite(content: str, sources: list[tuple[str, str, str]]) -> tuple[str, list[dict[str, Any]]]:
    """Insert `` ([label](url))`` after evenly spaced sentences and return the text and its annotations.

    Each annotation spans exactly its inserted ``([label](url))`` (Python string indices, i.e. code
    points), the way the real answers' spans cover their markdown links.
    """
    ends = [m.end() for m in _SENTENCE_END.finditer(content)] or [len(content)]
    k = len(sources)
    picks = sorted({ends[max(0, round((i + 1) * len(ends) / k) - 1)] for i in range(k)})
    while len(picks) < k:  # fewer sentences than citations: the rest go at the end
        picks.append(len(content))
    out: list[str] = []
    annotations: list[dict[str, Any]] = []
    cursor = length = 0
    for position, (label, url, title) in zip(picks, sources, strict=True):
        piece = content[cursor:position]
        out.append(piece)
        length += len(piece)
        link = f"([{label}]({url}))"
        out.append(" " + link)
        start = length + 1
        length += 1 + len(link)
        annotations.append(
            {
                "type": "url_citation",
                "url_citation": {"start_index": start, "end_index": length, "url": url, "title": title},
            }
        )
        cursor = position
    out.append(content[cursor:])
    return "".join(out), annotations


def search_citations(request: Conversation, model: ModelInfo, reply: Reply, ids: RequestIds) -> Reply:
    """Search-preview models cite their sources: ``url_citation`` annotations over markdown links.

    Only generated answers are annotated; a fixture's content (and its ``annotations``, if any) is
    sent as written. ``web_search_options.search_context_size`` sets how many sources are cited
    (low 1, medium 2, high 3).
    """
    if not model.search:
        return reply
    options = request.web_search_options or {}
    count = _CITATIONS.get(options.get("search_context_size") or "medium", 2)
    sources = citations_for(request, count)
    for choice in _choices(reply):
        if choice.source != "generator" or not choice.content or choice.annotations or choice.tool_calls:
            continue
        choice.content, choice.annotations = cite(choice.content, sources)
    return reply


# ----- the gateways ---------------------------------------------------------------------------------

_OPENAI_MODELS = tuple(m.id for m in BUILTIN_MODELS if m.owned_by == "openai")

OPENAI_PROFILE = Profile(
    "openai",
    summary="OpenAI's rules; serves every built-in model (OpenAI's and the gateways')",
    rules=(refuse_search_sampling,),
    extensions=(search_citations,),
)

#: SiliconFlow text-generation guide (001) and API reference (PROTOCOL.md §4): DeepSeek / Qwen models,
#: reasoning models answer ``reasoning_content``, and four extra sampling parameters.
SILICONFLOW = Profile(
    "siliconflow",
    summary="DeepSeek/Qwen catalog; top_k, min_p, enable_thinking, thinking_budget; reasoning_content",
    dialect=Dialect(
        name="siliconflow",
        extra_params={
            "top_k": ParamRule("int"),
            "min_p": ParamRule("number", 0, 1),
            "enable_thinking": ParamRule("bool"),
            "thinking_budget": ParamRule("int", 128, 32768),
        },
        # clients append the assistant message they got back, reasoning_content included
        extra_message_keys=frozenset({"reasoning_content"}),
    ),
    models=(
        "deepseek-ai/DeepSeek-V3",
        "deepseek-ai/DeepSeek-V2.5",
        "deepseek-ai/DeepSeek-R1",
        "Pro/deepseek-ai/DeepSeek-R1",
        "deepseek-ai/deepseek-vl2",
        "Qwen/Qwen2.5-Math-72B-Instruct",
        "Qwen/Qwen2.5-Coder-32B-Instruct",
        "Qwen/QVQ-72B-Preview",
        # embedding models of its API reference (PROTOCOL-embeddings.md §5)
        "BAAI/bge-large-zh-v1.5",
        "BAAI/bge-large-en-v1.5",
        "netease-youdao/bce-embedding-base_v1",
        "BAAI/bge-m3",
        "Pro/BAAI/bge-m3",
        "Qwen/Qwen3-Embedding-8B",
        "Qwen/Qwen3-Embedding-4B",
        "Qwen/Qwen3-Embedding-0.6B",
    ),
    model_changes={"system_fingerprint": ""},
    extra_headers=_siliconflow_headers,
    rules=(require_verification,),
    extensions=(thinking_budget,),
    completion_id=_siliconflow_id,
    # The guide's streaming example reads ``delta.reasoning_content`` on every chunk, for DeepSeek-V3 too;
    # openai-python raises AttributeError on an absent extra field, so the member must always be there.
    delta_defaults={"reasoning_content": None},
    embedding_style="siliconflow",
)

#: Alibaba OpenSearch "Large model responses" (004): system only first, user/assistant alternate,
#: content never empty, temperature in [0, 2), top_p in (0, 1), roles system/user/assistant.
OPENSEARCH = Profile(
    "opensearch",
    summary="ops-qwen-turbo; system first only, alternating turns, no empty content, temperature [0,2), top_p (0,1)",
    dialect=Dialect(
        name="opensearch",
        temperature_range=(0, 2, True, False),
        top_p_range=(0, 1, False, False),
        roles=("system", "user", "assistant"),
        system_first=True,
        alternate=True,
        nonempty_content=True,
    ),
    models=("ops-qwen-turbo",),
    completion_id=_opensearch_id,
)

#: Tokensmind first-call guide (002): an OpenAI reseller; ``developer`` role, ``seed`` and
#: ``web_search_options`` on the search-preview models, which refuse sampling parameters.
TOKENSMIND = Profile(
    "tokensmind",
    summary="OpenAI models only; developer role, seed, web_search_options with url_citation annotations",
    models=_OPENAI_MODELS,
    rules=(refuse_search_sampling,),
    extensions=(search_citations,),
)

#: MyTokenGate text (000) and vision (003) guides: Claude / GPT / Gemini behind one key; ``top_k`` in its
#: troubleshooting payload; exactly five vision models.
MYTOKENGATE = Profile(
    "mytokengate",
    summary="Claude/GPT/Gemini catalog; top_k accepted; images only on its five documented vision models",
    dialect=Dialect(name="mytokengate", extra_params={"top_k": ParamRule("int")}),
    models=(
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-haiku-4-5-20251001",
        "gpt-4o",
        "gpt-4.1",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-3.1-pro-preview",
        "gemini-2.5-flash-image",
        "gemini-3-pro-image-preview",
        "gemini-3.1-flash-image-preview",
    ),
    vision_models=frozenset(
        {
            "gpt-4o",
            "gemini-2.5-flash-image",
            "gemini-2.5-pro",
            "gemini-3-pro-image-preview",
            "gemini-3.1-flash-image-preview",
        }
    ),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (OPENAI_PROFILE, SILICONFLOW, OPENSEARCH, TOKENSMIND, MYTOKENGATE)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ApiError(400, f"Unknown profile {name!r}. Known profiles: {', '.join(sorted(PROFILES))}.") from None
