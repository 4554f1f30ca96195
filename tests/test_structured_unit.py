"""Unit tests for mockllm.core.structured: schema-valid generation, json_object answers, strict-schema rules.

Every generated instance is checked with ``jsonschema`` (Draft 2020-12, with format checking) and, for
pydantic-derived schemas, parsed back with the model — the two things a client does with the answer.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

import jsonschema
import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel, Field

from mockllm.core.errors import ApiError
from mockllm.core.structured import (
    check_strict_schema,
    instance_for_schema,
    json_object_for_prompt,
)

SEEDS = range(12)
CJK = re.compile(r"[\u4e00-\u9fff]")

# ----- format checking ------------------------------------------------------------------------------------
# jsonschema only checks date-time / uri / time (RFC 3339) when optional packages are installed; they are not
# here, so the strict versions are registered by hand — otherwise those formats would pass unchecked.

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return True


@FORMATS.checks("time", raises=ValueError)
def _is_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", value):
        return False
    dt.time.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = urlparse(value)
    return bool(parsed.scheme) and bool(parsed.netloc)


@FORMATS.checks("hostname")
def _is_hostname(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}", value))


@FORMATS.checks("duration")
def _is_duration(value: object) -> bool:
    return not isinstance(value, str) or bool(re.fullmatch(r"P(\d+W|(\d+[YMD])*(T(\d+[HMS])+)?)", value))


def assert_valid(schema: dict[str, Any], instance: Any) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(instance)
    json.dumps(instance)  # must be plain JSON, no datetimes or other Python objects


# ----- pydantic models (what client.chat.completions.parse(response_format=Model) sends) ---------------------


class Color(StrEnum):
    red = "red"
    green = "green"
    blue = "blue"


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=130)
    email: str = Field(json_schema_extra={"format": "email"})
    phone: str | None
    favourite_color: Color
    status: Literal["active", "inactive"]


class Address(BaseModel):
    street: str
    city: str
    country: str
    zip_code: str | None = None


class Event(BaseModel):
    title: str
    description: str
    starts_at: dt.datetime
    day: dt.date
    doors_open: dt.time
    duration: dt.timedelta
    venue: Address | None
    attendees: list[Person]


class LineItem(BaseModel):
    product_name: str
    quantity: int = Field(ge=1, le=10)
    unit_price: float = Field(gt=0, le=999.99)


class Order(BaseModel):
    order_id: uuid.UUID
    customer: Person
    shipping_address: Address
    items: list[LineItem]
    currency: Literal["USD", "EUR", "CNY"]
    total: float = Field(ge=0)
    notes: str | None = None
    created_at: dt.datetime


class TreeNode(BaseModel):
    label: str
    weight: float
    children: list[TreeNode]


class Difficulty(StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class Step(BaseModel):
    number: int = Field(ge=1)
    instruction: str
    minutes: int | None


class Recipe(BaseModel):
    name: str
    cuisine: str | None
    difficulty: Difficulty
    servings: int = Field(ge=1, le=12)
    ingredients: list[str] = Field(min_length=2, max_length=6)
    steps: list[Step]
    vegetarian: bool


class Cat(BaseModel):
    kind: Literal["cat"]
    name: str
    lives_left: int = Field(ge=0, le=9)


class Dog(BaseModel):
    kind: Literal["dog"]
    name: str
    breed: str


class PetOwner(BaseModel):
    owner: str
    pets: list[Cat | Dog]
    favourite: Cat | Dog | None
    lucky_numbers: list[int] | None


class Employee(BaseModel):
    first_name: str
    last_name: str
    job_title: str
    email: str = Field(json_schema_extra={"format": "email"})
    address: Address
    manager: Employee | None


class Company(BaseModel):
    company_name: str
    website: str = Field(json_schema_extra={"format": "uri"})
    founded_year: int = Field(ge=1800, le=2025)
    employees: list[Employee]
    headquarters: Address


class Review(BaseModel):
    review_id: uuid.UUID
    rating: int = Field(ge=1, le=5)
    summary: Annotated[str, Field(max_length=60)]
    sentiment: Literal["positive", "neutral", "negative"]
    tags: list[str] = Field(min_length=1, max_length=3)
    score: float = Field(ge=0, le=1, multiple_of=0.05)


class LinkedItem(BaseModel):
    value: int
    next: LinkedItem | None


class Inventory(BaseModel):
    """Dict fields: fine for non-strict structured outputs, refused by strict mode."""

    warehouse: str
    stock: dict[str, int]
    prices: dict[str, float]
    labels: dict[str, str] | None


PYDANTIC_MODELS: list[type[BaseModel]] = [
    Person,
    Event,
    Order,
    TreeNode,
    Recipe,
    PetOwner,
    Company,
    Review,
    LinkedItem,
    Inventory,
]
STRICT_OK_MODELS = [m for m in PYDANTIC_MODELS if m is not Inventory and m is not Company]

# ----- hand-written schemas ------------------------------------------------------------------------------------

RAW_SCHEMAS: dict[str, dict[str, Any]] = {
    "scalars": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "population": {"type": "integer"},
            "area_km2": {"type": "number"},
            "is_capital": {"type": "boolean"},
            "nothing": {"type": "null"},
        },
        "required": ["city", "population", "area_km2", "is_capital", "nothing"],
        "additionalProperties": False,
    },
    "type_lists": {
        "type": "object",
        "properties": {
            "maybe_name": {"type": ["string", "null"]},
            "id_or_code": {"type": ["integer", "string"]},
            "anything": {"type": ["number", "boolean", "null"]},
        },
        "required": ["maybe_name", "id_or_code", "anything"],
    },
    "enum_const": {
        "type": "object",
        "properties": {
            "mode": {"enum": ["fast", "slow", 3, None]},
            "version": {"const": 2},
            "kind": {"type": "string", "const": "report"},
        },
        "required": ["mode", "version", "kind"],
    },
    "tuple_prefix_items": {
        "type": "object",
        "properties": {
            "point": {
                "type": "array",
                "prefixItems": [{"type": "number"}, {"type": "number"}, {"type": "string"}],
                "items": False,
            },
            "header_then_rows": {
                "type": "array",
                "prefixItems": [{"const": "header"}],
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 4,
            },
        },
        "required": ["point", "header_then_rows"],
    },
    "array_bounds_unique": {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 4, "maxItems": 6},
            "picks": {"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 3, "uniqueItems": True},
            "empty": {"type": "array", "items": {"type": "string"}, "maxItems": 0},
            "ids": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 3}, "uniqueItems": True},
        },
        "required": ["tags", "picks", "empty", "ids"],
    },
    "definitions_ref": {
        "type": "object",
        "definitions": {
            "money": {
                "type": "object",
                "properties": {"amount": {"type": "number", "minimum": 0}, "currency": {"type": "string"}},
                "required": ["amount", "currency"],
                "additionalProperties": False,
            }
        },
        "properties": {"price": {"$ref": "#/definitions/money"}, "discount": {"$ref": "#/definitions/money"}},
        "required": ["price", "discount"],
        "additionalProperties": False,
    },
    "root_recursion": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "child": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
        },
        "required": ["name", "child"],
        "additionalProperties": False,
    },
    "recursive_without_null": {
        "$defs": {
            "dir": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "subdirs": {"type": "array", "items": {"$ref": "#/$defs/dir"}},
                },
                "required": ["name", "subdirs"],
            }
        },
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/dir"}},
        "required": ["root"],
    },
    "all_of_merge": {
        "allOf": [
            {"type": "object", "properties": {"first_name": {"type": "string"}}, "required": ["first_name"]},
            {"properties": {"age": {"type": "integer", "minimum": 30}}, "required": ["age"]},
            {"properties": {"age": {"maximum": 40}}},
        ]
    },
    "one_of_distinct": {
        "type": "object",
        "properties": {
            "value": {"oneOf": [{"type": "string", "maxLength": 8}, {"type": "integer"}, {"type": "boolean"}]},
            "shape": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {"radius": {"type": "number", "exclusiveMinimum": 0}},
                        "required": ["radius"],
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "properties": {"side": {"type": "number", "exclusiveMinimum": 0}},
                        "required": ["side"],
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "required": ["value", "shape"],
    },
    "formats": {
        "type": "object",
        "properties": {
            "contact": {"type": "string", "format": "email"},
            "day": {"type": "string", "format": "date"},
            "moment": {"type": "string", "format": "date-time"},
            "clock": {"type": "string", "format": "time"},
            "token": {"type": "string", "format": "uuid"},
            "page": {"type": "string", "format": "uri"},
            "server": {"type": "string", "format": "hostname"},
            "v4": {"type": "string", "format": "ipv4"},
            "v6": {"type": "string", "format": "ipv6"},
            "wait": {"type": "string", "format": "duration"},
        },
        "required": ["contact", "day", "moment", "clock", "token", "page", "server", "v4", "v6", "wait"],
    },
    "patterns": {
        "type": "object",
        "properties": {
            "flight": {"type": "string", "pattern": r"^[A-Z]{2}\d{3,4}$"},
            "phone": {"type": "string", "pattern": r"^\+?[0-9]{10,12}$"},
            "slug": {"type": "string", "pattern": r"^(draft|final)_[a-z]+(-[a-z]+)*$"},
            "email": {"type": "string", "pattern": r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"},
            "color": {"type": "string", "pattern": r"^#[0-9a-fA-F]{6}$"},
            "not_digits": {"type": "string", "pattern": r"^[^0-9]{3}$"},
            "contains_x": {"type": "string", "pattern": "x"},
            "short_code": {"type": "string", "pattern": r"^[A-Z]+$", "minLength": 2, "maxLength": 3},
        },
        "required": ["flight", "phone", "slug", "email", "color", "not_digits", "contains_x", "short_code"],
    },
    "numeric_constraints": {
        "type": "object",
        "properties": {
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "quarter": {"type": "number", "multipleOf": 0.25, "minimum": 1, "maximum": 3},
            "tenth": {"type": "number", "multipleOf": 0.1, "minimum": 0, "maximum": 1},
            "fives": {"type": "integer", "multipleOf": 5, "minimum": 11, "maximum": 99},
            "pinned": {"type": "integer", "minimum": 7, "maximum": 7},
            "age": {"type": "integer", "minimum": 200},
            "negative": {"type": "integer", "exclusiveMaximum": -5},
            "temperature": {"type": "number", "minimum": 100.5, "maximum": 100.75},
        },
        "required": ["ratio", "quarter", "tenth", "fives", "pinned", "age", "negative", "temperature"],
    },
    "string_lengths": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 5},
            "description": {"type": "string", "minLength": 80},
            "code": {"type": "string", "minLength": 3, "maxLength": 3},
            "email": {"type": "string", "format": "email", "maxLength": 64},
        },
        "required": ["name", "description", "code", "email"],
    },
    "map_values": {
        "type": "object",
        "properties": {
            "scores": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 10}},
            "meta": {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 2},
        },
        "required": ["scores", "meta"],
    },
    "pattern_properties": {
        "type": "object",
        "patternProperties": {r"^x-[a-z]{3}$": {"type": "integer"}},
        "additionalProperties": False,
    },
    "untyped_names": {
        "type": "object",
        "properties": {"tags": {}, "is_active": {}, "age": {}, "email": {}, "price": {"minimum": 10}},
        "required": ["tags", "is_active", "age", "email", "price"],
    },
    "array_root": {"type": "array", "items": {"type": "string", "format": "email"}, "minItems": 2},
    "nested_arrays": {
        "type": "object",
        "properties": {
            "matrix": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
                "minItems": 2,
                "maxItems": 2,
            }
        },
        "required": ["matrix"],
    },
    "optional_properties": {
        "type": "object",
        "properties": {f"field_{i}": {"type": "string"} for i in range(10)},
        "required": ["field_0"],
        "additionalProperties": False,
    },
}


def _pydantic_schema(model: type[BaseModel]) -> dict[str, Any]:
    return to_strict_json_schema(model)


ALL_SCHEMAS: list[tuple[str, dict[str, Any], type[BaseModel] | None]] = [
    *[(f"pydantic:{m.__name__}", _pydantic_schema(m), m) for m in PYDANTIC_MODELS],
    *[(f"raw:{k}", v, None) for k, v in RAW_SCHEMAS.items()],
]


def test_there_are_enough_schemas() -> None:
    assert len(ALL_SCHEMAS) >= 20
    assert sum(1 for _, _, m in ALL_SCHEMAS if m is not None) >= 8


# ----- generation: validity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "schema", "model"), ALL_SCHEMAS, ids=[s[0] for s in ALL_SCHEMAS])
def test_instances_validate_and_parse(label: str, schema: dict[str, Any], model: type[BaseModel] | None) -> None:
    for seed in SEEDS:
        instance = instance_for_schema(schema, random.Random(seed))
        assert_valid(schema, instance)
        if model is not None:
            model.model_validate(instance)


@pytest.mark.parametrize(("label", "schema", "model"), ALL_SCHEMAS, ids=[s[0] for s in ALL_SCHEMAS])
def test_instances_validate_with_chinese_hint(
    label: str, schema: dict[str, Any], model: type[BaseModel] | None
) -> None:
    instance = instance_for_schema(schema, random.Random(7), hint="请用中文生成数据")
    assert_valid(schema, instance)
    if model is not None:
        model.model_validate(instance)


def test_plain_model_json_schema_is_handled_too() -> None:
    """Non-strict callers send pydantic's raw schema ($ref with siblings, defaults, no additionalProperties)."""
    for model in PYDANTIC_MODELS:
        schema = model.model_json_schema()
        for seed in range(4):
            instance = instance_for_schema(schema, random.Random(seed))
            assert_valid(schema, instance)
            model.model_validate(instance)


