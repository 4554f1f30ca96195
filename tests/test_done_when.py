"""The "Done when" lists of issues #4, #6, #7 and #8, checked item by item where no other test did.

Most items already have real tests elsewhere (see the audit table in the issue thread); this file adds the
missing ones, all through a real server and the ``openai`` SDK:

* #4 fixtures/generator: every match condition (positive and, on a strict server, the negative with its
  near-miss message), priority and file order across files, a content-only ``replies`` sequence with
  ``times`` and the last entry repeating, ``reply: {echo: true}``, the README's strict-mode example on the
  bundled fixtures, Chinese answers to Chinese prompts, prompt usage against an independent tokenizer
  (names, multi-part content, and the cookbook example whose live-API counts are 124 / 129), and the
  ``mockllm check`` command's warnings and exit codes.
* #6 semantics: truncation to 1, 7 and 50 tokens and stop strings across chunk boundaries, counted with a
  tokenizer built here, not mockllm's.
* #7 vision: every failure as a precise 400 through the SDK, image-token counts from an independent
  implementation of the tile formula, the ``auto`` rule included.
* #8 faults: all items were covered by tests/test_faults.py; nothing new here.

The independent tokenizer is stock ``tiktoken`` (``tiktoken_ext.openai_public``'s own constructors with
their own patterns and special tokens), fed the rank files of the installed ``bpe-openai`` package through
a private ``TIKTOKEN_CACHE_DIR``; network reads are patched to fail, so nothing is ever downloaded.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import io
import json
import math
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import tiktoken
import tiktoken.load
import yaml
from PIL import Image

from mockllm.config import Settings
from mockllm.server import MockServer

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


# ===== shared helpers ================================================================================


@pytest.fixture(scope="module")
def indep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tiktoken.Encoding]:
    """o200k_base and cl100k_base built by tiktoken's own plugin from bpe-openai's data files."""
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    spec = importlib.util.find_spec("bpe_openai")
    assert spec is not None and spec.origin is not None
    data_dir = Path(spec.origin).parent / "data"
    for name in ("o200k_base", "cl100k_base"):
        url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
        raw = gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())
        (cache / hashlib.sha1(url.encode()).hexdigest()).write_bytes(raw)

    def no_network(blobpath: str) -> bytes:
        raise AssertionError(f"tiktoken tried to fetch {blobpath}")

    from tiktoken_ext import openai_public

    patch = pytest.MonkeyPatch()
    patch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    patch.setattr(tiktoken.load, "read_file", no_network)
    try:
        return {name: tiktoken.Encoding(**getattr(openai_public, name)()) for name in ("o200k_base", "cl100k_base")}
    finally:
        patch.undo()


def decodable_prefix(enc: tiktoken.Encoding, text: str, limit: int) -> str:
    """The first ``limit`` tokens of ``text`` as text, trailing bytes of a cut character dropped."""
    data = b"".join(enc.decode_single_token_bytes(t) for t in enc.encode_ordinary(text)[:limit])
    for cut in range(4):
        try:
            return data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"undecodable token bytes {data!r}")


def png(size: tuple[int, int], color: tuple[int, int, int] = (200, 30, 30), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def image_part(url: str, detail: str | None = None) -> dict[str, Any]:
    image_url: dict[str, Any] = {"url": url}
    if detail is not None:
        image_url["detail"] = detail
    return {"type": "image_url", "image_url": image_url}


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def streamed(client: openai.OpenAI, **kw: Any) -> tuple[list[str], str | None, Any]:
    """Content deltas, finish reason and usage of a streamed call."""
    deltas: list[str] = []
    finish, usage = None, None
    for chunk in client.chat.completions.create(stream=True, stream_options={"include_usage": True}, **kw):
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                deltas.append(choice.delta.content)
            if choice.finish_reason is not None:
                finish = choice.finish_reason
    return deltas, finish, usage


def bad_request(client: openai.OpenAI, **kw: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(**kw)
    return info.value


# ===== the fixture server of this module ===============================================================

RED = png((16, 16), (255, 0, 0))
BLUE = png((16, 16), (0, 0, 255))
RED_SHA = hashlib.sha256(RED).hexdigest()
GET_WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
GET_TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}

EN_LONG = (
    "The history of the lighthouse is a story of stubborn engineering. Early towers burned wood or coal in open "
    "braziers, and keepers climbed hundreds of steps each night to feed the flame. In 1822 Augustin Fresnel "
    "proposed a lens built from concentric rings of glass, which bent scattered light into a single beam."
)
ZH_LONG = (
    "长城是中国古代最伟大的防御工程之一，它从春秋战国时期开始修建，经过秦、汉、明等多个朝代的不断扩建，"
    "总长度超过两万公里。城墙沿着山脊蜿蜒起伏，烽火台每隔一段距离便矗立一座，守军可以用烟火迅速传递军情。"
    "鳌龘齉龘，这些生僻字也会出现在文献里。"
)
EMOJI_LONG = (
    "🫠 Party plan 🎉🎊: arrive 🚗💨, eat 🍕🍔🌮🍣, dance 💃🕺🪩, family photo 👨‍👩‍👧‍👦📸, flags 🏳️‍🌈🇯🇵🇧🇷, "
    "then 🌙✨😴. Weather ☀️🌦️⛈️🌈, mood 😀😂🥹🫠🤯🥳, animals 🦄🐉🦖🐙🦩, hands 👍🏽👋🏿🤝🏻✌️ 🧑‍🚀👩‍🔬🧙‍♂️🧜‍♀️."
)
LONG = {"en": EN_LONG, "zh": ZH_LONG, "emoji": EMOJI_LONG}
# (reply, stop): each stop string spans several tokens, so some chunk boundary always falls inside it
STOPS = {
    "en": ("The final answer is 42.END_OF_ANSWER and this tail must never be sent.", "END_OF_ANSWER"),
    "chat": ("Sure, it is fine today.\n\nUser: And tomorrow?\n\nAssistant: Also fine.", "\n\nUser:"),
    "zh": ("今天我们讨论了很多问题，答案已经给出结束了接下来的内容绝对不应该出现。", "结束了"),
    "emoji": ("Launch in 3, 2, 1 🚀 liftoff! 👨‍👩‍👧‍👦 secret family tail 🎉", "👨‍👩‍👧‍👦"),
}

# case -> (extra match conditions, positive request, negative request, expected failure text)
CONDITIONS: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]] = {
    "model": (
        {"model": "gpt-4o*"},
        {"model": "gpt-4o-mini", "messages": user("hi")},
        {"model": "gpt-4.1", "messages": user("hi")},
        "model: expected 'gpt-4o*', got 'gpt-4.1'",
    ),
    "user": (
        {"user": "capital of France"},
        {"messages": user("What is the CAPITAL of france?")},
        {
            "messages": [
                *user("capital of France?"),  # an earlier user message does not count: only the last one
                {"role": "assistant", "content": "Paris."},
                *user("And of Spain?"),
            ]
        },
        "user: expected substring 'capital of France' in last user message 'And of Spain?'",
    ),
    "user_regex": (
        {"user_regex": r"^order #\d+$"},
        {"messages": user("order #123")},
        {"messages": user("order #12a")},
        r"user_regex: expected /^order #\d+$/ to match last user message 'order #12a'",
    ),
    "system": (
        {"system": "geography teacher"},
        {"messages": [{"role": "developer", "content": "You are a Geography Teacher."}, *user("hi")]},
        {"messages": [{"role": "system", "content": "You are a poet."}, *user("hi")]},
        "system: expected substring 'geography teacher' in system/developer messages 'You are a poet.'",
    ),
    "has_image": (
        {"has_image": True},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, image_part(data_url(BLUE))]}]},
        {"messages": user("hi")},
        "has_image: expected at least one image, got none",
    ),
    "image_count": (
        {"image_count": 2},
        {
            "messages": [
                {"role": "user", "content": [image_part(data_url(BLUE)), image_part("https://example.com/a.png")]}
            ]
        },
        {"messages": [{"role": "user", "content": [image_part(data_url(BLUE))]}]},
        "image_count: expected 2 image(s), got 1",
    ),
    "image_sha256": (
        {"image_sha256": RED_SHA},
        {"messages": [{"role": "user", "content": [image_part(data_url(BLUE)), image_part(data_url(RED))]}]},
        {"messages": [{"role": "user", "content": [image_part(data_url(BLUE))]}]},
        f"image_sha256: expected an image with sha256 '{RED_SHA}', got ",
    ),
    "response_format": (
        {"response_format": "json_object"},
        {"messages": user("Answer in JSON."), "response_format": {"type": "json_object"}},
        {"messages": user("Answer in JSON.")},
        "response_format: expected 'json_object', got 'text'",
    ),
    "tool": (
        {"tool": "get_weather"},
        {"messages": user("hi"), "tools": [GET_TIME, GET_WEATHER], "tool_choice": "none"},
        {"messages": user("hi"), "tools": [GET_TIME]},
        "tool: expected a tool named 'get_weather', got ['get_time']",
    ),
    "stream": (
        {"stream": True},
        {"messages": user("hi"), "stream": True},
        {"messages": user("hi")},
        "stream: expected true, got false",
    ),
    "headers": (
        {"headers": {"x-dw-case": "headers", "x-dw-flag": "on"}},
        {"messages": user("hi"), "extra_headers": {"X-DW-Flag": "on"}},
        {"messages": user("hi"), "extra_headers": {"x-dw-flag": "off"}},
        "headers.x-dw-flag: expected 'on', got 'off'",
    ),
}


def _case(case: str, **match: Any) -> dict[str, Any]:
    headers = {"x-dw-case": case, **match.pop("headers", {})}
    return {"headers": headers, **match}


def _fixture_files(folder: Path) -> None:
    """Two files: the first holds the condition fixtures and the file-order/priority rivals, the second
    (loaded later) holds later rivals, one of them with a higher priority."""
    first: list[dict[str, Any]] = []
    for case, (match, *_rest) in CONDITIONS.items():
        content: Any = {"case": case} if case == "response_format" else f"dw:{case}"
        first.append({"name": f"dw-{case}", "match": _case(case, **dict(match)), "reply": {"content": content}})
    first += [
        {"name": "zz-order-first", "match": _case("order", user="which"), "reply": {"content": "first in file"}},
        {"name": "aa-order-second", "match": _case("order", user="which"), "reply": {"content": "second in file"}},
        {"name": "prio-low", "match": _case("prio", user="which"), "reply": {"content": "priority 0"}},
        {"name": "prio-mid", "priority": 1, "match": _case("prio", user="which"), "reply": {"content": "priority 1"}},
        {"name": "dw-echo", "match": _case("echo", user="echo"), "reply": {"echo": True}},
        {
            "name": "dw-seq",
            "match": _case("seq", user="next"),
            "replies": [{"content": "one", "times": 2}, {"content": "two"}, {"content": "last"}],
        },
    ]
    for lang, text in LONG.items():
        first.append({"name": f"long-{lang}", "match": _case(f"long-{lang}", user="story"), "reply": {"content": text}})
    for name, (text, _stop) in STOPS.items():
        for k in (1, 2, 3):
            first.append(
                {
                    "name": f"stop-{name}-c{k}",
                    "match": _case(f"stop-{name}-c{k}", user="stop"),
                    "reply": {"content": text, "pacing": {"chunk_tokens": k}},
                }
            )
    second = [
        {"name": "a-order-later-file", "match": _case("order", user="which"), "reply": {"content": "later file"}},
        {"name": "prio-high", "priority": 3, "match": _case("prio", user="which"), "reply": {"content": "priority 3"}},
    ]
    (folder / "10-first.yaml").write_text(
        yaml.safe_dump({"fixtures": first}, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    (folder / "20-second.json").write_text(json.dumps({"fixtures": second}), encoding="utf-8")


@pytest.fixture(scope="module")
def dw_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("done-when")
    _fixture_files(folder)
    with MockServer(Settings(port=0, fixtures=(str(folder),), seed=5, strict=True)) as srv:
        yield srv


@pytest.fixture
def dw(dw_server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=dw_server.base_url, api_key="sk-test", max_retries=0)


def send(client: openai.OpenAI, case: str, request: dict[str, Any]) -> str:
    """Send ``request`` tagged with ``case``; return the answer's content (streamed or not)."""
    kw = {"model": "gpt-4.1", **request}
    kw["extra_headers"] = {"x-dw-case": case, **kw.get("extra_headers", {})}
    if kw.pop("stream", False):
        deltas, finish, _ = streamed(client, **kw)
        assert finish == "stop"
        return "".join(deltas)
    answer = client.chat.completions.create(**kw)
    return answer.choices[0].message.content or ""


