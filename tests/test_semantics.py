"""Issue #6: request semantics through the real ``openai`` SDK, streamed and not.

Covered: stop sequences, max_tokens / max_completion_tokens (incl. reasoning budgets), json_object,
json_schema (+ ``chat.completions.parse`` with 20 pydantic models), tools and tool_choice, n / seed /
logprobs. Every expectation is computed independently of the server: token counts come from the real
o200k_base tokenizer (``mockllm.core.tokens.encode`` is a plain ``tiktoken.Encoding``), truncated text from
decoding the token bytes ourselves, and generated JSON is checked with ``jsonschema``.

Every 200 body is validated against ``CreateChatCompletionResponse`` and every chunk against
``CreateChatCompletionStreamResponse`` (tests/spec.py).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum, IntEnum, StrEnum
from typing import Any, Literal

import jsonschema
import openai
import pytest
import spec
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, Field

from mockllm.config import Settings
from mockllm.core import tokens
from mockllm.server import MockServer

ENC = "o200k_base"
CALL_ID = re.compile(r"^call_[A-Za-z0-9]{24}$")

# ===== fixture replies ================================================================================

EN_LONG = (
    "The history of the lighthouse is a story of stubborn engineering. Early towers burned wood or coal in "
    "open braziers, and keepers climbed hundreds of steps each night to feed the flame. In 1822 Augustin "
    "Fresnel proposed a lens built from concentric rings of glass, which bent scattered light into a single "
    "beam visible for more than twenty miles. Within decades his design lit coasts from Brittany to Japan, "
    "and shipwrecks on the worst reefs fell sharply. Today most lights are automated, but the principle, "
    "catching light that would otherwise be wasted, is unchanged."
)
ZH_LONG = (
    "长城是中国古代最伟大的防御工程之一，它从春秋战国时期开始修建，经过秦、汉、明等多个朝代的不断扩建，"
    "总长度超过两万公里。城墙沿着山脊蜿蜒起伏，烽火台每隔一段距离便矗立一座，守军可以用烟火迅速传递军情。"
    "明代重修的八达岭和慕田峪段保存最为完好，每年吸引数以百万计的游客前来参观。长城不仅是军事设施，"
    "也是民族融合与商贸往来的见证，丝绸之路上的驼队曾经在关隘之间穿行。鳌龘齉龘，这些生僻字也会出现在文献里。"
)
EMOJI_LONG = (
    "🫠 Big party plan 🎉🎊: arrive 🚗💨, eat 🍕🍔🌮🍣, dance 💃🕺🪩, family group photo 👨‍👩‍👧‍👦📸, flags 🏳️‍🌈🇯🇵🇧🇷, "
    "then 🌙✨😴. Weather ☀️🌦️⛈️🌈, mood 😀😂🥹🫠🤯🥳, animals 🦄🐉🦖🐙🦩, sports ⚽🏀🏈⚾🎾🏐, "
    "hands 👍🏽👋🏿🤝🏻✌️, more 🧑‍🚀👩‍🔬🧙‍♂️🧜‍♀️ and food 🥐🥨🧀🥗🍜🍰🧁🍫🍿."
)
STOP_EN = "Here is the final answer: 42.END_OF_ANSWER Ignore everything after the marker; it must never be sent."
STOP_USER = "Sure, the weather is fine today.\n\nUser: And tomorrow?\n\nAssistant: Also fine."
STOP_ZH = "今天我们讨论了很多问题，答案已经给出结束了接下来的内容绝对不应该出现。"
STOP_EMOJI = "Launch sequence 3, 2, 1 🚀 liftoff! 🛑 secret tail that must stay hidden 🎉"
STOP_ZWJ = "Meet the family: 👩‍👩‍👧 are home, 👨‍👩‍👧‍👦 went out, and the rest is private."
STOP_INSIDE = "Morning sunshine over the hills, then sunshine again in the evening."
R1_REASONING = (
    "First compare the integer parts: both numbers start with 9. Then compare the first decimal digit: "
    "9.9 has 9 tenths while 9.11 has 1 tenth. So 9.9 is the larger number."
)
R1_CONTENT = "9.9 is larger than 9.11, because nine tenths is more than one tenth and eleven hundredths."

STOP_CASES: dict[str, tuple[str, str]] = {
    # case name: (reply text, stop string)
    "stop-en": (STOP_EN, "END_OF_ANSWER"),
    "stop-user": (STOP_USER, "\n\nUser:"),
    "stop-zh": (STOP_ZH, "结束了"),
    "stop-emoji": (STOP_EMOJI, "🛑"),
    "stop-zwj": (STOP_ZWJ, "👨‍👩‍👧‍👦"),
    "stop-inside": (STOP_INSIDE, "shine"),
}
LONG_CASES = {"en": EN_LONG, "zh": ZH_LONG, "emoji": EMOJI_LONG}


def _tag(case: str) -> str:
    return f"[case:{case}]"


def _fixture_document() -> dict[str, Any]:
    fixtures: list[dict[str, Any]] = []
    for case, (text, _stop) in STOP_CASES.items():
        fixtures.append({"name": case, "match": {"user": _tag(case)}, "reply": {"content": text}})
        fixtures.append(
            {
                "name": case + "-c3",
                "match": {"user": _tag(case + "-c3")},
                "reply": {"content": text, "pacing": {"chunk_tokens": 3}},
            }
        )
    for lang, text in LONG_CASES.items():
        fixtures.append({"name": f"long-{lang}", "match": {"user": _tag(f"long-{lang}")}, "reply": {"content": text}})
        fixtures.append(
            {
                "name": f"long-{lang}-c3",
                "match": {"user": _tag(f"long-{lang}-c3")},
                "reply": {"content": text, "pacing": {"chunk_tokens": 3}},
            }
        )
    fixtures += [
        {
            "name": "r1",
            "match": {"user": _tag("r1"), "model": "deepseek-ai/DeepSeek-R1"},
            "reply": {"reasoning_content": R1_REASONING, "content": R1_CONTENT},
        },
        {
            "name": "parse-fixture",
            "match": {"user": _tag("parse-fixture")},
            "reply": {"content": {"name": "Ada Lovelace", "age": 36, "languages": ["English", "French"]}},
        },
        {
            "name": "order-loop",
            "match": {"user": _tag("order"), "tool": "lookup_order"},
            "replies": [
                {"tool_calls": [{"name": "lookup_order", "arguments": {"order_id": "A-17"}}]},
                {"content": "Order A-17 shipped yesterday and arrives on Friday."},
            ],
        },
        {
            "name": "two-calls",
            "match": {"user": _tag("two-calls")},
            "reply": {
                "tool_calls": [
                    {"name": "lookup_order", "arguments": {"order_id": "B-1"}, "id": "call_FixtureScriptedId00001"},
                    {"name": "lookup_order", "arguments": '{"order_id": "B-2"}'},
                ]
            },
        },
    ]
    return {"fixtures": fixtures}


# ===== server and client ==============================================================================


@pytest.fixture(scope="module")
def sem_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    path = tmp_path_factory.mktemp("semantics") / "semantics.json"
    path.write_text(json.dumps(_fixture_document(), ensure_ascii=False), encoding="utf-8")
    with MockServer(Settings(port=0, fixtures=(str(path),), seed=11)) as srv:
        yield srv


@pytest.fixture
def api(sem_server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=sem_server.base_url, api_key="sk-test", max_retries=0)


# ===== independent helpers ============================================================================


def toks(text: str) -> list[int]:
    return tokens.encode(text, ENC)


def decodable_prefix(token_ids: list[int], limit: int) -> str:
    """The text of the first ``limit`` tokens, dropping bytes of an incomplete trailing character."""
    enc = tokens.get_encoding(ENC)
    data = b"".join(enc.decode_single_token_bytes(t) for t in token_ids[:limit])
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"token bytes do not decode: {data!r}")


def ends_mid_character(token_ids: list[int], limit: int) -> bool:
    enc = tokens.get_encoding(ENC)
    data = b"".join(enc.decode_single_token_bytes(t) for t in token_ids[:limit])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


_FREE_TEXT = frozenset({"content", "reasoning_content", "arguments", "token", "obfuscation", "id", "created"})
_validated: set[str] = set()


def _skeleton(node: Any, key: str = "") -> Any:
    """``node`` with free values (texts, byte lists, logprobs) made uniform: the schema only checks their types,
    so chunks that differ only there validate alike, and each distinct shape is validated once."""
    if isinstance(node, dict):
        return {k: _skeleton(v, k) for k, v in node.items()}
    if isinstance(node, list):
        if key == "bytes":
            return [0] if node else []
        return [_skeleton(v) for v in node]
    if isinstance(node, str) and key in _FREE_TEXT:
        return "x"
    if isinstance(node, float) and key == "logprob":
        return -1.0
    return node


def _validate(name: str, body: dict[str, Any]) -> None:
    """Validate against the spec, once per distinct shape.

    The spec types ``system_fingerprint`` as a string, but the real API sends null for gpt-5, o-series and
    non-OpenAI models (PROTOCOL.md §3, VCR captures); the mock does the same, so a null is not held against it.
    """
    if "system_fingerprint" in body and body["system_fingerprint"] is None:
        body = {k: v for k, v in body.items() if k != "system_fingerprint"}
    shape = _skeleton(body)
    key = name + json.dumps(shape, sort_keys=True)
    if key not in _validated:
        spec.validate(name, shape)
        _validated.add(key)


def create(api: openai.OpenAI, **kw: Any) -> Any:
    """A non-streamed call through the SDK; the wire body is validated against the spec."""
    raw = api.chat.completions.with_raw_response.create(**kw)
    body = raw.http_response.json()
    _validate("CreateChatCompletionResponse", body)
    completion = raw.parse()
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens
    return completion


def parse(api: openai.OpenAI, **kw: Any) -> Any:
    """``chat.completions.parse`` through the SDK, with the wire body validated like ``create``."""
    raw = api.chat.completions.with_raw_response.parse(**kw)
    _validate("CreateChatCompletionResponse", raw.http_response.json())
    return raw.parse()


@dataclass
class Streamed:
    chunks: list[Any] = field(default_factory=list)
    deltas: dict[int, list[str]] = field(default_factory=dict)
    reasoning: dict[int, list[str]] = field(default_factory=dict)
    finish: dict[int, str] = field(default_factory=dict)
    logprobs: dict[int, list[Any]] = field(default_factory=dict)
    calls: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    usage: Any = None

    def content(self, index: int = 0) -> str:
        return "".join(self.deltas.get(index, []))

    def reasoning_text(self, index: int = 0) -> str:
        return "".join(self.reasoning.get(index, []))


def stream(api: openai.OpenAI, **kw: Any) -> Streamed:
    """A streamed call through the SDK; every chunk is validated against the stream chunk schema."""
    out = Streamed()
    kw.setdefault("stream_options", {"include_usage": True})
    for chunk in api.chat.completions.create(stream=True, **kw):
        _validate("CreateChatCompletionStreamResponse", chunk.to_dict())
        out.chunks.append(chunk)
        if chunk.usage is not None:
            assert out.usage is None, "usage sent twice"
            assert chunk.choices == []
            out.usage = chunk.usage
        for choice in chunk.choices:
            assert choice.index not in out.finish, "a delta after the choice's finish chunk"
            delta = choice.delta
            if delta.content is not None:
                out.deltas.setdefault(choice.index, []).append(delta.content)
            reasoning = (delta.model_extra or {}).get("reasoning_content")
            if reasoning is not None:
                out.reasoning.setdefault(choice.index, []).append(reasoning)
            if choice.logprobs is not None and choice.logprobs.content is not None:
                out.logprobs.setdefault(choice.index, []).extend(e.to_dict() for e in choice.logprobs.content)
            for call in delta.tool_calls or []:
                slot = out.calls.setdefault(choice.index, {}).setdefault(
                    call.index, {"id": None, "name": None, "arguments": ""}
                )
                if call.id is not None:
                    assert slot["id"] is None, "a tool call's id was sent twice"
                    slot["id"] = call.id
                if call.function is not None:
                    if call.function.name is not None:
                        slot["name"] = call.function.name
                    slot["arguments"] += call.function.arguments or ""
            if choice.finish_reason is not None:
                out.finish[choice.index] = choice.finish_reason
    ids = {c.id for c in out.chunks}
    assert len(ids) == 1, "every chunk carries the same id"
    return out


def usage_dict(usage: Any) -> dict[str, Any]:
    return usage.to_dict()


def completion_usage(usage: Any) -> tuple[int, dict[str, Any]]:
    """The completion side of usage (for two requests whose prompts differ)."""
    return usage.completion_tokens, usage.completion_tokens_details.to_dict()


def content_deltas(result: Streamed, index: int = 0) -> list[str]:
    """Content deltas after the role chunk's empty opener."""
    deltas = result.deltas.get(index, [])
    return deltas[1:] if deltas and deltas[0] == "" else deltas