def test_recursive_schemas_terminate_and_stay_small() -> None:
    for schema in (_pydantic_schema(TreeNode), _pydantic_schema(LinkedItem), RAW_SCHEMAS["root_recursion"]):
        for seed in SEEDS:
            text = json.dumps(instance_for_schema(schema, random.Random(seed)))
            assert len(text) < 4000


def test_names_drive_realistic_values() -> None:
    schema = _pydantic_schema(Person)
    person = instance_for_schema(schema, random.Random(3))
    assert re.fullmatch(r"[A-Z][a-zA-Z.'-]+( [A-Z][a-zA-Z.'-]+)+", person["name"]), person
    assert "@" in person["email"]
    assert 0 <= person["age"] <= 130
    address = instance_for_schema(_pydantic_schema(Address), random.Random(3))
    assert address["city"] and address["country"] and any(ch.isdigit() for ch in address["street"])


def test_pattern_prefers_natural_value_when_it_matches() -> None:
    email = instance_for_schema(RAW_SCHEMAS["patterns"], random.Random(1))["email"]
    assert re.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}", email)
    assert email.split("@")[1].startswith("example.")  # Faker's address, not regex noise


def test_unsatisfiable_or_foreign_patterns_do_not_crash() -> None:
    schema = {
        "type": "object",
        "properties": {
            "lookahead": {"type": "string", "pattern": r"^(?=.*\d)[a-z\d]{6}$"},
            "ecma_only": {"type": "string", "pattern": r"^\p{L}+$"},
        },
        "required": ["lookahead", "ecma_only"],
    }
    value = instance_for_schema(schema, random.Random(0))
    assert isinstance(value["lookahead"], str) and len(value["lookahead"]) == 6
    assert isinstance(value["ecma_only"], str) and value["ecma_only"]