# ===== issue #4: fixtures and the generator ==============================================================


@pytest.mark.parametrize("case", list(CONDITIONS))
def test_each_match_condition_through_the_sdk(dw: openai.OpenAI, case: str) -> None:
    """The positive request gets the fixture; the negative one, on this strict server, gets 404
    fixture_not_found whose message names the fixture and the one condition it failed."""
    _match, positive, negative, failure = CONDITIONS[case]
    content = send(dw, case, positive)
    if case == "response_format":
        assert json.loads(content) == {"case": case}
    else:
        assert content == f"dw:{case}"
    with pytest.raises(openai.NotFoundError) as info:
        send(dw, case, negative)
    e = info.value
    assert (e.status_code, e.type, e.code, e.param) == (404, "invalid_request_error", "fixture_not_found", None)
    message = e.body["message"]  # type: ignore[index]
    assert message.startswith("No fixture matched this request. Nearest: "), message
    assert f"'dw-{case}' failed {failure}" in message, message


def test_file_order_breaks_ties_across_files_and_priority_beats_it(dw: openai.OpenAI) -> None:
    # Same conditions everywhere: the first in the first file wins (not the alphabetically first name) ...
    assert send(dw, "order", {"messages": user("which one?")}) == "first in file"
    # ... unless a fixture has a higher priority, even in a later file.
    assert send(dw, "prio", {"messages": user("which one?")}) == "priority 3"


