"""Issue #10: gateway profiles, through the real openai SDK — each profile's rules and extensions.

Every profile is checked for what its gateway's docs promise (catalog, extra parameters and their
ranges, conversation rules, response extensions) and, where it matters, against the ``openai``
profile, which must keep answering as OpenAI does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import requests

from mockllm.config import Settings
from mockllm.core import tokens
from mockllm.core.catalog import BUILTIN_MODELS
from mockllm.core.errors import ApiError
from mockllm.profiles import PROFILES, cite, get_profile
from mockllm.server import MockServer

USER = [{"role": "user", "content": "Why is the sky blue?"}]
LONG_REASONING = " ".join(f"Step {i}: consider the scattering of light by molecules." for i in range(60))
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def budget_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("profile-fixtures")
    document = {
        "fixtures": [
            {
                "name": "long-thoughts",
                "match": {"model": "deepseek-ai/DeepSeek-R1", "user": "think hard"},
                "reply": {"reasoning_content": LONG_REASONING, "content": "Rayleigh scattering."},
            }
        ]
    }
    (folder / "budget.json").write_text(json.dumps(document))
    return folder


@pytest.fixture(scope="module")
def servers(budget_fixtures: Path) -> Iterator[dict[str, MockServer]]:
    started: dict[str, MockServer] = {}
    try:
        for name in PROFILES:
            fixtures = (str(budget_fixtures),) if name == "siliconflow" else ()
            started[name] = MockServer(Settings(port=0, profile=name, seed=3, fixtures=fixtures)).start()
        yield started
    finally:
        for server in started.values():
            server.stop()


def client(servers: dict[str, MockServer], profile: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=servers[profile].base_url, api_key="sk-test", max_retries=0)


def raw_stream(server: MockServer, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream's data events as parsed JSON (``[DONE]`` dropped), read off the wire."""
    response = requests.post(server.base_url + "/chat/completions", json={**body, "stream": True}, timeout=30)
    assert response.status_code == 200, response.text
    events = [line[6:] for line in response.text.split("\n\n") if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def bad_request(call: Any, **kwargs: Any) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as info:
        call(**kwargs)
    return info.value


# ----- the registry -----------------------------------------------------------------------------------


def test_profiles_and_their_catalogs() -> None:
    assert list(PROFILES) == ["openai", "siliconflow", "opensearch", "tokensmind", "mytokengate"]
    builtin = {m.id for m in BUILTIN_MODELS}
    for profile in PROFILES.values():
        assert profile.models is None or set(profile.models) <= builtin, profile.name
        assert len(profile.catalog()) == (len(builtin) if profile.models is None else len(set(profile.models)))
    with pytest.raises(ApiError) as info:
        get_profile("azure")
    assert "Known profiles: mytokengate, openai, opensearch, siliconflow, tokensmind" in info.value.message


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("siliconflow", {"deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-R1", "Qwen/QVQ-72B-Preview"}),
        ("opensearch", {"ops-qwen-turbo"}),
        ("tokensmind", {"gpt-4o-mini", "gpt-4o-search-preview", "gpt-4o-mini-search-preview"}),
        ("mytokengate", {"claude-opus-4-6", "gpt-5", "gemini-3.1-pro-preview", "gemini-3-pro-image-preview"}),
    ],
)
def test_models_endpoint_lists_the_gateways_catalog(
    servers: dict[str, MockServer], profile: str, expected: set[str]
) -> None:
    listed = {m.id for m in client(servers, profile).models.list().data}
    assert expected <= listed
    assert listed == {m.id for m in PROFILES[profile].catalog()}


FOREIGN = [
    ("siliconflow", "gpt-4o"),
    ("opensearch", "gpt-4o-mini"),
    ("tokensmind", "claude-sonnet-4-6"),
    ("mytokengate", "o3"),
]


@pytest.mark.parametrize(("profile", "foreign"), FOREIGN)
def test_models_outside_the_catalog_are_404(servers: dict[str, MockServer], profile: str, foreign: str) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client(servers, profile).chat.completions.create(model=foreign, messages=USER)
    assert info.value.code == "model_not_found"


# ----- SiliconFlow ------------------------------------------------------------------------------------


def test_siliconflow_extra_parameters_are_accepted(servers: dict[str, MockServer]) -> None:
    answer = client(servers, "siliconflow").chat.completions.create(
        model="deepseek-ai/DeepSeek-R1",
        messages=USER,
        frequency_penalty=0.5,
        extra_body={"top_k": 50, "min_p": 0.05, "enable_thinking": True, "thinking_budget": 4096},
    )
    assert answer.choices[0].message.content