def test_chinese_hint_gives_chinese_strings() -> None:
    person = instance_for_schema(_pydantic_schema(Person), random.Random(2), hint="帮我生成一个用户资料")
    assert CJK.search(person["name"])
    english = instance_for_schema(_pydantic_schema(Person), random.Random(2), hint="make a user profile")
    assert not CJK.search(json.dumps(english, ensure_ascii=False))


# ----- generation: determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("label", "schema", "model"), ALL_SCHEMAS, ids=[s[0] for s in ALL_SCHEMAS])
def test_same_seed_same_output(label: str, schema: dict[str, Any], model: type[BaseModel] | None) -> None:
    first = instance_for_schema(schema, random.Random(1234))
    second = instance_for_schema(schema, random.Random(1234))
    assert first == second
    # Interleaving other calls (which reseed the shared Faker) must not change a result.
    instance_for_schema(RAW_SCHEMAS["formats"], random.Random(99))
    assert instance_for_schema(schema, random.Random(1234)) == first


def test_different_seeds_differ_for_most_schemas() -> None:
    varied = [
        instance_for_schema(s, random.Random(1)) != instance_for_schema(s, random.Random(2)) for _, s, _ in ALL_SCHEMAS
    ]
    assert sum(varied) >= len(varied) - 2


def test_rng_state_is_consumed_deterministically() -> None:
    rng_a, rng_b = random.Random(5), random.Random(5)
    instance_for_schema(_pydantic_schema(Order), rng_a)
    instance_for_schema(_pydantic_schema(Order), rng_b)
    assert rng_a.random() == rng_b.random()