def test_replies_sequence_with_times_and_the_last_repeating(dw: openai.OpenAI) -> None:
    session = {"x-mockllm-session": "seq-" + uuid.uuid4().hex}
    got = [send(dw, "seq", {"messages": user("next"), "extra_headers": session, "stream": i == 3}) for i in range(6)]
    assert got == ["one", "one", "two", "last", "last", "last"]


@pytest.mark.parametrize("stream", [False, True])
def test_echo_answers_the_last_user_message(dw: openai.OpenAI, stream: bool) -> None:
    messages = [
        *user("an earlier echo that is not repeated"),
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "text", "text": "please echo"}, {"type": "text", "text": "this back"}]},
    ]
    # a multi-part message's text is its text parts joined with newlines (what the matchers read, too)
    assert send(dw, "echo", {"messages": messages, "stream": stream}) == "please echo\nthis back"


def test_strict_near_miss_message_of_the_readme(strict_server: MockServer) -> None:
    client = openai.OpenAI(base_url=strict_server.base_url, api_key="sk-test", max_retries=0)
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4o", messages=user("capital of Spain?"))
    e = info.value
    assert (e.status_code, e.type, e.code) == (404, "invalid_request_error", "fixture_not_found")
    message = e.body["message"]  # type: ignore[index]
    assert message.startswith("No fixture matched this request. Nearest: ")
    assert (
        "'capital-of-france' failed user: expected substring 'capital of France' in last user message "
        "'capital of Spain?'" in message
    ), message