# ===== 1. stop sequences ===============================================================================


def _expected_cut(text: str, stops: list[str]) -> str:
    positions = [text.find(s) for s in stops if s in text]
    return text[: min(positions)] if positions else text


@pytest.mark.parametrize("case", sorted(STOP_CASES))
@pytest.mark.parametrize("chunked", [False, True], ids=["chunk1", "chunk3"])
@pytest.mark.parametrize("as_list", [False, True], ids=["str", "list"])
def test_stop_cuts_before_stop_string(api: openai.OpenAI, case: str, chunked: bool, as_list: bool) -> None:
    text, stop = STOP_CASES[case]
    assert len(toks(stop)) >= 1 and stop in text
    stop_param: Any = [stop, "never-in-the-text"] if as_list else stop
    tag = _tag(case + ("-c3" if chunked else ""))
    expected = _expected_cut(text, [stop])
    assert stop not in expected

    body = create(api, model="gpt-4o-mini", messages=user(tag), stop=stop_param)
    choice = body.choices[0]
    assert choice.message.content == expected
    assert choice.finish_reason == "stop"
    assert body.usage.completion_tokens == len(toks(expected))

    result = stream(api, model="gpt-4o-mini", messages=user(tag), stop=stop_param, logprobs=True)
    assert result.content() == expected
    # the streamed tokens are exactly the sent ones: none of the stop string's tokens slipped out
    streamed_bytes = b"".join(bytes(e["bytes"]) for e in result.logprobs.get(0, []))
    assert streamed_bytes == expected.encode("utf-8")
    assert len(result.logprobs.get(0, [])) == body.usage.completion_tokens
    assert result.finish == {0: "stop"}
    for delta in result.deltas[0]:
        assert stop not in delta
        assert "\ufffd" not in delta
    assert usage_dict(result.usage) == usage_dict(body.usage)
    if chunked:
        # three tokens a chunk: never more pieces than ceil(tokens / 3)
        assert len(content_deltas(result)) <= math.ceil(len(toks(expected)) / 3)