def test_generation_is_fast() -> None:
    import time

    schema = _pydantic_schema(Order)
    start = time.perf_counter()
    for seed in range(200):
        instance_for_schema(schema, random.Random(seed))
    assert time.perf_counter() - start < 2.0


# ----- json_object answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "keys"),
    [
        ("Return a JSON object with keys name, age and city.", ["name", "age", "city"]),
        ("Reply in json. Fields: title (string), year, director, tags", ["title", "year", "director", "tags"]),
        ("Give me JSON with the following keys: first name, email, is_member", ["first_name", "email", "is_member"]),
        ('Respond with json containing "answer" and "confidence".', ["answer", "confidence"]),
        ("请返回一个包含姓名、年龄和城市字段的JSON", ["姓名", "年龄", "城市"]),
        ("以JSON格式回答，字段：标题、作者、价格", ["标题", "作者", "价格"]),
    ],
)
def test_json_object_uses_requested_keys(prompt: str, keys: list[str]) -> None:
    obj = json_object_for_prompt(prompt, random.Random(0))
    assert list(obj) == keys
    assert len(json.dumps(obj, ensure_ascii=False)) < 300


def test_json_object_values_follow_key_names() -> None:
    obj = json_object_for_prompt("Return JSON with keys name, age, is_active, tags and price.", random.Random(4))
    assert isinstance(obj["name"], str) and " " in obj["name"]
    assert isinstance(obj["age"], int) and 18 <= obj["age"] <= 80
    assert isinstance(obj["is_active"], bool)
    assert isinstance(obj["tags"], list) and all(isinstance(t, str) for t in obj["tags"])
    assert isinstance(obj["price"], float)