def _cjk_share(text: str) -> float:
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return cjk / max(1, cjk + latin)


@pytest.mark.parametrize("prompt", ["请介绍一下长城的历史。", "给我讲一个关于月亮的故事。", "为什么天空是蓝色的？"])
def test_chinese_prompts_get_chinese_answers(client: openai.OpenAI, prompt: str) -> None:
    answer = client.chat.completions.create(model="gpt-4o", messages=user(prompt)).choices[0].message.content
    assert answer and len(CJK.findall(answer)) >= 10 and _cjk_share(answer) >= 0.9, answer
    deltas, _, _ = streamed(client, model="gpt-4o", messages=user(prompt))
    assert "".join(deltas) == answer
    r1 = client.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=user(prompt)).choices[0].message
    reasoning = (r1.model_extra or {}).get("reasoning_content") or ""
    assert _cjk_share(r1.content or "") >= 0.9 and _cjk_share(reasoning) >= 0.9, (r1.content, reasoning)
    english = client.chat.completions.create(model="gpt-4o", messages=user("Tell me about the Great Wall."))
    assert not CJK.search(english.choices[0].message.content or "")


# The cookbook's example (openai-cookbook, How_to_count_tokens_with_tiktoken): the live API reported 124
# prompt tokens for gpt-4o and 129 for gpt-4 / gpt-3.5-turbo (PROTOCOL.md §8).
COOKBOOK = [
    {
        "role": "system",
        "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain "
        "English.",
    },
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {
        "role": "system",
        "name": "example_user",
        "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased "
        "leverage.",
    },
    {
        "role": "system",
        "name": "example_assistant",
        "content": "Let's talk later when we're less busy about how to do better.",
    },
    {
        "role": "user",
        "content": "This late pivot means we don't have time to boil the ocean for the client deliverable.",
    },
]
MIXED = [
    {"role": "system", "name": "narrator", "content": [{"type": "text", "text": "You are terse."}]},
    {"role": "developer", "content": "Prefer metric units; never exceed three sentences."},
    {"role": "user", "name": "Ada_L", "content": "How tall is the Eiffel Tower?"},
    {"role": "assistant", "name": "helper", "content": "About 330 metres, antenna included."},
    {
        "role": "user",
        "name": "Ada_L",
        "content": [
            {"type": "text", "text": "And the Tokyo Tower?"},
            {"type": "text", "text": "Also: 東京スカイツリー, émigré café 🗼, x=1,234.5"},
            {"type": "text", "text": "thanks!"},
        ],
    },
]