@pytest.mark.parametrize(
    ("extra", "param", "message"),
    [
        ({"thinking_budget": 64}, "thinking_budget",
         "Invalid 'thinking_budget': integer below minimum value. Expected a value >= 128, but got 64 instead."),
        ({"thinking_budget": 40000}, "thinking_budget",
         "Invalid 'thinking_budget': integer above maximum value. Expected a value <= 32768, but got 40000 instead."),
        ({"thinking_budget": 512.0}, "thinking_budget",
         "Invalid type for 'thinking_budget': expected an integer, but got a decimal instead."),
        ({"min_p": 1.5}, "min_p",
         "Invalid 'min_p': decimal above maximum value. Expected a value <= 1, but got 1.5 instead."),
        ({"top_k": "50"}, "top_k", "Invalid type for 'top_k': expected an integer, but got a string instead."),
        ({"enable_thinking": "yes"}, "enable_thinking",
         "Invalid type for 'enable_thinking': expected a boolean, but got a string instead."),
        ({"frequency_penalty": 2.5}, "frequency_penalty",
         "Invalid 'frequency_penalty': decimal above maximum value. Expected a value <= 2, but got 2.5 instead."),
    ],
)  # fmt: skip
def test_siliconflow_parameters_are_validated(
    servers: dict[str, MockServer], extra: dict[str, Any], param: str, message: str
) -> None:
    error = bad_request(
        client(servers, "siliconflow").chat.completions.create,
        model="deepseek-ai/DeepSeek-R1",
        messages=USER,
        extra_body=extra,
    )
    assert (error.param, error.body["message"]) == (param, message)


def test_openai_profile_refuses_siliconflow_parameters(servers: dict[str, MockServer]) -> None:
    error = bad_request(
        client(servers, "openai").chat.completions.create,
        model="deepseek-ai/DeepSeek-R1",
        messages=USER,
        extra_body={"top_k": 50},
    )
    assert error.body == {
        "message": "Unrecognized request argument supplied: top_k",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_siliconflow_reasoning_models_answer_reasoning_content(servers: dict[str, MockServer]) -> None:
    sdk = client(servers, "siliconflow")
    answer = sdk.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=USER)
    message = answer.choices[0].message
    assert message.content and message.model_extra["reasoning_content"]
    details = answer.usage.completion_tokens_details
    assert details.reasoning_tokens == len(tokens.encode(message.model_extra["reasoning_content"], "o200k_base"))
    off = sdk.chat.completions.create(
        model="deepseek-ai/DeepSeek-R1", messages=USER, extra_body={"enable_thinking": False}
    )
    assert "reasoning_content" not in (off.choices[0].message.model_extra or {})
    assert off.usage.completion_tokens_details.reasoning_tokens == 0


def test_siliconflow_streams_reasoning_content(servers: dict[str, MockServer]) -> None:
    sdk = client(servers, "siliconflow")
    full = sdk.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=USER).choices[0].message
    chunks = list(sdk.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=USER, stream=True))
    reasoning = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert (reasoning, content) == (full.model_extra["reasoning_content"], full.content)


def test_siliconflow_every_delta_carries_reasoning_content(servers: dict[str, MockServer]) -> None:
    """The guide's loop reads ``delta.reasoning_content`` on every chunk, for DeepSeek-V3 too."""
    events = raw_stream(servers["siliconflow"], {"model": "deepseek-ai/DeepSeek-V3", "messages": USER})
    for event in events:
        for choice in event["choices"]:
            assert "reasoning_content" in choice["delta"], choice
            assert choice["delta"]["reasoning_content"] is None
    # and the SDK loop of the guide runs: no AttributeError on the finish chunk
    for chunk in client(servers, "siliconflow").chat.completions.create(
        model="deepseek-ai/DeepSeek-V3", messages=USER, stream=True
    ):
        assert chunk.choices[0].delta.reasoning_content is None  # type: ignore[attr-defined]


def test_siliconflow_thinking_budget_caps_reasoning_tokens(servers: dict[str, MockServer]) -> None:
    sdk = client(servers, "siliconflow")
    messages = [{"role": "user", "content": "Please think hard about it."}]
    uncapped = sdk.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=messages)
    assert uncapped.choices[0].message.model_extra["reasoning_content"] == LONG_REASONING
    assert uncapped.usage.completion_tokens_details.reasoning_tokens > 300
    capped = sdk.chat.completions.create(
        model="deepseek-ai/DeepSeek-R1", messages=messages, extra_body={"thinking_budget": 128}
    )
    reasoning = capped.choices[0].message.model_extra["reasoning_content"]
    assert LONG_REASONING.startswith(reasoning) and len(tokens.encode(reasoning, "o200k_base")) == 128
    assert capped.usage.completion_tokens_details.reasoning_tokens == 128
    assert capped.choices[0].message.content == "Rayleigh scattering."
    streamed = sdk.chat.completions.create(
        model="deepseek-ai/DeepSeek-R1", messages=messages, extra_body={"thinking_budget": 128}, stream=True
    )
    assert "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in streamed) == reasoning


