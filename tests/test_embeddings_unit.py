"""Issue #18, pure logic: the vector algorithm, the body writer's exactness, validation order, and the
fixture conditions ``api`` / ``input`` (without a server)."""

from __future__ import annotations

import base64
import json
import math
import struct
from array import array
from pathlib import Path

import pytest

from mockllm.apis.embeddings.render import embeddings_body, float_text
from mockllm.apis.embeddings.validate import validate_embedding_request
from mockllm.apis.embeddings.vectors import Space, features, near_twin, resize, space, to_float32, tokens_of, unit
from mockllm.core import matching as m
from mockllm.core.catalog import Catalog
from mockllm.core.errors import ApiError
from mockllm.core.fixtures import FixtureTable, check_files, parse_fixture_document


def dense(vector: dict[int, float], size: int) -> list[float]:
    return list(to_float32(vector, size).values)


def test_tokens_split_words_and_cjk_characters() -> None:
    assert tokens_of("Ｈｅｌｌｏ, WORLD—it's 2024!") == ["hello", "world", "it", "s", "2024"]
    assert tokens_of("我爱北京 tiananmen") == ["我", "爱", "北", "京", "tiananmen"]
    assert tokens_of("日本語とカタカナ") == ["日", "本", "語", "と", "カ", "タ", "カ", "ナ"]


def test_features_weigh_stop_words_low_and_stem_endings() -> None:
    found = dict(features("The retrieved documents"))
    assert found["w:the"] < found["w:retriev"] == found["w:document"]
    assert "p:the retriev" in found and "g:#re" in found
    assert dict(features("retrieves document"))["w:retriev"] == 1.0
    assert features("🙂!") == [("c:🙂", 1.0), ("c:!", 1.0)]
    assert features("  ") == [("ws:  ", 1.0)]


def test_space_is_deterministic_keyed_and_shared() -> None:
    a, b = Space("m", 1536, 0), Space("m", 1536, 0)
    assert a.embed("hello world", 1536) == b.embed("hello world", 1536)
    assert Space("m", 1536, 1).embed("hello world", 1536) != a.embed("hello world", 1536)
    assert Space("n", 1536, 0).embed("hello world", 1536) != a.embed("hello world", 1536)
    assert space("m", 1536, 0) is space("m", 1536, 0)


def test_every_feature_keeps_a_coordinate_below_256() -> None:
    s = Space("m", 3072, 0)
    full, short = s.sparse("zeppelin hangar"), s.embed("zeppelin hangar", 256)
    assert any(i >= 256 for i in full) and all(i < 256 for i in short)
    assert len(short) >= len(features("zeppelin hangar")) * 0.8  # collisions aside, every feature is there


def test_unit_and_fallback_never_zero() -> None:
    assert unit({5: 3.0, 7: 4.0}, 6) == {5: 1.0}
    assert unit({7: 4.0}, 6) == {}
    s = Space("m", 1536, 0)
    one = s.embed("x", 1)
    assert len(one) == 1 and abs(next(iter(one.values()))) == 1.0


def test_resize_and_near_twin() -> None:
    assert resize([3, 4, 12], 2) == {0: 0.6, 1: 0.8}
    assert resize([0, 0, 5], 2) == {}
    s = Space("m", 1536, 0)
    base = dense(s.embed("refund policy", 1536), 1536)
    twin = dense(near_twin(s, "refund policy", "unrelated words", 1536), 1536)
    dot = math.fsum(x * y for x, y in zip(base, twin, strict=True))
    assert 0.95 < dot < 0.9999


def test_float_text_round_trips_to_the_same_float32() -> None:
    s = Space("m", 1536, 0)
    vector = to_float32(s.embed("The quick brown fox jumps over the lazy dog", 1536), 1536)
    parsed = json.loads(float_text(vector))
    assert len(parsed) == 1536 and all(isinstance(v, float) for v in parsed)
    assert array("f", parsed).tobytes() == vector.values.tobytes()
    single = to_float32({0: 1.0}, 3)
    assert float_text(single) == "[1.0,0.0,0.0]"