def cookbook_count(enc: tiktoken.Encoding, messages: list[dict[str, Any]]) -> int:
    """3 per message + every field's tokens (+1 per name) + 3 reply priming; a multi-part content is its text
    parts joined with newlines (mockllm's documented reading of multi-part text)."""
    total = 3
    for message in messages:
        total += 3
        for key, value in message.items():
            if isinstance(value, list):
                value = "\n".join(p["text"] for p in value)
            total += len(enc.encode_ordinary(value))
            if key == "name":
                total += 1
    return total


def test_cookbook_counts_match_the_live_api(indep: dict[str, tiktoken.Encoding]) -> None:
    """Guards the counting helper: it reproduces the live API's numbers for the cookbook's messages."""
    assert cookbook_count(indep["o200k_base"], COOKBOOK) == 124
    assert cookbook_count(indep["cl100k_base"], COOKBOOK) == 129


@pytest.mark.parametrize(("model", "encoding"), [("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")])
@pytest.mark.parametrize("messages", [COOKBOOK, MIXED], ids=["cookbook", "names-and-parts"])
def test_prompt_usage_equals_an_independent_count(
    client: openai.OpenAI, indep: dict[str, tiktoken.Encoding], model: str, encoding: str, messages: Any
) -> None:
    expected = cookbook_count(indep[encoding], messages)
    if messages is COOKBOOK:
        assert expected == (124 if encoding == "o200k_base" else 129)
    answer = client.chat.completions.create(model=model, messages=messages, max_tokens=5)
    assert answer.usage.prompt_tokens == expected
    _, _, usage = streamed(client, model=model, messages=messages, max_tokens=5)
    assert usage.prompt_tokens == expected
    assert usage.to_dict() == answer.usage.to_dict()


