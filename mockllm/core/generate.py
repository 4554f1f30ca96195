"""The seeded generator: a deterministic answer for every request no fixture matched.

Determinism is the whole point. Everything drawn here comes from one ``random.Random`` seeded with a hash
of what makes the request distinct (model, messages, tools, response format, the request's ``seed``) and
the server's ``--seed``. Python's ``random`` is specified to give the same stream for the same seed on
every platform and version we support, and the word lists come from faker's locale providers (read once,
no Faker instance on the hot path), so two processes on two machines write byte-identical answers.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib.util
import json
import random
import re
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .catalog import ModelInfo
from .conversation import Conversation, ToolSpec
from .reply import Reply, ToolCallSpec

__all__ = ["Generator", "is_chinese", "request_digest"]


_QUOTED = re.compile(r'"([^"\\]*)"|\'([^\'\\]*)\'')


def _faker_words(locale: str) -> tuple[str, ...]:
    """``word_list`` of faker's lorem provider for ``locale``, read as data from its source file.

    Importing the provider imports all of faker (~50 ms of cold start) for two tuples of words. The
    tuple's quoted strings are read with a regex (well under a millisecond; nothing is executed); should
    faker ever write the list differently, ``ast.literal_eval`` of the parsed file is the fallback.
    """
    spec = importlib.util.find_spec("faker")
    if spec is None or spec.origin is None:  # pragma: no cover - faker is a dependency
        raise ImportError("faker is not installed")
    source = (Path(spec.origin).parent / "providers" / "lorem" / locale / "__init__.py").read_text(encoding="utf-8")
    start = source.find("word_list = (")
    end = source.find(")", start)
    if start >= 0 and end > start:
        words = tuple(a or b for a, b in _QUOTED.findall(source, start, end))
        if len(words) >= 100:
            return words
    for node in ast.walk(ast.parse(source)):  # pragma: no cover - a faker release laid out otherwise
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "word_list" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise ImportError(f"faker's lorem provider for {locale} has no word_list")  # pragma: no cover


_EN_WORDS: tuple[str, ...] = _faker_words("en_US")
_ZH_WORDS: tuple[str, ...] = _faker_words("zh_CN")
_ENDINGS = (".", ".", ".", ".", "?", "!")
_EFFORT_SCALE = {"none": 0.0, "minimal": 0.25, "low": 0.5, "medium": 1.0, "high": 2.0, "xhigh": 3.0, "max": 4.0}


def request_digest(request: Conversation, server_seed: int) -> bytes:
    """A stable digest of what makes a request distinct, mixed with the server seed.

    ``json.dumps(sort_keys=True)`` makes it independent of key order in the client's JSON, so two SDKs
    sending the same request get the same answer.
    """
    raw = request.raw
    if request.api != "chat":
        return _neutral_digest(request, server_seed)
    material = [
        request.model,
        raw.get("messages"),
        raw.get("tools"),
        raw.get("response_format"),
        raw.get("seed"),
        server_seed,
    ]
    if raw.get("functions") is not None:  # only when given, so every other request keeps its digest
        material += [raw.get("functions"), raw.get("function_call")]
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def _neutral_digest(request: Conversation, server_seed: int) -> bytes:
    """The digest of a request of another API, from the neutral conversation rather than chat's wire
    fields, so it changes with every message, tool and format (chat keeps its own, byte-stable digest)."""
    messages = [
        [m.role, m.text, m.tool_calls, m.tool_call_id, [p.image.sha256 if p.image else None for p in m.content or []]]
        if isinstance(m.content, list)
        else [m.role, m.text, m.tool_calls, m.tool_call_id]
        for m in request.messages
    ]
    tools = [[t.name, t.type, t.parameters] for t in request.tools]
    fmt = request.response_format
    material = [
        request.api,
        request.model,
        messages,
        tools,
        [fmt.type, fmt.name, fmt.schema],
        request.seed,
        server_seed,
    ]
    text = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile("[A-Za-z]")


def is_chinese(text: str) -> bool:
    """True when CJK ideographs make up a good share of the letters: answer in the user's language."""
    if text.isascii():
        return False
    head = text[:2000]
    cjk = len(_CJK.findall(head))
    return cjk > 0 and cjk * 3 >= len(_LATIN.findall(head))


def _english(rng: random.Random, sentences: int) -> str:
    out: list[str] = []
    for _ in range(sentences):
        count = rng.randint(6, 16)
        words = rng.choices(_EN_WORDS, k=count)
        if count > 9 and rng.random() < 0.4:
            words[rng.randint(3, count - 4)] += ","
        words[0] = words[0].capitalize()
        out.append(" ".join(words) + rng.choice(_ENDINGS))
    return " ".join(out)


def _chinese(rng: random.Random, sentences: int) -> str:
    out: list[str] = []
    for _ in range(sentences):
        count = rng.randint(4, 10)
        words = rng.choices(_ZH_WORDS, k=count)
        if count > 6 and rng.random() < 0.5:
            words[rng.randint(2, count - 3)] += "，"
        out.append("".join(words) + "。")
    return "".join(out)


def prose(rng: random.Random, chinese: bool, sentences: int) -> str:
    return _chinese(rng, sentences) if chinese else _english(rng, sentences)


def _words(text: str) -> set[str]:
    cleaned = "".join(ch.lower() if ch.isalnum() else " " for ch in text)
    return {w for w in cleaned.split() if len(w) > 2}