def test_json_object_generic_english_and_chinese() -> None:
    english = json_object_for_prompt("Tell me something fun about octopuses, as JSON.", random.Random(3))
    assert set(english) == {"answer", "items", "confidence"}
    assert not CJK.search(json.dumps(english, ensure_ascii=False))
    assert 0 < english["confidence"] < 1
    chinese = json_object_for_prompt("用JSON格式介绍一下北京。", random.Random(3))
    assert set(chinese) == {"answer", "items", "confidence"}
    assert CJK.search(chinese["answer"]) and all(CJK.search(item) for item in chinese["items"])
    assert len(json.dumps(chinese, ensure_ascii=False)) < 300


def test_json_object_chinese_keys_get_chinese_values() -> None:
    obj = json_object_for_prompt("请返回一个包含姓名、城市字段的JSON", random.Random(8))
    assert CJK.search(obj["姓名"]) and CJK.search(obj["城市"])


def test_json_object_is_deterministic() -> None:
    for prompt in ("Return a JSON object with keys name, age and city.", "用JSON格式介绍一下北京。", "json please"):
        assert json_object_for_prompt(prompt, random.Random(11)) == json_object_for_prompt(prompt, random.Random(11))
    assert json_object_for_prompt("json please", random.Random(1)) != json_object_for_prompt(
        "json please", random.Random(2)
    )


# ----- strict-mode rules ---------------------------------------------------------------------------------------

PARAM = "response_format.json_schema.schema"


def _obj(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False, **extra}


def _strict_error(schema: Any, *, name: str = "result", kind: str = "response_format", param: str = PARAM) -> ApiError:
    with pytest.raises(ApiError) as info:
        check_strict_schema(schema, param, name=name, kind=kind)  # type: ignore[arg-type]
    err = info.value
    assert err.status == 400
    assert err.type == "invalid_request_error"
    assert err.param == param
    return err


@pytest.mark.parametrize("model", STRICT_OK_MODELS, ids=[m.__name__ for m in STRICT_OK_MODELS])
def test_strict_pydantic_schemas_pass(model: type[BaseModel]) -> None:
    check_strict_schema(_pydantic_schema(model), PARAM, name=model.__name__, kind="response_format")