def _check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockllm", "check", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def test_check_command_warnings_and_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "warn.yaml"
    good.write_text(
        "fixtures:\n"
        "  - name: france\n    match: {user: France}\n    reply: {content: Paris}\n"
        "  - name: shadowed\n    match: {user: France}\n    reply: {content: never}\n"
        "  - name: json-mode\n    match: {response_format: json_object}\n    reply: {content: 'not json'}\n",
        encoding="utf-8",
    )
    result = _check(good)
    assert result.returncode == 0, result.stdout + result.stderr  # warnings alone do not fail
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stdout.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, result.stdout
    assert "fixtures[1] (shadowed): can never match: 'france'" in warnings[0]
    assert "fixtures[2] (json-mode)" in warnings[1] and "not valid JSON" in warnings[1]
    assert "json_object" in warnings[1]
    assert result.stdout.splitlines()[-1] == "1 file, 3 fixtures, 0 models, 0 problems, 2 warnings"

    broken = tmp_path / "broken.yaml"
    broken.write_text("fixtures:\n  - match: {usr: x}\n    reply: {content: a}\n", encoding="utf-8")
    result = _check(good, broken)
    assert result.returncode == 1
    assert any(line.startswith("error: ") and "usr" in line for line in result.stdout.splitlines()), result.stdout
    assert result.stdout.splitlines()[-1] == "2 files, 3 fixtures, 0 models, 1 problem, 2 warnings"


# ===== issue #6: semantics, counted with the independent tokenizer ========================================


@pytest.mark.parametrize("limit", [1, 7, 50])
@pytest.mark.parametrize("lang", list(LONG))
@pytest.mark.parametrize(("model", "encoding"), [("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base")])
def test_truncation_matches_an_independent_count(
    dw: openai.OpenAI, indep: dict[str, tiktoken.Encoding], model: str, encoding: str, lang: str, limit: int
) -> None:
    enc = indep[encoding]
    text = LONG[lang]
    assert len(enc.encode_ordinary(text)) > 60
    expected = decodable_prefix(enc, text, limit)
    if lang != "en":  # the cut really lands inside a character somewhere (else the U+FFFD check is weak)
        ids = enc.encode_ordinary(text)
        assert any(decodable_prefix(enc, text, n).encode() != enc.decode_bytes(ids[:n]) for n in range(1, 60))
    kw: dict[str, Any] = {
        "model": model,
        "messages": user("a story"),
        "max_tokens": limit,
        "extra_headers": {"x-dw-case": f"long-{lang}"},
    }
    answer = dw.chat.completions.create(**kw)
    assert answer.choices[0].message.content == expected
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage.completion_tokens == limit
    assert "\ufffd" not in answer.model_dump_json()
    deltas, finish, usage = streamed(dw, **kw)
    assert "".join(deltas) == expected and finish == "length"
    assert not any("\ufffd" in d for d in deltas)
    assert usage.to_dict() == answer.usage.to_dict()