@pytest.mark.parametrize("case", sorted(STOP_CASES))
def test_stop_multi_token_strings_really_span_tokens(case: str) -> None:
    """The stop strings above are chosen to span several tokens of the reply (else the test is weak)."""
    text, stop = STOP_CASES[case]
    if case == "stop-inside":
        # "shine" sits inside the token(s) of "sunshine": the cut lands mid-token
        pos = text.find(stop)
        boundaries = {len(decodable_prefix(toks(text), k)) for k in range(len(toks(text)) + 1)}
        assert pos not in boundaries
    else:
        assert len(toks(stop)) >= 2


def test_stop_list_earliest_occurrence_wins(api: openai.OpenAI) -> None:
    stops = ["never", "END_OF_ANSWER", "zzz", "final"]  # "final" occurs first in the text, listed last
    expected = _expected_cut(STOP_EN, stops)
    assert expected == "Here is the "
    body = create(api, model="gpt-4o", messages=user(_tag("stop-en")), stop=stops)
    assert body.choices[0].message.content == expected
    assert body.choices[0].finish_reason == "stop"
    assert body.usage.completion_tokens == len(toks(expected))
    result = stream(api, model="gpt-4o", messages=user(_tag("stop-en-c3")), stop=stops)
    assert result.content() == expected
    assert completion_usage(result.usage) == completion_usage(body.usage)


def test_stop_not_in_text_keeps_everything(api: openai.OpenAI) -> None:
    body = create(api, model="gpt-4o", messages=user(_tag("stop-en")), stop=["<<nope>>"])
    assert body.choices[0].message.content == STOP_EN
    assert body.choices[0].finish_reason == "stop"
    assert body.usage.completion_tokens == len(toks(STOP_EN))


def test_stop_at_the_very_start_sends_nothing(api: openai.OpenAI) -> None:
    body = create(api, model="gpt-4o", messages=user(_tag("stop-en")), stop="Here")
    assert body.choices[0].message.content == ""
    assert body.choices[0].finish_reason == "stop"
    assert body.usage.completion_tokens == 0
    result = stream(api, model="gpt-4o", messages=user(_tag("stop-en")), stop="Here")
    assert result.content() == ""
    assert result.finish == {0: "stop"}
    assert result.usage.completion_tokens == 0


def test_stop_beyond_max_tokens_is_never_reached(api: openai.OpenAI) -> None:
    full = toks(STOP_EN)
    body = create(api, model="gpt-4o", messages=user(_tag("stop-en")), stop="END_OF_ANSWER", max_tokens=3)
    assert body.choices[0].message.content == decodable_prefix(full, 3)
    assert body.choices[0].finish_reason == "length"
    assert body.usage.completion_tokens == 3
    # with room to reach it, the stop string wins
    body = create(api, model="gpt-4o", messages=user(_tag("stop-en")), stop="END_OF_ANSWER", max_tokens=len(full))
    assert body.choices[0].finish_reason == "stop"
    assert body.choices[0].message.content == _expected_cut(STOP_EN, ["END_OF_ANSWER"])