def test_body_layouts() -> None:
    vector = to_float32({1: -0.6, 2: 0.8}, 3)
    body = json.loads(embeddings_body([vector], model="m", prompt_tokens=4, encoding_format="base64"))
    assert body["object"] == "list" and body["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    raw = base64.b64decode(body["data"][0]["embedding"])
    assert struct.unpack("<3f", raw) == tuple(array("f", [0.0, -0.6, 0.8]))
    sf = json.loads(
        embeddings_body([vector, vector], model="m", prompt_tokens=4, encoding_format="float", style="siliconflow")
    )
    assert "object" not in sf and sf["usage"]["completion_tokens"] == 0 and [d["index"] for d in sf["data"]] == [0, 1]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"input": "x", "bogus": 1}, "you must provide a model parameter"),  # missing model beats unknown key
        ({"model": "text-embedding-3-small", "input": "x", "bogus": 1}, "Unrecognized request argument"),
        ({"model": "nope", "input": "x", "dimensions": 0}, "0 is less than the minimum of 1"),  # before lookup
        ({"model": "nope", "input": ""}, "does not exist"),  # lookup before input checks
        ({"model": "text-embedding-3-small", "input": ["", "a"] * 1100}, "input[0]': input cannot be empty"),
    ],
)
def test_validation_order(body: dict[str, object], fragment: str) -> None:
    with pytest.raises(ApiError) as info:
        validate_embedding_request(body, catalog=Catalog())
    assert fragment.replace("cannot be empty", "input cannot be an empty string").split("'")[0] in info.value.message


def test_token_ids_outside_the_vocabulary_are_kept_as_markers() -> None:
    request, _ = validate_embedding_request(
        {"model": "text-embedding-3-small", "input": [[9906, 10**9]]}, catalog=Catalog()
    )
    assert request.inputs[0].text == f"Hello<|{10**9}|>" and request.inputs[0].tokens == 2


def test_api_and_input_conditions_and_fixture_apis() -> None:
    request, _ = validate_embedding_request({"model": "text-embedding-3-small", "input": ["a", "b"]}, catalog=Catalog())
    view = m.RequestView(request, "b")
    assert m.Api("embeddings").test(view) and not m.Api("chat").test(view)
    assert m.Input("b").test(view) and not m.Input("B").test(view)
    assert m.Input("a").explain(view) == "input: expected 'a', got 'b'"
    assert not m.UserContains("a").test(view)  # no messages: chat conditions do not hold
    loaded = parse_fixture_document(
        [
            {"name": "chat", "reply": {"content": "x"}},
            {"name": "err", "match": {"api": "embeddings"}, "error": "rate_limit"},
            {"name": "pin", "match": {"input": "a"}, "reply": {"embedding": [1, 0]}},
        ],
        "t.yaml",
    )
    table = FixtureTable(loaded.fixtures)
    assert [f.apis for f in table.list()] == [
        frozenset({"chat", "responses", "messages"}),
        None,
        frozenset({"embeddings"}),
    ]
    match = table.decide(request, "a")
    assert match is not None and match.fixture.name == "err"  # the chat fixture is skipped, err is first
    other, _ = validate_embedding_request({"model": "text-embedding-3-small", "input": ["b"]}, catalog=Catalog())
    assert [(miss.name, miss.failures) for miss in table.explain(other)] == [("pin", ["input: expected 'a', got 'b'"])]


def test_models_entry_defines_an_embedding_model() -> None:
    loaded = parse_fixture_document(
        {"models": [{"id": "my-embedder", "embedding_dims": 96, "shortenable": True, "dimension_choices": [32, 96]}]},
        "t.yaml",
    )
    catalog = Catalog(loaded.models)
    request, model = validate_embedding_request(
        {"model": "my-embedder", "input": "x", "dimensions": 32}, catalog=catalog
    )
    assert (model.embedding_dims, request.dimensions, model.dimension_choices) == (96, 32, (32, 96))
    with pytest.raises(ApiError, match="Supported values: \\[32, 96\\]"):
        validate_embedding_request({"model": "my-embedder", "input": "x", "dimensions": 64}, catalog=catalog)


def test_check_does_not_call_an_embeddings_fixture_shadowed_by_a_chat_one(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        "- {name: chat, reply: {content: hi}}\n"
        "- {name: vec, reply: {like: other}}\n"
        "- {name: err, error: rate_limit}\n"
        "- {name: vec2, reply: {embedding: [1]}}\n"
    )
    warnings = check_files([path]).warnings
    assert len(warnings) == 1 and "(vec2): can never match: 'vec'" in warnings[0]