@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("name", list(STOPS))
def test_stop_strings_never_leak_across_chunk_boundaries(
    dw: openai.OpenAI, indep: dict[str, tiktoken.Encoding], name: str, k: int
) -> None:
    enc = indep["o200k_base"]
    text, stop = STOPS[name]
    assert len(enc.encode_ordinary(stop)) >= 2
    expected = text[: text.index(stop)]
    kw: dict[str, Any] = {
        "model": "gpt-4o",
        "messages": user("stop here"),
        "stop": [stop],
        "extra_headers": {"x-dw-case": f"stop-{name}-c{k}"},
    }
    answer = dw.chat.completions.create(**kw)
    assert answer.choices[0].message.content == expected
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.completion_tokens == len(enc.encode_ordinary(expected))
    deltas, finish, usage = streamed(dw, **kw)
    assert "".join(deltas) == expected and finish == "stop"
    assert len(deltas) <= math.ceil(len(enc.encode_ordinary(expected)) / k)
    assert usage.to_dict() == answer.usage.to_dict()


# ===== issue #7: vision ====================================================================================

P = "messages[0].content[1]"
URL_P = f"{P}.image_url.url"
UNSUPPORTED = (
    "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
    "['png', 'jpeg', 'gif', 'webp']."
)


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def _mp3_frames(count: int = 5) -> bytes:
    header = bytes([0xFF, 0xFB, 0x90, 0x00])  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz
    return (header + b"\x00" * (144 * 128_000 // 44_100 - 4)) * count


def _with_text(part: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "What is this?"}, part]}]


VISION_FAILURES: dict[str, tuple[str, Any, tuple[str | None, str, str | re.Pattern[str]]]] = {
    # name: (model, part, (code, param, message))
    "corrupt-base64": (
        "gpt-4o",
        image_part("data:image/png;base64,iVBORw0KGgo*not base64!"),
        ("invalid_image_format", URL_P, UNSUPPORTED),
    ),
    "magic-mismatch": (
        "gpt-4o",
        image_part(data_url(png((8, 8), fmt="JPEG"), "image/png")),
        (
            "invalid_image_format",
            URL_P,
            "Invalid image: the data URL says image/png but the bytes are a jpeg image.",
        ),
    ),
    "magic-unknown": (
        "gpt-4o",
        image_part(data_url(b"GIF87-not-really-an-image" * 4, "image/png")),
        ("invalid_image_format", URL_P, UNSUPPORTED),
    ),
    "animated-gif": (
        "gpt-4o",
        image_part(data_url(_animated_gif(), "image/gif")),
        ("invalid_image_format", URL_P, re.compile(r".*animated GIFs are not supported.*non-animated GIF.*")),
    ),
    "detail-ultra": (
        "gpt-4o",
        image_part("https://example.com/cat.png", "ultra"),
        (
            "invalid_value",
            f"{P}.image_url.detail",
            "Invalid value: 'ultra'. Supported values are: 'auto', 'low', and 'high'.",
        ),
    ),
    "text-only-model": (
        "gpt-3.5-turbo",
        image_part(data_url(RED)),
        (None, f"{P}.type", "Invalid content type. image_url is only supported by certain models."),
    ),
    "audio-on-a-model-without-audio-input": (
        "gpt-4o",
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(_mp3_frames()).decode(), "format": "mp3"}},
        (None, f"{P}.type", "Invalid content type. input_audio is only supported by certain models."),
    ),
    "audio-format-mismatch": (
        "gpt-4o-audio-preview",
        {"type": "input_audio", "input_audio": {"data": base64.b64encode(_mp3_frames()).decode(), "format": "wav"}},
        ("invalid_input_audio", f"{P}.input_audio.data", re.compile(r".*the data is an MP3 stream.*")),
    ),
    "audio-not-base64": (
        "gpt-4o-audio-preview",
        {"type": "input_audio", "input_audio": {"data": "not base64!", "format": "wav"}},
        ("invalid_input_audio", f"{P}.input_audio.data", re.compile(r".*not valid base64.*")),
    ),
    "audio-bad-format": (
        "gpt-4o-audio-preview",
        {"type": "input_audio", "input_audio": {"data": "AAAA", "format": "ogg"}},
        ("invalid_value", f"{P}.input_audio.format", "Invalid value: 'ogg'. Supported values are: 'wav' and 'mp3'."),
    ),
}