def test_stop_on_generated_text(api: openai.OpenAI) -> None:
    """The generator's answer is cut the same way: pick a word from the uncut answer and stop on it."""
    messages = user("Tell me something about mountains and rivers, at length.")
    full = create(api, model="gpt-4o", messages=messages).choices[0].message.content
    words = full.split()
    stop = " " + words[len(words) // 2]
    expected = _expected_cut(full, [stop])
    assert expected != full
    body = create(api, model="gpt-4o", messages=messages, stop=stop)
    assert body.choices[0].message.content == expected
    assert body.choices[0].finish_reason == "stop"
    assert body.usage.completion_tokens == len(toks(expected))
    result = stream(api, model="gpt-4o", messages=messages, stop=stop)
    assert result.content() == expected
    assert usage_dict(result.usage) == usage_dict(body.usage)


def test_stop_more_than_four_is_rejected(api: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        api.chat.completions.create(model="gpt-4o", messages=user("hi there"), stop=["a", "b", "c", "d", "e"])
    assert err.value.status_code == 400
    assert err.value.code == "array_above_max_length"
    assert err.value.param == "stop"
    assert err.value.body["message"] == (
        "Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 "
        "instead."
    )


# ===== 2. max_tokens / max_completion_tokens ===========================================================


@pytest.mark.parametrize("lang", sorted(LONG_CASES))
def test_long_replies_are_long_and_hit_partial_characters(lang: str) -> None:
    """Guards the truncation tests: replies exceed 50 tokens, and non-English cuts land mid-character."""
    ids = toks(LONG_CASES[lang])
    assert len(ids) > 60
    if lang != "en":
        assert any(ends_mid_character(ids, k) for k in range(1, len(ids)))
    if lang == "emoji":
        assert any(ends_mid_character(ids, k) for k in (1, 7, 50))


@pytest.mark.parametrize("limit", [1, 7, 50])
@pytest.mark.parametrize("lang", sorted(LONG_CASES))
@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_truncation(api: openai.OpenAI, lang: str, limit: int, param: str) -> None:
    text = LONG_CASES[lang]
    expected = decodable_prefix(toks(text), limit)
    assert "\ufffd" not in expected
    body = create(api, model="gpt-4o", messages=user(_tag(f"long-{lang}")), **{param: limit})
    choice = body.choices[0]
    assert choice.message.content == expected
    assert choice.finish_reason == "length"
    assert body.usage.completion_tokens == limit
    assert "\ufffd" not in body.model_dump_json()

    for tag in (f"long-{lang}", f"long-{lang}-c3"):
        result = stream(api, model="gpt-4o", messages=user(_tag(tag)), logprobs=True, **{param: limit})
        assert result.content() == expected
        assert result.finish == {0: "length"}
        assert all("\ufffd" not in d for d in result.deltas[0])
        assert result.usage.completion_tokens == limit
        assert completion_usage(result.usage) == completion_usage(body.usage)
        if tag == f"long-{lang}":
            assert usage_dict(result.usage) == usage_dict(body.usage)
        # the last content chunk carries the tail: every token (partial characters included) was streamed
        assert len(result.logprobs.get(0, [])) == limit
        pieces = content_deltas(result)
        if expected:
            assert pieces and expected.endswith(pieces[-1]) and pieces[-1] != ""


@pytest.mark.parametrize("lang", sorted(LONG_CASES))
def test_untruncated_stream_reassembles_multibyte_text(api: openai.OpenAI, lang: str) -> None:
    text = LONG_CASES[lang]
    body = create(api, model="gpt-4o", messages=user(_tag(f"long-{lang}")), max_tokens=len(toks(text)))
    assert body.choices[0].message.content == text
    assert body.choices[0].finish_reason == "stop"
    assert body.usage.completion_tokens == len(toks(text))
    for tag in (f"long-{lang}", f"long-{lang}-c3"):
        result = stream(api, model="gpt-4o", messages=user(_tag(tag)))
        assert result.content() == text
        assert all("\ufffd" not in d for d in result.deltas[0])
        assert completion_usage(result.usage) == completion_usage(body.usage)


def test_visible_reasoning_budget(api: openai.OpenAI) -> None:
    model, messages = "deepseek-ai/DeepSeek-R1", user(_tag("r1"))
    r_ids, c_ids = toks(R1_REASONING), toks(R1_CONTENT)

    full = create(api, model=model, messages=messages)
    message = full.choices[0].message
    assert message.model_extra["reasoning_content"] == R1_REASONING
    assert message.content == R1_CONTENT
    assert full.choices[0].finish_reason == "stop"
    assert full.usage.completion_tokens == len(r_ids) + len(c_ids)
    assert full.usage.completion_tokens_details.reasoning_tokens == len(r_ids)

    cases = {
        5: (decodable_prefix(r_ids, 5), ""),  # the budget runs out while reasoning
        len(r_ids) + 4: (R1_REASONING, decodable_prefix(c_ids, 4)),  # reasoning fits, the answer is cut
    }
    for limit, (reasoning, content) in cases.items():
        body = create(api, model=model, messages=messages, max_completion_tokens=limit)
        assert body.choices[0].message.model_extra["reasoning_content"] == reasoning
        assert body.choices[0].message.content == content
        assert body.choices[0].finish_reason == "length"
        assert body.usage.completion_tokens == limit
        assert body.usage.completion_tokens_details.reasoning_tokens == min(limit, len(r_ids))
        result = stream(api, model=model, messages=messages, max_completion_tokens=limit)
        assert result.reasoning_text() == reasoning
        assert result.content() == content
        assert result.finish == {0: "length"}
        assert usage_dict(result.usage) == usage_dict(body.usage)

    result = stream(api, model=model, messages=messages)
    assert result.reasoning_text() == R1_REASONING
    assert result.content() == R1_CONTENT
    assert usage_dict(result.usage) == usage_dict(full.usage)


def test_visible_reasoning_from_the_generator(api: openai.OpenAI) -> None:
    body = create(api, model="deepseek-ai/DeepSeek-R1", messages=user("Why is the sky blue?"))
    reasoning = body.choices[0].message.model_extra["reasoning_content"]
    content = body.choices[0].message.content
    assert reasoning and content
    assert body.usage.completion_tokens_details.reasoning_tokens == len(toks(reasoning))
    assert body.usage.completion_tokens == len(toks(reasoning)) + len(toks(content))


def test_reasoning_effort_scales_hidden_reasoning(api: openai.OpenAI) -> None:
    def hidden(effort: str) -> int:
        body = create(api, model="gpt-5", messages=user("Plan a picnic."), reasoning_effort=effort)
        return body.usage.completion_tokens_details.reasoning_tokens

    assert hidden("minimal") < hidden("low") < hidden("medium") < hidden("high")


@pytest.mark.parametrize("model", ["gpt-5", "o3"])
def test_hidden_reasoning_budget(api: openai.OpenAI, model: str) -> None:
    messages = user("Explain how tides work, briefly.")
    full = create(api, model=model, messages=messages, max_completion_tokens=8000)
    content = full.choices[0].message.content
    hidden = full.usage.completion_tokens_details.reasoning_tokens
    assert hidden > 0
    assert content
    assert full.choices[0].finish_reason == "stop"
    assert full.usage.completion_tokens == hidden + len(toks(content))

    # a small budget is spent on reasoning: nothing visible, finish "length"
    small = create(api, model=model, messages=messages, max_completion_tokens=10)
    assert small.choices[0].message.content == ""
    assert small.choices[0].finish_reason == "length"
    assert small.usage.completion_tokens == 10
    assert small.usage.completion_tokens_details.reasoning_tokens == 10
    result = stream(api, model=model, messages=messages, max_completion_tokens=10)
    assert result.content() == ""
    assert result.finish == {0: "length"}
    assert usage_dict(result.usage) == usage_dict(small.usage)

    # reasoning fits, the answer is cut after 5 tokens
    limit = hidden + 5
    body = create(api, model=model, messages=messages, max_completion_tokens=limit)
    assert body.choices[0].message.content == decodable_prefix(toks(content), 5)
    assert body.choices[0].finish_reason == "length"
    assert body.usage.completion_tokens == limit
    assert body.usage.completion_tokens_details.reasoning_tokens == hidden
    result = stream(api, model=model, messages=messages, max_completion_tokens=limit)
    assert result.content() == decodable_prefix(toks(content), 5)
    assert usage_dict(result.usage) == usage_dict(body.usage)


@pytest.mark.parametrize("model", ["gpt-5", "o3"])
def test_max_tokens_unsupported_on_openai_reasoning_models(api: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        api.chat.completions.create(model=model, messages=user("hello"), max_tokens=50)
    assert err.value.code == "unsupported_parameter"
    assert err.value.param == "max_tokens"
    assert err.value.body["message"] == (
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
    )


# ===== 3. json_object ==================================================================================


def test_json_object_requires_the_word_json(api: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        api.chat.completions.create(
            model="gpt-4o", messages=user("Give me an object please"), response_format={"type": "json_object"}
        )
    assert err.value.body == {
        "message": "'messages' must contain the word 'json' in some form, to use 'response_format' of type "
        "'json_object'.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": None,
    }


def test_json_object_word_may_be_anywhere_in_any_case(api: openai.OpenAI) -> None:
    messages = [{"role": "system", "content": "Answer as Json."}, {"role": "user", "content": "A fruit, please."}]
    body = create(api, model="gpt-4o", messages=messages, response_format={"type": "json_object"})
    assert isinstance(json.loads(body.choices[0].message.content), dict)


@pytest.mark.parametrize(
    "prompt", ["Describe a city in JSON.", "用JSON描述一本书。", "Reply in JSON with keys name, age and city."]
)
def test_json_object_answers_a_deterministic_object(api: openai.OpenAI, prompt: str) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o", "messages": user(prompt), "response_format": {"type": "json_object"}}
    first = create(api, **kw)
    second = create(api, **kw)
    content = first.choices[0].message.content
    assert isinstance(json.loads(content), dict)
    assert second.choices[0].message.content == content
    assert first.choices[0].finish_reason == "stop"
    assert first.usage.completion_tokens == len(toks(content))
    result = stream(api, **kw)
    assert result.content() == content
    assert usage_dict(result.usage) == usage_dict(first.usage)
    if "keys" in prompt:
        assert set(json.loads(content)) == {"name", "age", "city"}


def test_json_object_cut_by_max_tokens_is_not_json(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": user("Describe a city in JSON."),
        "response_format": {"type": "json_object"},
    }
    full = create(api, **kw).choices[0].message.content
    body = create(api, max_tokens=5, **kw)
    content = body.choices[0].message.content
    assert content == decodable_prefix(toks(full), 5)
    assert body.choices[0].finish_reason == "length"
    assert body.usage.completion_tokens == 5
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)
    result = stream(api, max_tokens=5, **kw)
    assert result.content() == content
    assert result.finish == {0: "length"}


# ===== 4. json_schema ==================================================================================

# Only the formats strict mode allows, checked strictly (jsonschema's defaults skip date-time and time unless
# optional packages are installed, and its draft-3 "time" rejects RFC 3339 offsets).
FORMATS = jsonschema.FormatChecker(formats=())
_TIME = r"\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]" + _TIME, value):
        return False
    dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@FORMATS.checks("time", raises=ValueError)
def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(_TIME, value):
        return False
    dt.time.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or (
        bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(dt.date.fromisoformat(value))
    )


@FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value))


@FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


def _json_schema_format(schema: dict[str, Any], strict: bool, name: str = "answer") -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}}


def _obj(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False, **extra}


RAW_SCHEMAS: dict[str, tuple[dict[str, Any], bool]] = {
    "product": (
        _obj(
            {
                "name": {"type": "string"},
                "price": {"type": "number", "minimum": 0, "maximum": 1000},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 4},
                "in_stock": {"type": "boolean"},
                "category": {"type": "string", "enum": ["books", "games", "tools"]},
            }
        ),
        True,
    ),
    "defs-and-nullable": (
        _obj(
            {"user": {"$ref": "#/$defs/User"}, "manager": {"anyOf": [{"$ref": "#/$defs/User"}, {"type": "null"}]}},
            **{
                "$defs": {
                    "User": _obj(
                        {
                            "name": {"type": "string"},
                            "email": {"type": "string", "format": "email"},
                            "age": {"type": "integer", "minimum": 18, "maximum": 99},
                        }
                    )
                }
            },
        ),
        True,
    ),
    "recursive-root": (
        _obj({"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#"}}}),
        True,
    ),
    "loose": (
        {
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": "^[A-Z]{2}\\d{3}$"},
                "count": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 5, "maximum": 100},
                "when": {"type": "string", "format": "date-time"},
                "id": {"type": "string", "format": "uuid"},
                "fixed": {"const": "fixed"},
                "maybe": {"type": ["string", "null"]},
                "pairs": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 2,
                    "items": {"type": "object", "properties": {"k": {"type": "string"}}, "required": ["k"]},
                },
            },
            "required": ["code", "count", "when", "id", "fixed", "maybe", "pairs"],
        },
        False,
    ),
    "lengths": (
        _obj(
            {
                "title": {"type": "string", "minLength": 5, "maxLength": 20},
                "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                "day": {"type": "string", "format": "date"},
            }
        ),
        True,
    ),
}


@pytest.mark.parametrize("name", sorted(RAW_SCHEMAS))
@pytest.mark.parametrize("prompt", ["Fill this in.", "请填写这个表格。"])
def test_json_schema_output_is_valid(api: openai.OpenAI, name: str, prompt: str) -> None:
    schema, strict = RAW_SCHEMAS[name]
    kw: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": user(prompt),
        "response_format": _json_schema_format(schema, strict, name.replace("-", "_")),
    }
    body = create(api, **kw)
    content = body.choices[0].message.content
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(json.loads(content))
    assert body.usage.completion_tokens == len(toks(content))
    assert create(api, **kw).choices[0].message.content == content  # deterministic
    result = stream(api, **kw)
    assert result.content() == content
    assert usage_dict(result.usage) == usage_dict(body.usage)


STRICT_VIOLATIONS: dict[str, tuple[dict[str, Any], str]] = {
    "no-additional-properties": (
        {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        "In context=(), 'additionalProperties' is required to be supplied and to be false.",
    ),
    "required-incomplete": (
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
            "required": ["a"],
            "additionalProperties": False,
        },
        "Missing 'b'.",
    ),
    "nested-object": (
        _obj({"inner": {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}}),
        "In context=('properties', 'inner'), 'additionalProperties' is required to be supplied and to be false.",
    ),
    "one-of": (
        _obj({"x": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}),
        "In context=('properties', 'x'), 'oneOf' is not permitted.",
    ),
    "root-array": (
        {"type": "array", "items": {"type": "string"}},
        "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"array\"'.",
    ),
    "bad-format": (
        _obj({"phone": {"type": "string", "format": "phone"}}),
        "'phone' is not a valid format.",
    ),
}


@pytest.mark.parametrize("case", sorted(STRICT_VIOLATIONS))
def test_strict_schema_violations_are_rejected(api: openai.OpenAI, case: str) -> None:
    schema, detail = STRICT_VIOLATIONS[case]
    with pytest.raises(openai.BadRequestError) as err:
        api.chat.completions.create(
            model="gpt-4o", messages=user("Fill this in."), response_format=_json_schema_format(schema, True, "bad")
        )
    # as the API's own bodies quoted in bug reports (dottxt-ai/outlines#844, #1666): the whole
    # response_format is named, code null
    assert err.value.param == "response_format"
    assert err.value.code is None
    assert err.value.body["param"] == "response_format"
    assert err.value.type == "invalid_request_error"
    assert err.value.body["message"].startswith("Invalid schema for response_format 'bad': ")
    assert detail in err.value.body["message"]
    # the same schema without strict is accepted, and (objects only) answered
    if schema["type"] == "object":
        create(api, model="gpt-4o", messages=user("Fill this in."), response_format=_json_schema_format(schema, False))


def test_strict_tool_schema_violation_is_rejected(api: openai.OpenAI) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "strict": True,
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        },
    }
    with pytest.raises(openai.BadRequestError) as err:
        api.chat.completions.create(model="gpt-4o", messages=user("lookup cats"), tools=[tool])
    assert err.value.code == "invalid_json_schema"
    assert err.value.body["message"].startswith("Invalid schema for function 'lookup': ")
    assert err.value.param == "tools[0].function.parameters"


# ----- 20 pydantic models through chat.completions.parse ---------------------------------------------


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=130)


class Address(BaseModel):
    street: str
    city: str
    postal_code: str = Field(pattern=r"^\d{5}$")
    country: str


class Customer(BaseModel):
    name: str
    address: Address


class LineItem(BaseModel):
    sku: str = Field(min_length=3, max_length=12)
    quantity: int = Field(ge=1, le=99)
    unit_price: float = Field(ge=0)


class Order(BaseModel):
    order_id: str
    items: list[LineItem]
    total: float = Field(ge=0)


class Profile(BaseModel):
    nickname: str | None
    bio: str | None
    age: int | None = Field(ge=13, le=120)


class Ticket(BaseModel):
    id: uuid.UUID
    priority: Literal["low", "medium", "high"]
    status: Literal["open", "closed"]