def tool_to_call(request: Conversation) -> list[ToolSpec]:
    """Which tools the generator calls, by a rule users can predict (documented in the README).

    - ``none`` (or no tools): no call.
    - a named function: that function.
    - ``required``: the best-matching offered tool, else the first.
    - ``auto``: a tool is called only when the conversation does not end with tool results and a word of
      the tool's name (split on ``_``/``-``) appears in the last user message; with
      ``parallel_tool_calls`` every such tool is called, else only the first.
    """
    if request.functions and not request.tools:
        # The deprecated ``functions`` / ``function_call``: the same rule, one call at most.
        legacy = dataclasses.replace(request, tools=request.functions, tool_choice=request.function_choice)
        return tool_to_call(legacy)[:1]
    choice = request.tool_choice
    tools = list(request.tools)
    if choice.allowed is not None:
        tools = [t for t in tools if t.name in choice.allowed]
    if choice.mode == "none" or not tools:
        return []
    if choice.name is not None:
        return [t for t in tools if t.name == choice.name][:1]
    user_words = _words(request.last_user_text)
    hits = [t for t in tools if _words(t.name.replace("_", " ").replace("-", " ")) & user_words]
    if choice.mode == "required":
        return (hits or tools)[: (len(hits) if request.parallel_tool_calls and hits else 1)]
    if request.ends_with_tool_result or not hits:
        return []
    return hits if request.parallel_tool_calls else hits[:1]


def copy_reply(reply: Reply) -> Reply:
    """A copy the caller may mutate (fault, source, profile extensions) without touching the original.

    ``ToolCallSpec`` is frozen, so copying the lists is enough; for ``n > 1`` the first choice is the
    reply itself, and stays so in the copy.
    """
    first = dataclasses.replace(reply, tool_calls=list(reply.tool_calls), annotations=list(reply.annotations))
    if reply.choices:
        first.choices = [
            first
            if c is reply
            else dataclasses.replace(c, tool_calls=list(c.tool_calls), annotations=list(c.annotations))
            for c in reply.choices
        ]
    return first


class Generator:
    """Builds ``Reply`` objects from a request alone. Stateless apart from the server seed.

    Answers are pure functions of the request, so the last ``memo_size`` are memoised: a test suite or a
    load test sends the same request many times, and drawing ~150 words costs more than everything else
    a request does. The memo is keyed by everything :meth:`_choice` reads.
    """

    def __init__(self, server_seed: int = 0, memo_size: int = 512) -> None:
        self.server_seed = server_seed
        self.memo_size = memo_size
        self._memo: OrderedDict[tuple[Any, ...], Reply] = OrderedDict()

    def reply(self, request: Conversation, model: ModelInfo, digest: bytes | None = None) -> Reply:
        """The answer for ``request``; ``digest`` (from :func:`request_digest`) saves hashing twice."""
        if digest is None:
            digest = request_digest(request, self.server_seed)
        key = (
            digest,
            model.id,
            model.reasoning,
            request.n,
            request.reasoning_effort,
            request.extras.get("enable_thinking", True) is not False,
            request.parallel_tool_calls,
            repr(request.tool_choice),
        )
        memo = self._memo
        cached = memo.get(key)
        if cached is None:
            base = int.from_bytes(digest, "big")
            choices = [self._choice(request, model, random.Random(base + index)) for index in range(request.n)]
            cached = choices[0]
            if request.n > 1:
                cached.choices = choices
            memo[key] = cached
            if len(memo) > self.memo_size:
                memo.popitem(last=False)
        return copy_reply(cached)

    def _choice(self, request: Conversation, model: ModelInfo, rng: random.Random) -> Reply:
        chinese = is_chinese(request.last_user_text)
        reply = Reply(source="generator")
        calls = tool_to_call(request)
        if calls:
            legacy = bool(request.functions) and not request.tools  # answered as message.function_call
            reply.tool_calls = [
                ToolCallSpec(
                    name=t.name,
                    arguments=self._arguments(t, rng, request.last_user_text, chinese),
                    type="legacy_function" if legacy else t.type,
                )
                for t in calls
            ]
        else:
            reply.content = self._content(request, rng, chinese)
        if model.reasoning == "visible" and request.extras.get("enable_thinking", True) is not False:
            reply.reasoning_content = prose(rng, chinese, rng.randint(2, 5))
        elif model.reasoning == "openai":
            scale = _EFFORT_SCALE.get(request.reasoning_effort or "medium", 1.0)
            reply.hidden_reasoning_tokens = int(rng.randint(64, 320) * scale)
        return reply

    def _content(self, request: Conversation, rng: random.Random, chinese: bool) -> str:
        fmt = request.response_format
        if fmt.type == "json_schema" and fmt.schema is not None:
            from .structured import instance_for_schema

            return json.dumps(instance_for_schema(fmt.schema, rng, hint=request.last_user_text), ensure_ascii=False)
        if fmt.type == "json_object":
            from .structured import json_object_for_prompt

            return json.dumps(json_object_for_prompt(request.last_user_text, rng), ensure_ascii=False)
        text = prose(rng, chinese, rng.randint(2, 12))
        images = request.images
        if images:
            from .vision import describe_image

            described = "; ".join(describe_image(image) for image in images[:8])
            lead = f"图片内容：{described}。" if chinese else f"I see {len(images)} image(s): {described}. "
            text = lead + text
        return text

    @staticmethod
    def _arguments(tool: ToolSpec, rng: random.Random, hint: str, chinese: bool = False) -> str:
        if tool.type == "custom":  # free-form input, no schema: a sentence, as a model would write it
            return prose(rng, chinese, 1)
        schema: Any = tool.parameters or {"type": "object", "properties": {}}
        from .structured import instance_for_schema

        return json.dumps(instance_for_schema(schema, rng, hint=hint), ensure_ascii=False)


def choice_texts(reply: Reply) -> Sequence[Reply]:
    """The per-choice replies of a (possibly multi-choice) reply."""
    return reply.choices if reply.choices else [reply]