def test_strict_valid_hand_written_schema_passes() -> None:
    schema = _obj(
        {
            "city": {"type": "string", "description": "City name"},
            "when": {"type": "string", "format": "date-time"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
            "unit": {"type": ["string", "null"], "enum": ["c", "f", None]},
            "loc": {"anyOf": [_obj({"lat": {"type": "number", "minimum": -90, "maximum": 90}}), {"type": "null"}]},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "node": {"$ref": "#/$defs/node"},
        },
        **{"$defs": {"node": _obj({"next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}})}},
    )
    check_strict_schema(schema, PARAM, name="weather", kind="response_format")


def test_strict_root_must_be_object() -> None:
    err = _strict_error({"type": "array", "items": {"type": "string"}}, name="list")
    assert err.code == "invalid_json_schema"
    assert err.message == (
        "Invalid schema for response_format 'list': schema must be a JSON Schema of 'type: \"object\"', "
        "got 'type: \"array\"'."
    )
    err = _strict_error({"anyOf": [_obj({"a": {"type": "string"}}), _obj({"b": {"type": "string"}})]})
    assert err.message.endswith("""schema must be a JSON Schema of 'type: "object"', got 'type: "None"'.""")


def test_strict_root_any_of_rejected() -> None:
    schema = {"type": "object", "anyOf": [_obj({"a": {"type": "string"}}), _obj({"b": {"type": "string"}})]}
    err = _strict_error(schema)
    assert err.message == (
        "Invalid schema for response_format 'result': schema must have type 'object' and not have "
        "'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level. Found 'anyOf'."
    )


def test_strict_additional_properties_required() -> None:
    inner = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
    err = _strict_error(_obj({"foo": inner}), name="NAME")
    assert err.code == "invalid_json_schema"
    assert err.message == (
        "Invalid schema for response_format 'NAME': In context=('properties', 'foo'), "
        "'additionalProperties' is required to be supplied and to be false."
    )
    root = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
    assert "In context=(), 'additionalProperties' is required" in _strict_error(root).message


def test_strict_required_must_list_every_property() -> None:
    schema = _obj({"foo": {"type": "string"}, "bar": {"type": "integer"}})
    schema["required"] = ["foo"]
    err = _strict_error(schema, name="NAME")
    assert err.code == "invalid_json_schema"
    assert err.message == (
        "Invalid schema for response_format 'NAME': In context=(), 'required' is required to be supplied and "
        "to be an array including every key in properties. Missing 'bar'."
    )
    del schema["required"]
    assert _strict_error(schema).message.endswith("Missing 'foo'.")


def test_strict_required_must_not_list_unknown_keys() -> None:
    schema = _obj({"foo": {"type": "string"}})
    schema["required"] = ["foo", "ghost"]
    assert _strict_error(schema).message.endswith(
        "'required' is required to be supplied and to be an array including every key in properties. "
        "Extra required key 'ghost' supplied."
    )


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("patternProperties", {"^x": {"type": "string"}}),
        ("unevaluatedProperties", False),
        ("propertyNames", {"pattern": "^[a-z]+$"}),
        ("if", {"properties": {"a": {"const": 1}}}),
        ("then", {"required": ["a"]}),
        ("else", {"required": ["a"]}),
        ("not", {"type": "null"}),
        ("dependentRequired", {"a": ["b"]}),
        ("dependentSchemas", {"a": {"required": ["b"]}}),
        ("oneOf", [{"type": "string"}, {"type": "integer"}]),
        ("allOf", [{"type": "string"}]),
        ("uniqueItems", True),
    ],
)
def test_strict_forbidden_keywords(keyword: str, value: Any) -> None:
    schema = _obj({"x": {"type": "string", keyword: value}})
    err = _strict_error(schema, name="fmt")
    assert err.code == "invalid_json_schema"
    assert (
        err.message
        == f"Invalid schema for response_format 'fmt': In context=('properties', 'x'), '{keyword}' is not permitted."
    )


def test_strict_unresolved_ref() -> None:
    err = _strict_error(_obj({"verdict": {"$ref": "#/$defs/Verdict"}}), name="Decision")
    assert err.message == (
        "Invalid schema for response_format 'Decision': In context=('properties', 'verdict'), "
        "reference to component '#/$defs/Verdict' which was not found in the schema."
    )


def test_strict_unsupported_format() -> None:
    err = _strict_error(_obj({"url": {"type": "string", "format": "uri"}}), name="Briefing")
    assert err.message == (
        "Invalid schema for response_format 'Briefing': In context=('properties', 'url'), 'uri' is not a valid format."
    )


def test_strict_array_needs_items() -> None:
    err = _strict_error(_obj({"output_channels": {"type": "array"}}), name="cron", kind="function")
    assert err.message == (
        "Invalid schema for function 'cron': In context=('properties', 'output_channels'), array schema missing items."
    )


def test_strict_nesting_depth_limit() -> None:
    def nest(levels: int) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        for _ in range(levels):
            schema = _obj({"x": schema})
        return schema

    check_strict_schema(nest(10), PARAM, name="deep", kind="response_format")
    err = _strict_error(nest(11), name="deep")
    assert err.message == "Invalid schema for response_format 'deep': 11 levels of nesting exceeds limit of 10."
    assert err.code == "invalid_json_schema"


def test_strict_total_properties_limit() -> None:
    chunk = {f"p{i}": {"type": "integer"} for i in range(1000)}
    ok = _obj({f"g{g}": _obj(chunk) for g in range(4)} | {f"q{i}": {"type": "integer"} for i in range(996)})
    check_strict_schema(ok, PARAM, name="wide", kind="response_format")  # exactly 5000
    too_many = _obj({f"g{g}": _obj(chunk) for g in range(5)} | {"extra": {"type": "integer"}})
    err = _strict_error(too_many, name="wide")
    assert err.message == "Invalid schema for response_format 'wide': 5006 parameters exceeds limit of 5000."


def test_strict_type_list_context_and_defs_context() -> None:
    loose = {"type": ["null", "object"], "properties": {"a": {"type": "string"}}, "required": ["a"]}
    err = _strict_error(_obj({"summary": loose}))
    assert "In context=('properties', 'summary', 'type', '1'), 'additionalProperties'" in err.message
    schema = _obj({"item": {"$ref": "#/$defs/Item"}}, **{"$defs": {"Item": {"type": "object", "properties": {}}}})
    err = _strict_error(schema)
    assert "In context=('$defs', 'Item'), 'additionalProperties'" in err.message
    nested = _obj(
        {"rows": {"type": "array", "items": {"anyOf": [{"type": "object", "properties": {}}, {"type": "null"}]}}}
    )
    assert "In context=('properties', 'rows', 'items', 'anyOf', '0')," in _strict_error(nested).message


def test_strict_function_prefix_and_param() -> None:
    params = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
    err = _strict_error(params, name="get_weather", kind="function", param="tools[0].function.parameters")
    assert err.param == "tools[0].function.parameters"
    assert err.code == "invalid_json_schema"
    assert err.message == (
        "Invalid schema for function 'get_weather': In context=(), "
        "'additionalProperties' is required to be supplied and to be false."
    )


def test_strict_dict_fields_are_refused() -> None:
    err = _strict_error(_pydantic_schema(Inventory), name="Inventory")
    assert "In context=('properties', 'stock'), 'additionalProperties' is required" in err.message


def test_strict_non_object_schema_is_a_type_error() -> None:
    err = _strict_error(["not", "a", "schema"])
    assert err.code == "invalid_type"


def test_strict_check_terminates_on_recursive_schemas() -> None:
    for model in (TreeNode, LinkedItem):
        check_strict_schema(_pydantic_schema(model), PARAM, name=model.__name__, kind="response_format")
    check_strict_schema(RAW_SCHEMAS["root_recursion"], PARAM, name="root", kind="response_format")


def test_hostile_schemas_stay_bounded() -> None:
    """Thousands-deep nesting and exponential 'diamond' refs must neither crash nor hang."""
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(600):
        deep = _obj({"x": deep})
    assert _strict_error(deep).message.endswith("levels of nesting exceeds limit of 10.")
    assert isinstance(instance_for_schema(deep, random.Random(0)), dict)

    defs = {f"d{i}": _obj({"a": {"$ref": f"#/$defs/d{i + 1}"}, "b": {"$ref": f"#/$defs/d{i + 1}"}}) for i in range(39)}
    defs["d39"] = _obj({"a": {"type": "string"}, "b": {"type": "string"}})
    diamond = _obj({"r": {"$ref": "#/$defs/d0"}}, **{"$defs": defs})
    assert _strict_error(diamond).message.endswith("41 levels of nesting exceeds limit of 10.")
    assert len(json.dumps(instance_for_schema(diamond, random.Random(0)))) < 200_000


def test_json_object_ignores_incidental_key_words() -> None:
    for prompt in ("I lost my keys, tell me in JSON where to look", "I lost my keys and need JSON advice"):
        assert set(json_object_for_prompt(prompt, random.Random(0))) == {"answer", "items", "confidence"}
    assert list(json_object_for_prompt("Return JSON with keys: verdict", random.Random(0))) == ["verdict"]