@pytest.mark.parametrize("name", list(VISION_FAILURES))
def test_vision_and_audio_failures_are_precise_400s(client: openai.OpenAI, name: str) -> None:
    model, part, (code, param, message) = VISION_FAILURES[name]
    e = bad_request(client, model=model, messages=_with_text(part))
    assert e.status_code == 400
    assert (e.type, e.code, e.param) == ("invalid_request_error", code, param)
    assert set(e.body) == {"message", "type", "param", "code"}  # type: ignore[arg-type]
    got = e.body["message"]  # type: ignore[index]
    if isinstance(message, re.Pattern):
        assert message.fullmatch(got), got
    else:
        assert got == message


def test_a_21_mb_image_is_a_precise_400(client: openai.OpenAI) -> None:
    raw = b"\x89PNG\r\n\x1a\n" + b"\x00" * (21 * 1024 * 1024 - 8)
    e = bad_request(client, model="gpt-4o", messages=_with_text(image_part(data_url(raw))))
    assert (e.status_code, e.type, e.code, e.param) == (400, "invalid_request_error", "image_too_large", URL_P)
    assert e.body["message"] == "Image size exceeds the limit: 21.0 MB > 20 MB."  # type: ignore[index]


def tile_tokens(width: int, height: int, detail: str, base: int = 85, tile: int = 170) -> int:
    """PROTOCOL.md §7, written out: low = base; high = fit in 2048², shortest side to 768 (downscale only),
    base + tile per 512-px tile; auto = low up to 512×512, else high (README)."""
    if detail == "auto":
        detail = "low" if width <= 512 and height <= 512 else "high"
    if detail == "low":
        return base
    w, h = float(width), float(height)
    if max(w, h) > 2048:
        w, h = w * 2048 / max(w, h), h * 2048 / max(w, h)
    if min(w, h) > 768:
        w, h = w * 768 / min(w, h), h * 768 / min(w, h)
    return base + tile * math.ceil(w / 512) * math.ceil(h / 512)


SIZES = {"tiny": (8, 8), "512": (512, 512), "1024": (1024, 1024), "2048x4096": (2048, 4096)}


def test_tile_formula_helper_reproduces_the_documented_examples() -> None:
    assert tile_tokens(1024, 1024, "high") == 765
    assert tile_tokens(2048, 4096, "high") == 1105
    assert tile_tokens(2048, 4096, "low") == 85
    assert tile_tokens(8, 8, "high") == 255


@pytest.fixture(scope="module")
def size_urls() -> dict[str, str]:
    return {
        name: data_url(png(size, fmt="JPEG"), "image/jpeg") if name == "2048x4096" else data_url(png(size))
        for name, size in SIZES.items()
    }


@pytest.mark.parametrize(("model", "base", "tile"), [("gpt-4o", 85, 170), ("gpt-5", 70, 140)])
@pytest.mark.parametrize("detail", ["low", "high", "auto"])
def test_image_tokens_follow_the_tile_formula(
    client: openai.OpenAI, size_urls: dict[str, str], model: str, base: int, tile: int, detail: str
) -> None:
    text_only = client.chat.completions.create(model=model, messages=user("What is this?"), max_completion_tokens=16)
    text_prompt = text_only.usage.prompt_tokens
    for name, (width, height) in SIZES.items():
        expected = tile_tokens(width, height, detail, base, tile)
        messages = [
            {
                "role": "user",
                "content": [{"type": "text", "text": "What is this?"}, image_part(size_urls[name], detail)],
            }
        ]
        answer = client.chat.completions.create(model=model, messages=messages, max_completion_tokens=16)
        details = answer.usage.prompt_tokens_details.to_dict()
        assert details.get("image_tokens") == expected, (name, detail, details)
        assert answer.usage.prompt_tokens == text_prompt + expected, (name, detail)