class Color(Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class Finish(StrEnum):
    MATTE = "matte"
    GLOSS = "gloss"


class Paint(BaseModel):
    color: Color
    finish: Finish
    litres: float = Field(gt=0, le=20)


class Event(BaseModel):
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    doors_open: dt.time


class Birthday(BaseModel):
    person: str
    day: dt.date


class TreeNode(BaseModel):
    value: str
    children: list[TreeNode]


class Team(BaseModel):
    name: str
    members: list[str]


class Department(BaseModel):
    name: str
    teams: list[Team]


class Company(BaseModel):
    name: str
    departments: list[Department]


class Username(BaseModel):
    handle: str = Field(min_length=3, max_length=15)
    code: str = Field(pattern=r"^[A-Z]{3}-\d{4}$")


class Sensor(BaseModel):
    active: bool
    reading: float
    threshold: float = Field(gt=0, lt=100)


class Tags(BaseModel):
    tags: list[str] = Field(min_length=1, max_length=5)
    scores: list[int]


class Step(BaseModel):
    explanation: str
    output: str


class MathReasoning(BaseModel):
    steps: list[Step]
    final_answer: str


class Contact(BaseModel):
    email: str | None
    phone: str | None
    address: Address | None


class Cat(BaseModel):
    kind: Literal["cat"]
    indoor: bool


class Dog(BaseModel):
    kind: Literal["dog"]
    breed: str


class Pet(BaseModel):
    name: str
    animal: Cat | Dog


class Level(IntEnum):
    JUNIOR = 1
    MID = 2
    SENIOR = 3


class Skill(BaseModel):
    name: str
    level: Level
    years: int = Field(ge=0, le=50)


class Comment(BaseModel):
    author: str
    text: str = Field(max_length=200)
    parent_id: int | None
    replies: list[Comment]


class Resume(BaseModel):
    姓名: str
    年龄: int = Field(ge=18, le=65)
    城市: str
    技能: list[Skill]


PYDANTIC_MODELS: list[type[BaseModel]] = [
    Person, Customer, Order, Profile, Ticket, Paint, Event, Birthday, TreeNode, Company,
    Username, Sensor, Tags, MathReasoning, Contact, Pet, Skill, Comment, Resume, Address,
]  # fmt: skip


def test_twenty_distinct_pydantic_models() -> None:
    assert len(set(PYDANTIC_MODELS)) == 20


@pytest.mark.parametrize("model_cls", PYDANTIC_MODELS, ids=lambda m: m.__name__)
def test_parse_pydantic_model(api: openai.OpenAI, model_cls: type[BaseModel]) -> None:
    prompt = "请生成一个示例。" if model_cls is Resume else f"Produce an example {model_cls.__name__}."
    completion = parse(api, model="gpt-4o-mini", messages=user(prompt), response_format=model_cls)
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop"
    assert message.refusal is None
    assert isinstance(message.parsed, model_cls)
    # the text also validates against the strict schema the SDK sent
    schema = to_strict_json_schema(model_cls)
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(json.loads(message.content))
    assert completion.usage.completion_tokens == len(toks(message.content))
    again = parse(api, model="gpt-4o-mini", messages=user(prompt), response_format=model_cls)
    assert again.choices[0].message.parsed == message.parsed


def test_parse_cut_by_max_tokens_raises_length_error(api: openai.OpenAI) -> None:
    with pytest.raises(openai.LengthFinishReasonError):
        parse(api, model="gpt-4o-mini", messages=user("Produce an example Order."), response_format=Order, max_tokens=5)


def test_parse_streamed(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": user("Produce an example Order."),
        "response_format": Order,
    }
    with api.chat.completions.stream(**kw) as events:
        final = events.get_final_completion()
    assert isinstance(final.choices[0].message.parsed, Order)
    assert final.choices[0].message.parsed == parse(api, **kw).choices[0].message.parsed


def test_parse_fixture_mapping_content(api: openai.OpenAI) -> None:
    class Coder(BaseModel):
        name: str
        age: int
        languages: list[str]

    completion = parse(api, model="gpt-4o", messages=user(_tag("parse-fixture")), response_format=Coder)
    assert completion.choices[0].message.parsed == Coder(name="Ada Lovelace", age=36, languages=["English", "French"])


# ===== 5. tools ========================================================================================


def _fn(name: str, description: str, properties: dict[str, Any], strict: bool = False) -> dict[str, Any]:
    function = {"name": name, "description": description, "parameters": _obj(properties), "strict": strict}
    return {"type": "function", "function": function}


WEATHER = _fn(
    "get_weather",
    "Current weather for a city.",
    {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
)
STOCK = _fn(
    "lookup_stock_price",
    "Latest price of a listed share.",
    {
        "ticker": {"type": "string", "pattern": "^[A-Z]{1,5}$"},
        "exchange": {"type": "string", "enum": ["NYSE", "NASDAQ", "LSE"]},
    },
    strict=True,
)
EMAIL = _fn(
    "send_email",
    "Send an email.",
    {
        "to": {"type": "string", "format": "email"},
        "subject": {"type": "string", "maxLength": 80},
        "body": {"type": "string"},
        "cc": {"type": "array", "items": {"type": "string", "format": "email"}, "maxItems": 3},
    },
    strict=True,
)
TOOLS = [WEATHER, STOCK, EMAIL]
PARAMS = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}


def _allowed(mode: str, *names: str) -> dict[str, Any]:
    return {
        "type": "allowed_tools",
        "allowed_tools": {"mode": mode, "tools": [{"type": "function", "function": {"name": n}} for n in names]},
    }


BOTH = "What is the weather in Paris, and the stock price of ACME?"
TOOL_CASES: list[tuple[str, Any, str, bool | None, list[str]]] = [
    # (id, tool_choice, user text, parallel_tool_calls, expected calls in order)
    ("none", "none", BOTH, None, []),
    ("auto-hit", "auto", "What is the weather in Paris?", None, ["get_weather"]),
    ("auto-default", None, "What is the weather in Paris?", None, ["get_weather"]),
    ("auto-miss", "auto", "Tell me a joke about cats.", None, []),
    ("auto-parallel", "auto", BOTH, None, ["get_weather", "lookup_stock_price"]),
    ("auto-serial", "auto", BOTH, False, ["get_weather"]),
    ("required-miss", "required", "Tell me a joke about cats.", None, ["get_weather"]),
    ("required-hit", "required", "Please email Bob the minutes.", None, ["send_email"]),
    ("required-parallel", "required", BOTH, True, ["get_weather", "lookup_stock_price"]),
    ("required-serial", "required", BOTH, False, ["get_weather"]),
    ("named", {"type": "function", "function": {"name": "send_email"}}, "What is the weather?", None, ["send_email"]),
    ("allowed-required", _allowed("required", "lookup_stock_price"), "Weather in Paris?", None, ["lookup_stock_price"]),
    ("allowed-auto-miss", _allowed("auto", "lookup_stock_price"), "Weather in Paris?", None, []),
    ("allowed-auto-hit", _allowed("auto", "get_weather", "send_email"), "Weather, then email it", None,
     ["get_weather", "send_email"]),
]  # fmt: skip


def _check_calls(calls: list[Any], expected: list[str]) -> None:
    assert [c.function.name for c in calls] == expected
    for call in calls:
        assert CALL_ID.match(call.id), call.id
        assert call.type == "function"
        args = json.loads(call.function.arguments)
        jsonschema.Draft202012Validator(PARAMS[call.function.name], format_checker=FORMATS).validate(args)
    assert len({c.id for c in calls}) == len(calls)


@pytest.mark.parametrize(
    ("choice", "text", "parallel", "expected"), [c[1:] for c in TOOL_CASES], ids=[c[0] for c in TOOL_CASES]
)
def test_tool_choice(api: openai.OpenAI, choice: Any, text: str, parallel: bool | None, expected: list[str]) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o", "messages": user(text), "tools": TOOLS}
    if choice is not None:
        kw["tool_choice"] = choice
    if parallel is not None:
        kw["parallel_tool_calls"] = parallel
    body = create(api, **kw)
    choice0 = body.choices[0]
    if not expected:
        assert not choice0.message.tool_calls
        assert choice0.message.content
        assert choice0.finish_reason == "stop"
        return
    calls = choice0.message.tool_calls
    _check_calls(calls, expected)
    assert choice0.message.content is None
    assert choice0.finish_reason == "tool_calls"
    if parallel is False:
        assert len(calls) <= 1
    assert body.usage.completion_tokens == sum(len(toks(c.function.arguments)) for c in calls)

    result = stream(api, **kw)
    assert result.finish == {0: "tool_calls"}
    streamed = [result.calls[0][i] for i in sorted(result.calls[0])]
    assert [s["name"] for s in streamed] == expected
    assert [s["arguments"] for s in streamed] == [c.function.arguments for c in calls]
    assert all(CALL_ID.match(s["id"]) for s in streamed)
    assert usage_dict(result.usage) == usage_dict(body.usage)


def test_tool_arguments_cut_by_max_tokens(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o", "messages": user("Weather?"), "tools": TOOLS, "tool_choice": "required"}
    full = create(api, **kw).choices[0].message.tool_calls[0].function.arguments
    body = create(api, max_tokens=3, **kw)
    assert body.choices[0].finish_reason == "length"
    assert body.choices[0].message.tool_calls[0].function.arguments == decodable_prefix(toks(full), 3)
    assert body.usage.completion_tokens == 3
    result = stream(api, max_tokens=3, **kw)
    assert result.finish == {0: "length"}
    assert result.calls[0][0]["arguments"] == decodable_prefix(toks(full), 3)


def test_parallel_false_limits_fixture_scripted_calls(api: openai.OpenAI) -> None:
    """A fixture scripting two calls must still honour parallel_tool_calls=false (at most one call)."""
    body = create(api, model="gpt-4o", messages=user(_tag("two-calls")), tools=[ORDER_TOOL], parallel_tool_calls=False)
    assert len(body.choices[0].message.tool_calls) == 1


def _tool_loop(api: openai.OpenAI, as_sdk_object: bool) -> None:
    messages: list[Any] = user("What is the weather in Paris right now?")
    first = create(api, model="gpt-4o", messages=messages, tools=TOOLS)
    assert first.choices[0].finish_reason == "tool_calls"
    message = first.choices[0].message
    call = message.tool_calls[0]
    _check_calls([call], ["get_weather"])
    if as_sdk_object:
        messages.append(message)  # the documented SDK idiom: pass the message object back as it came
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call.to_dict()]})
    messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps({"temp_c": 18, "sky": "clear"})})
    second = create(api, model="gpt-4o", messages=messages, tools=TOOLS)
    assert second.choices[0].finish_reason == "stop"
    assert not second.choices[0].message.tool_calls
    assert second.choices[0].message.content
    assert second.usage.completion_tokens == len(toks(second.choices[0].message.content))
    result = stream(api, model="gpt-4o", messages=messages, tools=TOOLS)
    assert result.finish == {0: "stop"}
    assert result.content() == second.choices[0].message.content