def test_siliconflow_unverified_model_is_403(servers: dict[str, MockServer]) -> None:
    with pytest.raises(openai.PermissionDeniedError) as info:
        client(servers, "siliconflow").chat.completions.create(model="Pro/deepseek-ai/DeepSeek-R1", messages=USER)
    error = info.value
    assert error.status_code == 403
    assert set(error.body) == {"message", "type", "param", "code"}
    assert "requires real-name authentication" in error.body["message"]
    assert (error.code, error.param) == ("real_name_verification_required", "model")
    # the openai profile serves the same model: verification is SiliconFlow's rule
    assert client(servers, "openai").chat.completions.create(model="Pro/deepseek-ai/DeepSeek-R1", messages=USER)


def test_siliconflow_answer_shape_and_trace_header(servers: dict[str, MockServer]) -> None:
    raw = client(servers, "siliconflow").chat.completions.with_raw_response.create(
        model="deepseek-ai/DeepSeek-V3", messages=USER
    )
    assert re.fullmatch(r"[0-9a-f]{32}", raw.headers["x-siliconcloud-trace-id"])
    body = raw.http_response.json()
    assert body["system_fingerprint"] == "" and body["model"] == "deepseek-ai/DeepSeek-V3"
    plain = client(servers, "openai").chat.completions.with_raw_response.create(
        model="deepseek-ai/DeepSeek-V3", messages=USER
    )
    assert "x-siliconcloud-trace-id" not in plain.headers


def test_siliconflow_ids_are_bare_hex(servers: dict[str, MockServer]) -> None:
    answer = client(servers, "siliconflow").chat.completions.create(model="deepseek-ai/DeepSeek-V3", messages=USER)
    assert re.fullmatch(r"[0-9a-f]{32}", answer.id), answer.id


def test_siliconflow_accepts_reasoning_content_sent_back(servers: dict[str, MockServer]) -> None:
    """Clients append the assistant message they received, ``reasoning_content`` included."""
    sdk = client(servers, "siliconflow")
    first = sdk.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=USER).choices[0].message
    sent_back = {
        "role": "assistant",
        "content": first.content,
        "reasoning_content": first.model_extra["reasoning_content"],
    }
    history = [*USER, sent_back, {"role": "user", "content": "And at sunset?"}]
    assert sdk.chat.completions.create(model="deepseek-ai/DeepSeek-R1", messages=history).choices[0].message.content


# ----- OpenSearch -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "param", "message"),
    [
        ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
          {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Why?"}],
         "messages[2].role", "a 'system' message is only allowed as the first message"),
        ([{"role": "user", "content": "Hi"}, {"role": "user", "content": "Again"}],
         "messages[1].role", "'user' and 'assistant' messages must alternate"),
        ([{"role": "system", "content": "S"}, {"role": "user", "content": ""}],
         "messages[1].content", "content cannot be empty"),
        ([{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
         "messages[0].role", "Supported values are: 'system', 'user', and 'assistant'."),
    ],
)  # fmt: skip
def test_opensearch_conversation_rules(
    servers: dict[str, MockServer], messages: list[dict[str, str]], param: str, message: str
) -> None:
    create = client(servers, "opensearch").chat.completions.create
    error = bad_request(create, model="ops-qwen-turbo", messages=messages)
    assert error.param == param and message in error.body["message"]
    # OpenAI enforces none of these (PROTOCOL.md §10)
    assert client(servers, "openai").chat.completions.create(model="ops-qwen-turbo", messages=messages)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("temperature", 2, "decimal above maximum value. Expected a value < 2, but got 2 instead."),
        ("top_p", 1, "decimal above maximum value. Expected a value < 1, but got 1 instead."),
        ("top_p", 0, "decimal below minimum value. Expected a value > 0, but got 0 instead."),
        ("temperature", -0.5, "decimal below minimum value. Expected a value >= 0, but got -0.5 instead."),
    ],
)  # fmt: skip
def test_opensearch_sampling_ranges(servers: dict[str, MockServer], field: str, value: float, message: str) -> None:
    error = bad_request(
        client(servers, "opensearch").chat.completions.create, model="ops-qwen-turbo", messages=USER, **{field: value}
    )
    assert (error.param, error.body["message"]) == (field, f"Invalid '{field}': {message}")


