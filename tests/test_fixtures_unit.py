"""Unit tests of the fixture format, the matcher algebra and the runtime fixture table."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from mockllm.core import matching as m
from mockllm.core.catalog import ModelInfo, VisionPolicy
from mockllm.core.conversation import Conversation, ImageInfo, Message, Part, ResponseFormat, ToolSpec
from mockllm.core.fixtures import (
    CheckReport,
    Fixture,
    FixtureError,
    FixtureTable,
    ModelEntry,
    ReplyTemplate,
    check_files,
    load_fixture_files,
    parse_fixture_document,
)
from mockllm.core.reply import ErrorSpec, FaultSpec, Pacing, ToolCallSpec

SHA_A = "ab" * 32
SHA_B = "cd" * 32


def image(sha: str | None = SHA_A) -> Part:
    info = ImageInfo("data", "data:image/png;base64,xx", "auto", "png", 10, 10, 100, sha, None)
    return Part(type="image_url", image=info)


def req(
    user: str = "hello",
    *,
    model: str = "gpt-4o",
    system: str | None = None,
    images: tuple[Part, ...] = (),
    **kw,
) -> Conversation:
    messages = []
    if system is not None:
        messages.append(Message(role="system", text=system, content=system))
    if images:
        messages.append(Message(role="user", text=user, content=[Part(type="text", text=user), *images]))
    else:
        messages.append(Message(role="user", text=user, content=user))
    return Conversation(model=model, messages=messages, **kw)


def doc(*fixtures: dict, models: list | None = None) -> dict:
    data: dict = {"fixtures": list(fixtures)}
    if models is not None:
        data["models"] = models
    return data


def table_of(*fixtures: dict) -> FixtureTable:
    return FixtureTable(parse_fixture_document(doc(*fixtures), "t.yaml").fixtures)


def problems_of(data, **kw) -> list[str]:
    with pytest.raises(FixtureError) as info:
        parse_fixture_document(data, "f.yaml", **kw)
    return info.value.problems


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ===== conditions ===================================================================================


@pytest.mark.parametrize(
    ("condition", "yes", "no", "failure"),
    [
        (m.Model("gpt-4o*"), req(model="gpt-4o-mini"), req(model="gpt-3.5-turbo"), "model: expected 'gpt-4o*'"),
        (m.Model("gpt-4o"), req(model="gpt-4o"), req(model="gpt-4o-mini"), "got 'gpt-4o-mini'"),
        (
            m.UserContains("capital of France"),
            req("What is the CAPITAL of france?"),
            req("what is the capital of Spain?"),
            "user: expected substring 'capital of France' in last user message 'what is the capital of Spain?'",
        ),
        (m.UserRegex(r"capital of \w+"), req("the capital of Peru"), req("Capital of Peru"), "user_regex: expected"),
        (m.System("geography"), req(system="You are a Geography teacher"), req(system="poet"), "system: expected"),
        (m.System("geography"), req(system="geography"), req(), "but there is none"),
        (m.HasImage(True), req(images=(image(),)), req(), "has_image: expected at least one image, got none"),
        (m.HasImage(False), req(), req(images=(image(),)), "has_image: expected no images, got 1"),
        (m.ImageCount(2), req(images=(image(), image())), req(images=(image(),)), "image_count: expected 2"),
        (m.ImageSha(SHA_A.upper()), req(images=(image(SHA_B), image(SHA_A))), req(images=(image(SHA_B),)), "sha256"),
        (
            m.ResponseFormatIs("json_object"),
            req(response_format=ResponseFormat("json_object")),
            req(),
            "response_format: expected 'json_object', got 'text'",
        ),
        (
            m.OffersTool("get_weather"),
            req(tools=(ToolSpec("x"), ToolSpec("get_weather"))),
            req(tools=(ToolSpec("x"),)),
            "tool: expected a tool named 'get_weather', got ['x']",
        ),
        (m.Stream(True), req(stream=True), req(), "stream: expected true, got false"),
        (
            m.Header("X-Test-Case", "checkout"),
            req(headers={"x-test-case": "checkout"}),
            req(headers={"x-test-case": "cart"}),
            "headers.x-test-case: expected 'checkout', got 'cart'",
        ),
        (m.Header("x-a", "1"), req(headers={"x-a": "1"}), req(), "the header is absent"),
        (m.Session("abc"), req(session="abc"), req(session="xyz"), "session: expected 'abc', got 'xyz'"),
        (m.Session("abc"), req(session="abc"), req(), "no x-mockllm-session"),
    ],
)
def test_each_condition(condition: m.Condition, yes: Conversation, no: Conversation, failure: str):
    assert condition.matches(yes)
    assert not condition.matches(no)
    assert failure in condition.describe_failure(no)


def test_algebra_and_or_not():
    gpt = m.Model("gpt-4o")
    hello = m.UserContains("hello")
    both = gpt & hello
    assert isinstance(both, m.All) and both.conditions == (gpt, hello)
    assert (both & m.Stream(False)).conditions == (gpt, hello, m.Stream(False))  # flattened
    assert both.matches(req("hello"))
    assert not both.matches(req("bye"))
    assert both.failures(req("bye", model="o3")) == [
        "model: expected 'gpt-4o', got 'o3'",
        "user: expected substring 'hello' in last user message 'bye'",
    ]
    either = gpt | hello
    assert isinstance(either, m.Any)
    assert either.matches(req("bye")) and either.matches(req("hello", model="o3"))
    assert not either.matches(req("bye", model="o3"))
    assert either.describe_failure(req("bye", model="o3")).startswith("none of: model:")
    assert (~gpt).matches(req(model="o3")) and not (~gpt).matches(req())
    assert m.All().matches(req())  # empty match = everything
    assert gpt & hello == m.All(m.Model("gpt-4o"), m.UserContains("hello"))  # value equality, for `check`
    assert hash(m.UserRegex("a+")) == hash(m.UserRegex("a+"))


def test_long_text_is_clipped_in_failures():
    text = m.UserContains("zzz").describe_failure(req("x" * 5000))
    assert len(text) < 300 and "(5000 chars)" in text


def test_all_evaluates_cheap_conditions_first():
    calls: list[str] = []

    class Cheap(m.Condition):
        cost = 1

        def test(self, view):
            calls.append("cheap")
            return False

    class Expensive(m.Condition):
        cost = 50

        def test(self, view):
            calls.append("expensive")
            return True

    assert not m.All(Expensive(), Cheap()).matches(req())
    assert calls == ["cheap"]


# ===== regex safety =================================================================================


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a*)*", "(a|a)*", r"(\w+\s?)*", "^(a|aa)+$", "(.*a){10}", "(.|x)*"])
def test_catastrophic_patterns_rejected(pattern: str):
    with pytest.raises(m.UnsafeRegexError, match="unsafe regex"):
        m.compile_user_regex(pattern)


@pytest.mark.parametrize(
    "pattern", [r"(?i)capital of \w+", "(?:foo|bar)*", "(a|b)*", "a++", "(?>a+)+", r"(\d{3}-){2}", r"^\s*(\w+)=(\d+)$"]
)
def test_ordinary_patterns_accepted(pattern: str):
    m.compile_user_regex(pattern)


def test_regex_only_searches_the_first_100k_chars():
    cond = m.UserRegex("needle")
    assert not cond.matches(req("x" * m.REGEX_TEXT_LIMIT + "needle"))
    assert cond.matches(req("x" * (m.REGEX_TEXT_LIMIT - 6) + "needle"))


@pytest.mark.parametrize("pattern", [r"\d+\d+x", r"\d+x", r"\w+@\w+\.com", ".*x"])
def test_polynomial_patterns_are_bounded_in_time(pattern: str):
    """Plain ``re`` needs seconds to minutes for these on 100k chars; the guarded search must not."""
    start = time.perf_counter()
    assert not m.UserRegex(pattern).matches(req("1" * m.REGEX_TEXT_LIMIT))
    assert time.perf_counter() - start < 1


def test_regex_timeout_counts_as_no_match(monkeypatch: pytest.MonkeyPatch):
    cond = m.UserRegex("a")

    class Slow:
        def search(self, text, timeout):
            raise TimeoutError("regex timed out")

    object.__setattr__(cond, "_engine", Slow())
    assert not cond.matches(req("a"))
    assert "timed out after 100 ms" in cond.describe_failure(req("a"))


# ===== parsing a document ===========================================================================


def test_full_fixture_parses():
    fs = parse_fixture_document(
        doc(
            {
                "name": "capital-of-france",
                "priority": 3,
                "match": {
                    "model": "gpt-4o*",
                    "user": "capital of France",
                    "user_regex": "(?i)capital",
                    "system": "teacher",
                    "has_image": False,
                    "image_count": 0,
                    "image_sha256": SHA_A,
                    "response_format": "json_object",
                    "tool": "get_weather",
                    "stream": True,
                    "headers": {"X-Test-Case": "checkout"},
                    "session": "abc",
                },
                "reply": {
                    "content": {"city": "Paris", "note": "café"},
                    "reasoning_content": "think",
                    "tool_calls": [
                        {"name": "get_weather", "arguments": {"city": "Paris"}},
                        {"name": "raw", "arguments": '{"a": 1', "id": "call_1"},
                    ],
                    "finish_reason": "stop",
                    "annotations": [{"type": "url_citation"}],
                    "pacing": {"ttft_ms": 100, "tokens_per_second": 50.5, "jitter": 0.1, "chunk_tokens": 2},
                },
            }
        ),
        "fx/a.yaml",
    )
    (fx,) = fs.fixtures
    assert fx.name == "capital-of-france" and fx.priority == 3 and fx.source == "fx/a.yaml"
    assert [type(c).__name__ for c in fx.conditions] == [
        "Model", "UserContains", "UserRegex", "System", "HasImage", "ImageCount", "ImageSha",
        "ResponseFormatIs", "OffersTool", "Stream", "Header", "Session",
    ]  # fmt: skip
    (entry,) = fx.entries
    assert entry.content == '{"city": "Paris", "note": "café"}'  # json.dumps(ensure_ascii=False)
    assert entry.tool_calls == (
        ToolCallSpec("get_weather", '{"city": "Paris"}'),
        ToolCallSpec("raw", '{"a": 1', "call_1"),  # a string is kept verbatim, even broken JSON
    )
    assert entry.pacing == Pacing(100.0, 50.5, 0.1, 2)
    assert fx.definition["name"] == "capital-of-france"


def test_default_names_and_list_shorthand():
    fs = parse_fixture_document([{"reply": {"content": "a"}}, {"reply": {"content": "b"}}], "dir/basic.yaml")
    assert [f.name for f in fs.fixtures] == ["basic#0", "basic#1"]


def test_error_and_fault_entries():
    fs = parse_fixture_document(
        doc(
            {"name": "e", "error": "rate_limit"},
            {"name": "f", "fault": {"kind": "disconnect", "after_chunks": 3, "error": {"status": 500}}},
            {
                "name": "seq",
                "replies": [
                    {
                        "error": {
                            "preset": "rate_limit",
                            "status": 429,
                            "message": "slow",
                            "headers": {"retry-after": "1"},
                        }
                    },
                    {"fault": "stall"},
                    {"content": "partial", "fault": {"kind": "disconnect", "seconds": 0.5}},
                    {"content": "ok"},
                ],
            },
        ),
        "x.yaml",
    )
    e, f, seq = fs.fixtures
    assert e.entries[0].error == ErrorSpec(preset="rate_limit")
    assert f.entries[0].fault == FaultSpec("disconnect", after_chunks=3, error=ErrorSpec(status=500))
    assert seq.entries[0].error == ErrorSpec("rate_limit", 429, "slow", headers={"retry-after": "1"})
    assert seq.entries[1].fault == FaultSpec("stall")
    assert seq.entries[2].content == "partial" and seq.entries[2].fault == FaultSpec("disconnect", seconds=0.5)


def test_known_vocabularies():
    data = doc({"error": "rate_limt"}, {"fault": "boom"})
    problems = problems_of(data, known_presets={"rate_limit", "server_error"}, known_faults={"disconnect"})
    assert problems == [
        "f.yaml: fixtures[0]: error.preset: unknown error preset 'rate_limt' (did you mean 'rate_limit'?); "
        "known: rate_limit, server_error",
        "f.yaml: fixtures[1]: fault.kind: unknown fault kind 'boom'; known: disconnect",
    ]
    assert "invalid error preset name 'Rate-Limit'" in problems_of(doc({"error": "Rate-Limit"}))[0]


# ===== validation errors ============================================================================


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            {"match": {"usr": "x"}, "reply": {"content": "a"}},
            "f.yaml: fixtures[0]: match.usr: unknown key (did you mean 'user'?)",
        ),
        (
            {"name": "n", "match": {"stream": "yes"}, "reply": {"content": "a"}},
            "f.yaml: fixtures[0] (n): match.stream: Input should be a valid boolean (got string 'yes')",
        ),
        ({"priority": "1", "reply": {"content": "a"}}, "fixtures[0]: priority: Input should be a valid integer"),
        (
            {"name": "capital-of-france", "match": {"user_regex": "(?i)(capital"}, "reply": {"content": "a"}},
            "f.yaml: fixtures[0] (capital-of-france): match.user_regex: invalid regex: "
            "missing ), unterminated subpattern at position 4",
        ),
        ({"match": {"user_regex": "(a+)+"}, "reply": {"content": "a"}}, "match.user_regex: unsafe regex: a quantifier"),
        (
            {"reply": {"content": "a"}, "replies": [{"content": "b"}]},
            "fixtures[0]: reply and replies are mutually exclusive",
        ),
        ({"name": "x"}, "fixtures[0] (x): one of reply, replies, error or fault is required"),
        (
            {"reply": {"content": "a"}, "error": "x"},
            "only one of reply, replies, error or fault may be given, got reply, error",
        ),
        ({"reply": {"content": "a", "times": 2}}, "reply.times: times is only meaningful inside replies"),
        ({"reply": {}}, "fixtures[0]: reply: a reply needs content"),
        ({"reply": {"content": 42}}, "reply.content: must be a string, a mapping or a list"),
        ({"reply": {"content": "a", "echo": True}}, "reply: echo and content are mutually exclusive"),
        (
            {"replies": [{"content": "a"}, {"error": "x", "content": "b"}]},
            "replies[1]: error cannot be combined with content",
        ),
        ({"replies": [{"content": "a", "times": 0}]}, "replies[0].times: Input should be greater than or equal to 1"),
        ({"replies": []}, "fixtures[0]: replies: List should have at least 1 item"),
        ({"replies": {"content": "a"}}, "fixtures[0]: replies: expected a list, got a mapping"),
        ({"match": "gpt-4o", "reply": {"content": "a"}}, "fixtures[0]: match: expected a mapping, got string 'gpt-4o'"),
        (
            {"reply": {"tool_calls": [{"name": "f", "arguments": 3}]}},
            "reply.tool_calls[0].arguments: must be a mapping",
        ),
        ({"reply": {"content": "a", "finish_reason": "done"}}, "reply.finish_reason: Input should be 'stop'"),
        ({"error": {"message": "x"}}, "fixtures[0]: error: an error needs a preset name or a status"),
        ({"error": {"status": 99}}, "error.status: Input should be greater than or equal to 100"),
        (
            {"match": {"image_sha256": "xyz"}, "reply": {"content": "a"}},
            "match.image_sha256: String should match pattern",
        ),
        (
            {"match": {"headers": {"x-a": 1}}, "reply": {"content": "a"}},
            "match.headers.x-a: Input should be a valid string",
        ),
        (
            {"reply": {"content": "a", "pacing": {"tokens_per_second": 0}}},
            "reply.pacing.tokens_per_second: Input should be greater than 0",
        ),
        ("just a string", "f.yaml: fixtures[0]: expected a mapping, got string 'just a string'"),
    ],
)
def test_validation_messages(fixture, expected: str):
    problems = problems_of(doc(fixture))
    assert any(expected in p for p in problems), problems


def test_all_problems_collected_not_just_the_first():
    problems = problems_of(
        doc(
            {"name": "a", "match": {"stream": 1}, "reply": {"content": "x"}},
            {"name": "b", "reply": {"content": "x"}},
            {"name": "c", "match": {"user_regex": "("}, "replies": [{"content": 1}]},
            models=[{"context_window": 5}],
        )
    )
    assert len(problems) == 4, problems
    assert problems[0].startswith("f.yaml: models[0]: id: required")
    assert problems[1].startswith("f.yaml: fixtures[0] (a): match.stream:")
    assert problems[2].startswith("f.yaml: fixtures[2] (c): match.user_regex: invalid regex")
    assert problems[3].startswith("f.yaml: fixtures[2] (c): replies[0].content:")


def test_document_level_errors():
    assert problems_of(42) == [
        "f.yaml: expected a mapping with `models` and/or `fixtures` (or a list of fixtures), got number 42"
    ]
    assert problems_of({"fixture": []}) == [
        "f.yaml: fixture: unknown key (did you mean 'fixtures'?); expected `models` and/or `fixtures`"
    ]
    assert problems_of({"fixtures": {"a": 1}}) == ["f.yaml: fixtures: expected a list, got a mapping"]


def test_duplicate_names_within_and_across_files(tmp_path: Path):
    problems = problems_of(doc({"name": "a", "reply": {"content": "1"}}, {"name": "a", "reply": {"content": "2"}}))
    assert problems == ["f.yaml: fixtures[1] (a): name: duplicate fixture name 'a', already used by f.yaml fixtures[0]"]
    one = write(tmp_path / "one.yaml", "fixtures:\n  - name: dup\n    reply: {content: a}\n")
    two = write(tmp_path / "two.yaml", "fixtures:\n  - reply: {content: b}\n  - name: dup\n    reply: {content: c}\n")
    with pytest.raises(FixtureError) as info:
        load_fixture_files([one, two])
    (problem,) = info.value.problems
    assert (
        problem
        == f"{two}: fixtures[1] (dup): name: duplicate fixture name 'dup', already used by {one} fixtures[0] (line 3)"
    )


# ===== files ========================================================================================


def test_yaml_errors_name_file_and_line(tmp_path: Path):
    bad = write(tmp_path / "bad.yaml", "fixtures:\n  - name: x\n    reply: {content: a\n")
    with pytest.raises(FixtureError) as info:
        load_fixture_files([bad])
    (problem,) = info.value.problems
    assert problem.startswith(f"{bad}: invalid YAML at line ") and "column" in problem

    colon = write(tmp_path / "colon.yaml", "fixtures:\n  - name: x\n    reply: content: a\n")
    with pytest.raises(FixtureError, match=r"colon.yaml: invalid YAML at line 3, column 19: mapping values"):
        load_fixture_files([colon])


def test_validation_errors_carry_the_yaml_line(tmp_path: Path):
    path = write(
        tmp_path / "a.yaml",
        "fixtures:\n"
        "  - name: ok\n"
        "    reply: {content: a}\n"
        "  - name: capital-of-france\n"
        "    match:\n"
        "      user_regex: '(?i)(capital'\n"
        "    reply: {content: b}\n",
    )
    with pytest.raises(FixtureError) as info:
        load_fixture_files([path])
    assert info.value.problems == [
        f"{path}: fixtures[1] (capital-of-france): match.user_regex: invalid regex: "
        "missing ), unterminated subpattern at position 4 (line 6)"
    ]
    assert str(info.value) == info.value.problems[0]


def test_duplicate_keys_rejected(tmp_path: Path):
    y = write(tmp_path / "d.yaml", "fixtures:\n  - match: {user: a, user: b}\n    reply: {content: a}\n")
    with pytest.raises(FixtureError, match=r"invalid YAML at line 2, column \d+: found duplicate key 'user'"):
        load_fixture_files([y])
    j = write(tmp_path / "d.json", '{"fixtures": [], "fixtures": []}')
    with pytest.raises(FixtureError, match=r"d.json: invalid JSON: duplicate key 'fixtures'"):
        load_fixture_files([j])
    merged = write(
        tmp_path / "m.yaml",
        "fixtures:\n  - match: &b {model: gpt-4o, user: hi}\n"
        "    reply: {content: a}\n  - match: {<<: *b, user: bye}\n    reply: {content: b}\n",
    )
    fs = load_fixture_files([merged])  # overriding a merged key is not a duplicate
    assert fs.fixtures[1].conditions == (m.Model("gpt-4o"), m.UserContains("bye"))


def test_bad_json_and_unreadable_paths(tmp_path: Path):
    j = write(tmp_path / "x.json", '{"fixtures": [,]}')
    missing = tmp_path / "nope.yaml"
    with pytest.raises(FixtureError) as info:
        load_fixture_files([j, missing])
    assert info.value.problems == [
        f"{missing}: cannot read: no such file or directory",
        f"{j}: invalid JSON at line 1, column 15: Expecting value",
    ]


def test_yaml_is_safe(tmp_path: Path):
    evil = write(tmp_path / "evil.yaml", "fixtures: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(FixtureError, match="invalid YAML"):
        load_fixture_files([evil])


def test_folder_loading_order(tmp_path: Path):
    root = tmp_path / "fx"
    write(root / "b.yaml", "- reply: {content: b}\n")
    write(root / "a" / "z.json", json.dumps({"fixtures": [{"reply": {"content": "az"}}]}))
    write(root / "a-c.yml", "- reply: {content: ac}\n")
    write(root / "a.yaml", "- reply: {content: a}\n")
    write(root / ".hidden.yaml", "- reply: {content: hidden}\n")
    write(root / ".git" / "x.yaml", "- reply: {content: git}\n")
    write(root / "notes.txt", "not a fixture")
    write(root / "empty.yaml", "")
    fs = load_fixture_files([root, root / "b.yaml"])  # b.yaml given twice: loaded once
    # by path components: the folder "a" sorts before "a-c.yml", which sorts before "a.yaml" ("-" < ".")
    assert [f.name for f in fs.fixtures] == ["z#0", "a-c#0", "a#0", "b#0"]
    assert [Path(f).name for f in fs.files] == ["z.json", "a-c.yml", "a.yaml", "b.yaml", "empty.yaml"]
    assert fs.warnings == [f"{root / 'empty.yaml'}: empty file"]


def test_models_section():
    fs = parse_fixture_document(
        {
            "models": [
                {"id": "my-model", "context_window": 32768, "max_output_tokens": 4096, "vision": True,
                 "encoding": "cl100k_base", "vision_policy": {"kind": "patch", "multiplier": 1.5}},
                {"id": "gpt-4o", "context_window": 1000},
                {"id": "gpt-4o", "max_output_tokens": 10},
                {"id": "gpt-5", "reasoning": None},
            ]
        },
        "models.yaml",
    )  # fmt: skip
    mine, gpt4o, gpt5 = fs.models
    assert mine == ModelInfo(
        id="my-model", context_window=32768, max_output_tokens=4096, vision=True, encoding="cl100k_base",
        vision_policy=VisionPolicy("patch", 85, 170, 1.5),
    )  # fmt: skip
    # overrides start from the built-in entry, then from the earlier override
    assert (gpt4o.context_window, gpt4o.max_output_tokens, gpt4o.snapshot) == (1000, 10, "gpt-4o-2024-08-06")
    assert gpt5.reasoning is None and gpt5.snapshot == "gpt-5-2025-08-07"
    assert fs.fixtures == []


def test_models_section_errors():
    problems = problems_of(
        {"models": [{"id": "a", "colour": 1}, {"id": "b", "context_window": None}, {"id": "c", "encoding": "p50k"}]}
    )
    assert problems[0] == "f.yaml: models[0] (a): colour: unknown key"
    assert problems[1] == "f.yaml: models[1] (b): context_window: may not be null (omit the key to keep the default)"
    assert problems[2].startswith("f.yaml: models[2] (c): encoding: Input should be 'o200k_base' or 'cl100k_base'")


def test_model_entry_covers_every_model_info_field():
    assert set(ModelEntry.model_fields) == {f.name for f in dataclasses.fields(ModelInfo)}


# ===== the table ====================================================================================


def test_priority_then_load_order():
    table = table_of(
        {"name": "any", "reply": {"content": "generic"}},
        {"name": "france", "match": {"user": "france"}, "reply": {"content": "Paris"}},
        {"name": "france-high", "priority": 5, "match": {"user": "france"}, "reply": {"content": "PARIS"}},
        {"name": "late-any", "reply": {"content": "late"}},
    )
    assert [f.name for f in table.list()] == ["france-high", "any", "france", "late-any"]
    hit = table.decide(req("capital of France?"))
    assert hit is not None and hit.reply.content == "PARIS" and hit.reply.source == "france-high"
    hit = table.decide(req("hi"))
    assert hit is not None and hit.fixture.name == "any"


def test_no_match_returns_none():
    assert table_of({"match": {"user": "x"}, "reply": {"content": "a"}}).decide(req("y")) is None
    assert FixtureTable().decide(req()) is None


def test_sequences_times_and_last_repeats():
    table = table_of(
        {
            "name": "s",
            "replies": [
                {"content": "one", "times": 2},
                {"error": "rate_limit"},
                {"content": "last"},
            ],
        }
    )
    got = [table.decide(req()) for _ in range(6)]
    assert [(g.index, g.call) for g in got] == [(0, 0), (0, 1), (1, 2), (2, 3), (2, 4), (2, 5)]
    assert [g.reply.content for g in got] == ["one", "one", None, "last", "last", "last"]
    assert got[2].reply.error == ErrorSpec(preset="rate_limit")
    assert got[0].reply is not got[1].reply  # a fresh Reply each time
    assert table.calls("s") == 6
    table.reset_counters()
    assert table.decide(req()).reply.content == "one"


def test_huge_times_is_cheap():
    table = table_of({"name": "s", "replies": [{"content": "a", "times": 10**9}, {"content": "b"}]})
    assert table.decide(req()).reply.content == "a"


def test_counters_are_per_session():
    table = table_of({"name": "s", "replies": [{"content": "1"}, {"content": "2"}]})
    assert table.decide(req(session="A")).reply.content == "1"
    assert table.decide(req(session="B")).reply.content == "1"
    assert table.decide(req(session="A")).reply.content == "2"
    assert table.decide(req()).reply.content == "1"
    table.reset_counters("A")
    assert table.decide(req(session="A")).reply.content == "1"
    assert table.decide(req(session="B")).reply.content == "2"


def test_counter_keys_are_bounded():
    fixtures = parse_fixture_document(doc({"name": "s", "replies": [{"content": "1"}, {"content": "2"}]}), "t").fixtures
    table = FixtureTable(fixtures, max_counter_keys=3)
    for session in ("a", "b", "c", "d", "e"):
        table.decide(req(session=session))
    assert table.evictions == 2
    assert table.decide(req(session="a")).reply.content == "1"  # forgotten: starts over
    assert table.decide(req(session="e")).reply.content == "2"


def test_echo_and_reply_fields():
    table = table_of(
        {"name": "echo", "match": {"user": "echo"}, "reply": {"echo": True, "finish_reason": "length"}},
        {"name": "tools", "reply": {"tool_calls": [{"name": "f", "arguments": {"ü": 1}}], "refusal": None}},
    )
    hit = table.decide(req("please echo this"))
    assert hit.reply.content == "please echo this" and hit.reply.finish_reason == "length"
    hit = table.decide(req("other"))
    assert hit.reply.content is None and hit.reply.tool_calls == [ToolCallSpec("f", '{"ü": 1}')]


def test_annotations_are_copied():
    table = table_of({"name": "a", "reply": {"content": "x", "annotations": [{"type": "url_citation", "u": {"x": 1}}]}})
    first = table.decide(req())
    first.reply.annotations[0]["u"]["x"] = 2
    assert table.decide(req()).reply.annotations == [{"type": "url_citation", "u": {"x": 1}}]


def test_add_remove_reset_runtime():
    table = table_of({"name": "file-one", "reply": {"content": "f"}})
    runtime = parse_fixture_document(doc({"name": "rt", "priority": 1, "reply": {"content": "r"}}), "admin").fixtures
    table.add(runtime, origin="runtime")
    assert table.decide(req()).fixture.name == "rt"
    with pytest.raises(FixtureError, match="duplicate fixture name 'rt', already used by admin fixtures"):
        table.add(runtime, origin="runtime")
    table.add(runtime, origin="runtime", replace=True)
    assert len(table) == 2
    assert table.reset_runtime() == 1
    assert [f.name for f in table.list()] == ["file-one"]
    assert table.remove("file-one") and not table.remove("file-one")
    assert table.decide(req()) is None


def test_programmatic_fixture():
    """The pytest plugin can build fixtures from the matcher algebra without any document."""
    fx = Fixture("p", m.UserContains("hi") | m.Stream(True), (ReplyTemplate(content="yo"),))
    table = FixtureTable()
    table.add([fx], origin="runtime")
    assert table.decide(req("hi")).reply.content == "yo"
    assert table.decide(req("no", stream=True)).reply.content == "yo"
    assert table.decide(req("no")) is None


def test_explain_nearest_first():
    table = table_of(
        {"name": "two-off", "match": {"model": "o3", "user": "spain"}, "reply": {"content": "a"}},
        {"name": "one-off", "match": {"user": "capital of France"}, "reply": {"content": "b"}},
        {"name": "one-off-high", "priority": 2, "match": {"stream": True}, "reply": {"content": "c"}},
    )
    request = req("what is the capital of Spain?")
    misses = table.explain(request)
    # one failure each, so decision order decides; the user 'spain' condition held (case-insensitive)
    assert [n.name for n in misses] == ["one-off-high", "two-off", "one-off"]
    assert misses[1].failures == ["model: expected 'o3', got 'gpt-4o'"]
    assert misses[2].failures == [
        "user: expected substring 'capital of France' in last user message 'what is the capital of Spain?'"
    ]
    table.add(
        parse_fixture_document(
            doc({"name": "far", "match": {"model": "x", "user": "y"}, "reply": {"content": "d"}}), "u"
        ).fixtures,
        origin="runtime",
    )
    assert table.explain(request)[-1].name == "far"  # two failures: after all the one-failure misses
    assert str(misses[0]) == "one-off-high (t.yaml fixtures[2]): stream: expected true, got false"
    assert len(table.explain(request, limit=1)) == 1
    names = [n.name for n in table.explain(req(stream=True))]
    assert "one-off-high" not in names and names[0] == "one-off"  # matching fixtures are not near misses


# ===== check ========================================================================================


def test_check_files_warnings(tmp_path: Path):
    write(
        tmp_path / "a.yaml",
        "fixtures:\n"
        "  - name: france\n    match: {user: France}\n    reply: {content: Paris}\n"
        "  - name: shadowed\n    match: {user: France, stream: true}\n    reply: {content: never}\n"
        "  - name: high-wins\n    priority: 1\n    match: {user: France, stream: true}\n    reply: {content: ok}\n"
        "  - name: json\n    match: {response_format: json_object, user: j}\n"
        "    replies: [{content: '{\"a\": 1}'}, {content: not json}, {content: {a: 1}}, {echo: true}]\n",
    )
    write(tmp_path / "b.yaml", "models: [{id: m1}]\nfixtures:\n  - name: catch-all-late\n    reply: {content: x}\n")
    report = check_files([tmp_path])
    assert isinstance(report, CheckReport) and report.ok
    assert report.warnings == [
        # "france" (earlier) and "high-wins" (higher priority) both shadow it; the one tried first is named
        f"{tmp_path / 'a.yaml'}: fixtures[1] (shadowed): can never match: 'high-wins' ({tmp_path / 'a.yaml'} "
        "fixtures[2], priority 1) matches every request it matches and is tried first",
        f"{tmp_path / 'a.yaml'}: fixtures[3] (json): replies[1].content: not valid JSON (Expecting value at line 1, "
        "column 1) but the fixture matches response_format json_object",
    ]
    assert report.summary() == "2 files, 5 fixtures, 1 model, 0 problems, 2 warnings"


def test_check_files_reports_problems(tmp_path: Path):
    write(tmp_path / "a.yaml", "fixtures:\n  - match: {usr: x}\n    reply: {content: a}\n  - reply: {content: b}\n")
    report = check_files([tmp_path / "a.yaml", tmp_path / "missing"])
    assert not report.ok
    assert report.summary() == "1 file, 1 fixture, 0 models, 2 problems, 0 warnings"
    assert report.problems[0] == f"{tmp_path / 'missing'}: cannot read: no such file or directory"
    assert (
        report.problems[1]
        == f"{tmp_path / 'a.yaml'}: fixtures[0]: match.usr: unknown key (did you mean 'user'?) (line 2)"
    )