def test_two_turn_tool_loop(api: openai.OpenAI) -> None:
    _tool_loop(api, as_sdk_object=False)


def test_two_turn_tool_loop_with_the_sdk_message_object(api: openai.OpenAI) -> None:
    _tool_loop(api, as_sdk_object=True)


ORDER_TOOL = _fn("lookup_order", "Find an order.", {"order_id": {"type": "string"}})


@pytest.mark.parametrize("streamed", [False, True])
def test_fixture_scripted_tool_loop(sem_server: MockServer, streamed: bool) -> None:
    session = openai.OpenAI(
        base_url=sem_server.base_url,
        api_key="sk-test",
        max_retries=0,
        default_headers={"x-mockllm-session": f"order-{uuid.uuid4().hex}"},
    )
    messages: list[Any] = user(f"Where is my order? {_tag('order')}")
    if streamed:
        result = stream(session, model="gpt-4o", messages=messages, tools=[ORDER_TOOL])
        assert result.finish == {0: "tool_calls"}
        call = result.calls[0][0]
        call_id, arguments = call["id"], call["arguments"]
        assert call["name"] == "lookup_order"
    else:
        first = create(session, model="gpt-4o", messages=messages, tools=[ORDER_TOOL])
        assert first.choices[0].finish_reason == "tool_calls"
        tool_call = first.choices[0].message.tool_calls[0]
        call_id, arguments = tool_call.id, tool_call.function.arguments
    assert CALL_ID.match(call_id)
    assert json.loads(arguments) == {"order_id": "A-17"}
    messages.append(
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "lookup_order", "arguments": arguments}}
            ],
        }
    )
    messages.append({"role": "tool", "tool_call_id": call_id, "content": '{"status": "shipped"}'})
    answer = "Order A-17 shipped yesterday and arrives on Friday."
    if streamed:
        result = stream(session, model="gpt-4o", messages=messages, tools=[ORDER_TOOL])
        assert result.content() == answer
        assert result.finish == {0: "stop"}
    else:
        second = create(session, model="gpt-4o", messages=messages, tools=[ORDER_TOOL])
        assert second.choices[0].message.content == answer
        assert second.choices[0].finish_reason == "stop"


def test_fixture_scripted_calls_keep_given_ids(api: openai.OpenAI) -> None:
    body = create(api, model="gpt-4o", messages=user(_tag("two-calls")), tools=[ORDER_TOOL])
    calls = body.choices[0].message.tool_calls
    assert calls[0].id == "call_FixtureScriptedId00001"
    assert CALL_ID.match(calls[1].id)
    assert [json.loads(c.function.arguments) for c in calls] == [{"order_id": "B-1"}, {"order_id": "B-2"}]
    assert calls[1].function.arguments == '{"order_id": "B-2"}'  # JSON text is kept verbatim
    assert body.choices[0].finish_reason == "tool_calls"
    result = stream(api, model="gpt-4o", messages=user(_tag("two-calls")), tools=[ORDER_TOOL])
    assert [result.calls[0][i]["arguments"] for i in (0, 1)] == [c.function.arguments for c in calls]
    assert result.calls[0][0]["id"] == "call_FixtureScriptedId00001"