def test_opensearch_accepts_the_open_ends_openai_closes(servers: dict[str, MockServer]) -> None:
    create = client(servers, "opensearch").chat.completions.create
    assert create(model="ops-qwen-turbo", messages=USER, temperature=0, top_p=0.99)
    assert create(model="ops-qwen-turbo", messages=USER, temperature=1.99, top_p=0.01)


# ----- search models (tokensmind, and openai, whose models they are) ----------------------------------


@pytest.mark.parametrize("profile", ["tokensmind", "openai"])
def test_search_answers_cite_sources(servers: dict[str, MockServer], profile: str) -> None:
    create = client(servers, profile).chat.completions.create
    kwargs: dict[str, Any] = {
        "model": "gpt-4o-search-preview",
        "messages": [{"role": "user", "content": "What was the latest news about the Mars rover?"}],
        "web_search_options": {},
    }
    first, second = create(**kwargs), create(**kwargs)
    message = first.choices[0].message
    assert len(message.annotations) == 2  # search_context_size "medium"
    for annotation in message.annotations:
        citation = annotation.url_citation
        assert annotation.type == "url_citation"
        assert citation.url.endswith("?utm_source=openai") and citation.title.startswith("Mars Rover - ")
        label = citation.url.split("/")[2].removeprefix("www.")
        assert message.content[citation.start_index : citation.end_index] == f"([{label}]({citation.url}))"
    assert second.choices[0].message.annotations == message.annotations  # derived from the request


@pytest.mark.parametrize(("size", "count"), [("low", 1), ("medium", 2), ("high", 3)])
def test_search_context_size_sets_citation_count(servers: dict[str, MockServer], size: str, count: int) -> None:
    answer = client(servers, "tokensmind").chat.completions.create(
        model="gpt-4o-mini-search-preview",
        messages=[{"role": "user", "content": "Who won the 2024 Tour de France?"}],
        web_search_options={"search_context_size": size},  # type: ignore[typeddict-item]
    )
    assert len(answer.choices[0].message.annotations) == count


def test_search_answer_envelope(servers: dict[str, MockServer]) -> None:
    body = (
        client(servers, "tokensmind")
        .chat.completions.with_raw_response.create(model="gpt-4o-mini-search-preview", messages=USER)
        .http_response.json()
    )
    assert body["system_fingerprint"] == "" and "service_tier" not in body
    assert body["model"] == "gpt-4o-mini-search-preview-2025-03-11"


@pytest.mark.parametrize("profile", ["tokensmind", "openai"])
def test_search_answer_ids_are_uuids(servers: dict[str, MockServer], profile: str) -> None:
    answer = client(servers, profile).chat.completions.create(model="gpt-4o-search-preview", messages=USER)
    assert answer.id.startswith("chatcmpl-") and UUID4.fullmatch(answer.id.removeprefix("chatcmpl-")), answer.id
    plain = client(servers, profile).chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", plain.id)


def test_streamed_search_answer_sends_annotations_on_the_finish_chunk(servers: dict[str, MockServer]) -> None:
    body = {"model": "gpt-4o-search-preview", "messages": USER, "web_search_options": {}}
    events = raw_stream(servers["tokensmind"], body)
    full = client(servers, "tokensmind").chat.completions.create(**body)  # type: ignore[arg-type]
    finish = [e for e in events if e["choices"] and e["choices"][0]["finish_reason"]]
    (last,) = finish
    assert last["choices"][0]["delta"]["annotations"] == [a.model_dump() for a in full.choices[0].message.annotations]
    assert all(e["id"] == full.id or UUID4.search(e["id"]) for e in events)


def test_annotations_cut_with_the_content_are_dropped(servers: dict[str, MockServer]) -> None:
    answer = client(servers, "tokensmind").chat.completions.create(
        model="gpt-4o-search-preview", messages=USER, max_tokens=3
    )
    message = answer.choices[0].message
    assert answer.choices[0].finish_reason == "length" and message.annotations == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 0.2}, "Model incompatible request argument supplied: temperature"),
        ({"top_p": 1, "n": 2}, "Model incompatible request arguments supplied: n, top_p"),
        ({"logprobs": True}, "Model incompatible request argument supplied: logprobs"),
    ],
)
@pytest.mark.parametrize("profile", ["tokensmind", "openai"])
def test_search_models_refuse_sampling_parameters(
    servers: dict[str, MockServer], profile: str, kwargs: dict[str, Any], message: str
) -> None:
    error = bad_request(
        client(servers, profile).chat.completions.create, model="gpt-4o-mini-search-preview", messages=USER, **kwargs
    )
    assert error.body == {"message": message, "type": "invalid_request_error", "param": None, "code": None}