def test_pydantic_function_tool_parses_arguments(api: openai.OpenAI) -> None:
    class GetForecast(BaseModel):
        city: str
        days: int = Field(ge=1, le=14)
        unit: Literal["celsius", "fahrenheit"]

    completion = parse(
        api,
        model="gpt-4o",
        messages=user("Forecast for Lyon please."),
        tools=[openai.pydantic_function_tool(GetForecast)],
        tool_choice="required",
    )
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "GetForecast"
    assert isinstance(call.function.parsed_arguments, GetForecast)


# ===== 6. n, seed, logprobs ============================================================================


def test_prompt_usage_follows_the_cookbook_formula(api: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name three rivers in 中国."},
    ]
    expected = 3 + sum(3 + len(toks(m["role"])) + len(toks(m["content"])) for m in messages)
    body = create(api, model="gpt-4o", messages=messages, max_tokens=5)
    assert body.usage.prompt_tokens == expected
    assert stream(api, model="gpt-4o", messages=messages, max_tokens=5).usage.prompt_tokens == expected


def test_n_choices_differ_and_usage_sums(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": user("Write a short note about rivers."), "n": 3}
    body = create(api, **kw)
    contents = [c.message.content for c in body.choices]
    assert [c.index for c in body.choices] == [0, 1, 2]
    assert len(set(contents)) == 3
    assert body.usage.completion_tokens == sum(len(toks(c)) for c in contents)
    result = stream(api, **kw)
    assert [result.content(i) for i in range(3)] == contents
    assert result.finish == {0: "stop", 1: "stop", 2: "stop"}
    assert usage_dict(result.usage) == usage_dict(body.usage)


def test_n_with_max_tokens_cuts_every_choice(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": user("Write a short note about rivers."), "n": 3}
    full = [c.message.content for c in create(api, **kw).choices]
    body = create(api, max_tokens=4, **kw)
    assert [c.message.content for c in body.choices] == [decodable_prefix(toks(t), 4) for t in full]
    assert all(c.finish_reason == "length" for c in body.choices)
    assert body.usage.completion_tokens == 12


def test_n_with_stop_cuts_every_choice(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": user("Write a short note about rivers."), "n": 3}
    full = [c.message.content for c in create(api, **kw).choices]
    stops = [" the", "."]
    body = create(api, stop=stops, **kw)
    sent = [c.message.content for c in body.choices]
    assert sent == [_expected_cut(t, stops) for t in full]
    assert all(c.finish_reason == "stop" for c in body.choices)
    assert body.usage.completion_tokens == sum(len(toks(t)) for t in sent)


def test_n_with_json_schema_gives_valid_distinct_objects(api: openai.OpenAI) -> None:
    schema = RAW_SCHEMAS["product"][0]
    body = create(
        api, model="gpt-4o", messages=user("A product."), n=2, response_format=_json_schema_format(schema, True)
    )
    objects = [json.loads(c.message.content) for c in body.choices]
    for obj in objects:
        jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(obj)
    assert objects[0] != objects[1]


def test_n_with_a_fixture_repeats_the_reply(api: openai.OpenAI) -> None:
    body = create(api, model="gpt-4o", messages=user(_tag("stop-en")), n=2, stop="END_OF_ANSWER")
    expected = _expected_cut(STOP_EN, ["END_OF_ANSWER"])
    assert [c.message.content for c in body.choices] == [expected, expected]
    assert body.usage.completion_tokens == 2 * len(toks(expected))


def test_seed_changes_the_text_deterministically(api: openai.OpenAI) -> None:
    def text(seed: int | None) -> str:
        kw: dict[str, Any] = {"model": "gpt-4o", "messages": user("Describe a quiet harbour at dawn.")}
        if seed is not None:
            kw["seed"] = seed
        return create(api, **kw).choices[0].message.content

    assert text(1) == text(1)
    assert text(2) == text(2)
    assert len({text(1), text(2), text(3), text(None)}) == 4
    streamed = stream(api, model="gpt-4o", messages=user("Describe a quiet harbour at dawn."), seed=1)
    assert streamed.content() == text(1)


def _check_logprob_entries(entries: list[dict[str, Any]], content: str, k: int) -> None:
    assert b"".join(bytes(e["bytes"]) for e in entries) == content.encode("utf-8")
    for entry in entries:
        assert entry["logprob"] <= 0
        assert bytes(entry["bytes"]).decode("utf-8") == entry["token"]
        top = entry["top_logprobs"]
        assert len(top) == k
        assert all(t["logprob"] <= 0 for t in top)
        for alt in top:
            assert isinstance(alt["token"], str) and isinstance(alt["bytes"], list)
        if k:
            assert top[0]["token"] == entry["token"] and top[0]["logprob"] == entry["logprob"]


@pytest.mark.parametrize("k", [0, 3, 20])
def test_logprobs_shape(api: openai.OpenAI, k: int) -> None:
    kw: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": user("Say something about owls."),
        "logprobs": True,
        "top_logprobs": k,
    }
    body = create(api, **kw)
    content = body.choices[0].message.content
    entries = [e.to_dict() for e in body.choices[0].logprobs.content]
    assert len(entries) == body.usage.completion_tokens == len(toks(content))
    assert "".join(e["token"] for e in entries) == content
    _check_logprob_entries(entries, content, k)


def test_top_logprobs_sorted_descending(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {"model": "gpt-4o", "messages": user("Say something about owls."), "logprobs": True}
    body = create(api, top_logprobs=20, **kw)
    for entry in body.choices[0].logprobs.content:
        lps = [t.logprob for t in entry.top_logprobs]
        assert lps == sorted(lps, reverse=True)


def test_logprobs_are_deterministic(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": user("Say something about owls."),
        "logprobs": True,
        "top_logprobs": 3,
    }
    first = [e.to_dict() for e in create(api, **kw).choices[0].logprobs.content]
    second = [e.to_dict() for e in create(api, **kw).choices[0].logprobs.content]
    assert first == second


def test_streamed_logprobs_concatenate_to_the_same_list(api: openai.OpenAI) -> None:
    kw: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": user("Say something about owls."),
        "logprobs": True,
        "top_logprobs": 2,
    }
    body = create(api, **kw)
    result = stream(api, **kw)
    assert result.content() == body.choices[0].message.content
    assert result.logprobs[0] == [e.to_dict() for e in body.choices[0].logprobs.content]


def test_logprobs_on_multibyte_text(api: openai.OpenAI) -> None:
    body = create(api, model="gpt-4o", messages=user(_tag("long-emoji")), logprobs=True, top_logprobs=1)
    entries = [e.to_dict() for e in body.choices[0].logprobs.content]
    assert len(entries) == len(toks(EMOJI_LONG))
    assert b"".join(bytes(e["bytes"]) for e in entries) == EMOJI_LONG.encode("utf-8")
    assert all(e["logprob"] <= 0 and len(e["top_logprobs"]) == 1 for e in entries)
    result = stream(api, model="gpt-4o", messages=user(_tag("long-emoji-c3")), logprobs=True, top_logprobs=1)
    assert result.content() == EMOJI_LONG
    assert [bytes(e["bytes"]) for e in result.logprobs[0]] == [bytes(e["bytes"]) for e in entries]


def test_top_logprobs_requires_logprobs(api: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        api.chat.completions.create(model="gpt-4o", messages=user("hello"), top_logprobs=2)
    assert err.value.param == "top_logprobs"