def test_web_search_options_only_on_search_models(servers: dict[str, MockServer]) -> None:
    error = bad_request(
        client(servers, "tokensmind").chat.completions.create,
        model="gpt-4o-mini",
        messages=USER,
        web_search_options={},
    )
    assert (error.param, error.body["message"]) == (
        "web_search_options",
        "Web search options not supported with this model.",
    )


def test_tokensmind_developer_role_and_seed(servers: dict[str, MockServer]) -> None:
    create = client(servers, "tokensmind").chat.completions.create
    messages = [{"role": "developer", "content": "Answer in one line."}, *USER]
    a, b = (create(model="gpt-4o-mini", messages=messages, seed=42) for _ in range(2))  # type: ignore[arg-type]
    c = create(model="gpt-4o-mini", messages=messages, seed=43)  # type: ignore[arg-type]
    assert a.choices[0].message.content == b.choices[0].message.content != c.choices[0].message.content


def test_fixture_content_on_search_models_is_sent_as_written() -> None:
    """Citations are generated only for generated answers; a fixture's text and annotations are its own."""
    from mockllm.core.fixtures import parse_fixture_document

    loaded = parse_fixture_document(
        {"fixtures": [{"match": {"user": "fixed"}, "reply": {"content": "Fixed answer."}}]}, "inline"
    )
    with MockServer(Settings(port=0, profile="tokensmind")) as server:
        server.pipeline.fixtures.add(loaded.fixtures, origin="runtime")
        answer = openai.OpenAI(base_url=server.base_url, api_key="k").chat.completions.create(
            model="gpt-4o-search-preview", messages=[{"role": "user", "content": "fixed"}]
        )
    assert answer.choices[0].message.content == "Fixed answer." and answer.choices[0].message.annotations == []


# ----- MyTokenGate ------------------------------------------------------------------------------------


def test_mytokengate_accepts_top_k(servers: dict[str, MockServer]) -> None:
    assert client(servers, "mytokengate").chat.completions.create(
        model="claude-haiku-4-5-20251001", messages=USER, extra_body={"top_k": 50}
    )
    error = bad_request(
        client(servers, "mytokengate").chat.completions.create,
        model="gpt-4o",
        messages=USER,
        extra_body={"min_p": 0.1},
    )
    assert error.body["message"] == "Unrecognized request argument supplied: min_p"


IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/image.png"}}


@pytest.mark.parametrize("model", ["gpt-4o", "gemini-2.5-flash-image", "gemini-2.5-pro",
                                   "gemini-3-pro-image-preview", "gemini-3.1-flash-image-preview"])  # fmt: skip
def test_mytokengate_vision_models_take_images(servers: dict[str, MockServer], model: str) -> None:
    messages = [{"role": "user", "content": [IMAGE, {"type": "text", "text": "What is this?"}]}]
    answer = client(servers, "mytokengate").chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]
    assert answer.choices[0].message.content.startswith("I see 1 image(s)")


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "gpt-4.1", "gemini-2.5-flash", "gpt-5"])
def test_mytokengate_other_models_refuse_images(servers: dict[str, MockServer], model: str) -> None:
    """The vision guide lists five models; the others answer OpenAI's error for a text-only model."""
    messages = [{"role": "user", "content": [IMAGE, {"type": "text", "text": "What is this?"}]}]
    error = bad_request(client(servers, "mytokengate").chat.completions.create, model=model, messages=messages)
    assert (error.param, error.body["message"]) == (
        "messages[0].content[0].type",
        "Invalid content type. image_url is only supported by certain models.",
    )
    # the openai profile keeps the models' own capability
    if model != "gemini-2.5-flash":
        assert client(servers, "openai").chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]


# ----- citation placement (unit) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["One. Two! Three? Four.", "No sentence end at all", "第一句。第二句！第三句？", "Only one sentence."],
)
def test_cite_spans_match_the_inserted_links(content: str) -> None:
    sources = [("a.org", "https://a.org/x?utm_source=openai", "A"), ("b.org", "https://b.org/y?utm_source=openai", "B")]
    text, annotations = cite(content, sources)
    assert len(annotations) == 2
    for (label, url, title), annotation in zip(sources, annotations, strict=True):
        span = annotation["url_citation"]
        assert text[span["start_index"] : span["end_index"]] == f"([{label}]({url}))" and span["title"] == title
    assert re.sub(r" \(\[[^]]+\]\([^)]+\)\)", "", text) == content
