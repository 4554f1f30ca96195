"""Structured outputs: schema-driven JSON generation and OpenAI's strict-schema rules.

Three jobs live here, all pure functions of their inputs (no I/O, no clock):

* :func:`instance_for_schema` invents a JSON value that is valid against a JSON Schema, the way a model
  answering ``response_format: json_schema`` (or a strict tool call) would. Values look real because the
  *property names* pick the Faker provider (``city`` gets a city, ``email`` an address, ``age`` a sane
  integer), and everything is derived from the caller's :class:`random.Random`, so one seed is one answer.
* :func:`json_object_for_prompt` does the same for ``response_format: json_object``, where there is no
  schema: keys come from what the prompt asks for ("with keys a, b and c"), else a small generic object.
* :func:`check_strict_schema` rejects what OpenAI rejects when ``strict: true`` is set, with OpenAI's own
  message templates (``Invalid schema for response_format 'x': In context=(...), ...``), so client code that
  would 400 against the real API 400s here too.

Determinism: values come from the caller's ``rng``; Faker's own PRNG is re-seeded from that ``rng`` at the
start of every call (one module-level Faker per locale: building a Faker costs ~100 ms). Faker's date
providers are never used because they are relative to *today*; dates are drawn from a fixed window instead.
The shared Faker instances make these functions non-reentrant across threads; the server calls them from
its single event-loop thread, where a call runs start to finish without interleaving.

``jsonschema`` is deliberately not used at runtime (it is a test-only dependency): the generator is built to
be valid by construction and the tests check that claim.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import string
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import TYPE_CHECKING, Any, Literal

import regex as _regex

from .errors import ApiError

if TYPE_CHECKING:
    import random

    from faker import Faker

__all__ = [
    "MAX_NESTING_DEPTH",
    "MAX_TOTAL_PROPERTIES",
    "STRICT_FORBIDDEN_KEYWORDS",
    "STRICT_FORMATS",
    "check_strict_schema",
    "instance_for_schema",
    "json_object_for_prompt",
]

# ----- one Faker per locale, built on first use (construction is slow; seeding is cheap) ----------------

_FAKERS: dict[str, Faker] = {}


def faker_for(locale: str) -> Faker:
    """The shared Faker of ``locale``. Built lazily: importing and building Faker costs ~150 ms, which
    the server's cold start should not pay for schema answers it may never give."""
    fake = _FAKERS.get(locale)
    if fake is None:
        from faker import Faker

        fake = _FAKERS[locale] = Faker(locale)
    return fake


def warm() -> None:
    """Build both Fakers now (the server calls this from its background warm-up thread)."""
    faker_for("en_US")
    faker_for("zh_CN")


# ----- generation knobs ----------------------------------------------------------------------------------

#: How many times one ``$ref`` may be open on the current path before generation turns "minimal" (null
#: branch of an anyOf, empty arrays, required properties only) so recursive schemas terminate.
_RECURSION_LIMIT = 2
#: Structural depth (properties/items edges) beyond which generation turns minimal even without recursion.
_SOFT_DEPTH = 12
#: Hard stop: past this depth we return the cheapest value of the node's type, valid or not.
_HARD_DEPTH = 40
#: Size budget in generated values: past the soft one generation turns minimal, past the hard one cheapest.
#: Shared definitions referenced twice per level (a "diamond") would otherwise grow the answer as 2**depth.
_SOFT_NODES = 2_000
_HARD_NODES = 10_000
#: Attempts at producing a string that matches ``pattern`` (and the length bounds) before falling back.
_PATTERN_TRIES = 8
#: Time bound of one ``pattern`` check of a candidate string (seconds).
_PATTERN_TIMEOUT_S = 0.05
#: Unbounded regex repeats (``*``, ``+``, ``{n,}``) add at most this many extra repetitions.
_REGEX_EXTRA_REPEAT = 3

# A fixed window for dates so answers do not drift with the wall clock (Faker's are relative to today).
_DATE_START = _dt.datetime(2015, 1, 1, tzinfo=_dt.UTC)
_DATE_SPAN_SECONDS = int((_dt.datetime(2026, 12, 31, tzinfo=_dt.UTC) - _DATE_START).total_seconds())

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _is_chinese(text: str) -> bool:
    return bool(_CJK_RE.search(text))


# =========================================================================================================
# Name hints: property names → realistic values
# =========================================================================================================

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9\u4e00-\u9fff]+")

#: Chinese key words (as used in Chinese prompts) mapped onto the English token that carries the rule.
_ZH_ALIASES: dict[str, str] = {
    "姓名": "name",
    "名字": "name",
    "名称": "title",
    "年龄": "age",
    "城市": "city",
    "国家": "country",
    "邮箱": "email",
    "电子邮件": "email",
    "电话": "phone",
    "手机": "phone",
    "地址": "address",
    "公司": "company",
    "日期": "date",
    "时间": "time",
    "标题": "title",
    "描述": "description",
    "简介": "summary",
    "价格": "price",
    "职业": "job",
    "数量": "quantity",
    "评分": "rating",
    "标签": "tags",
    "作者": "author",
    "省份": "state",
    "网址": "url",
    "答案": "answer",
    "原因": "reason",
}


def _tokens(name: str) -> list[str]:
    """Split ``customerEmail`` / ``customer_email`` / ``Customer Email`` into lower-case tokens."""
    name = name.strip()
    if name in _ZH_ALIASES:
        return [_ZH_ALIASES[name]]
    return [t.lower() for t in _CAMEL_RE.split(name) if t]


def _singular(word: str) -> str:
    """Crude singular for array item hints (``tags`` → ``tag``, ``cities`` → ``city``)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _is_plural(word: str) -> bool:
    return _singular(word) != word or word in {"data", "people", "children"}


_StrFn = Callable[["_Gen"], str]


def _sentence(g: _Gen, lo: int = 5, hi: int = 10) -> str:
    text = g.fake.sentence(nb_words=g.rng.randint(lo, hi))
    # zh_CN's lorem provider ends sentences with an ASCII period; a Chinese reader expects "。".
    return text[:-1] + "。" if g.zh and text.endswith(".") else text


def _title(g: _Gen) -> str:
    words = g.fake.words(nb=g.rng.randint(2, 5))
    return "".join(words) if g.zh else " ".join(words).title()


def _short_text(g: _Gen) -> str:
    words = g.fake.words(nb=g.rng.randint(1, 3))
    return "".join(words) if g.zh else " ".join(words)


_PRODUCT_ADJECTIVES = ("Classic", "Deluxe", "Compact", "Wireless", "Organic", "Premium", "Smart", "Vintage", "Mini")
_PRODUCT_NOUNS = (
    "Backpack",
    "Desk Lamp",
    "Headphones",
    "Coffee Mug",
    "Keyboard",
    "Office Chair",
    "Notebook",
    "Blender",
    "Sneakers",
    "Watch",
    "Water Bottle",
    "Speaker",
    "Jacket",
    "Tea Set",
)
_ZH_PRODUCTS = ("无线耳机", "保温杯", "机械键盘", "双肩包", "台灯", "运动鞋", "智能手表", "茶具套装", "蓝牙音箱")
_CUISINES = ("Italian", "Mexican", "Japanese", "Indian", "French", "Thai", "Chinese", "Greek", "Spanish")
_ZH_CUISINES = ("川菜", "粤菜", "鲁菜", "湘菜", "苏菜", "浙菜", "闽菜", "徽菜")


def _product(g: _Gen) -> str:
    if g.zh:
        return g.rng.choice(_ZH_PRODUCTS)
    return f"{g.rng.choice(_PRODUCT_ADJECTIVES)} {g.rng.choice(_PRODUCT_NOUNS)}"


_ZH_LANGUAGES = ("中文", "英语", "日语", "法语", "德语", "西班牙语")
_ZH_COLORS = ("红色", "蓝色", "绿色", "黄色", "黑色", "白色", "紫色")

#: Token → string generator. Looked up for compound names first (``first_name``), then for each token from
#: the last one backwards (``billing_city`` → ``city``), so the head noun decides.
_STRING_RULES: dict[str, _StrFn] = {
    "first_name": lambda g: g.fake.first_name(),
    "firstname": lambda g: g.fake.first_name(),
    "given_name": lambda g: g.fake.first_name(),
    "last_name": lambda g: g.fake.last_name(),
    "lastname": lambda g: g.fake.last_name(),
    "surname": lambda g: g.fake.last_name(),
    "family_name": lambda g: g.fake.last_name(),
    "user_name": lambda g: g.fake.user_name(),
    "username": lambda g: g.fake.user_name(),
    "company_name": lambda g: g.fake.company(),
    "product_name": _product,
    "item_name": _product,
    "file_name": lambda g: g.fake.file_name(),
    "filename": lambda g: g.fake.file_name(),
    "job_title": lambda g: g.fake.job(),
    "country_code": lambda g: g.fake.country_code(),
    "currency_code": lambda g: g.fake.currency_code(),
    "language_code": lambda g: g.fake.language_code(),
    "zip_code": lambda g: g.fake.postcode(),
    "postal_code": lambda g: g.fake.postcode(),
    "street_address": lambda g: g.fake.street_address(),
    "phone_number": lambda g: g.fake.phone_number(),
    "full_name": lambda g: g.fake.name(),
    "name": lambda g: g.fake.name(),
    "author": lambda g: g.fake.name(),
    "owner": lambda g: g.fake.name(),
    "person": lambda g: g.fake.name(),
    "customer": lambda g: g.fake.name(),
    "manager": lambda g: g.fake.name(),
    "contact": lambda g: g.fake.name(),
    "speaker": lambda g: g.fake.name(),
    "director": lambda g: g.fake.name(),
    "actor": lambda g: g.fake.name(),
    "artist": lambda g: g.fake.name(),
    "writer": lambda g: g.fake.name(),
    "composer": lambda g: g.fake.name(),
    "teacher": lambda g: g.fake.name(),
    "student": lambda g: g.fake.name(),
    "employee": lambda g: g.fake.name(),
    "doctor": lambda g: g.fake.name(),
    "reviewer": lambda g: g.fake.name(),
    "guest": lambda g: g.fake.name(),
    "member": lambda g: g.fake.name(),
    "founder": lambda g: g.fake.name(),
    "ceo": lambda g: g.fake.name(),
    "player": lambda g: g.fake.name(),
    "coach": lambda g: g.fake.name(),
    "singer": lambda g: g.fake.name(),
    "recipient": lambda g: g.fake.name(),
    "sender": lambda g: g.fake.name(),
    "assignee": lambda g: g.fake.name(),
    "city": lambda g: g.fake.city(),
    "town": lambda g: g.fake.city(),
    "country": lambda g: g.fake.country(),
    "nationality": lambda g: g.fake.country(),
    "state": lambda g: g.fake.state() if not g.zh else g.fake.province(),
    "province": lambda g: g.fake.state() if not g.zh else g.fake.province(),
    "region": lambda g: g.fake.state() if not g.zh else g.fake.province(),
    "street": lambda g: g.fake.street_address(),
    "address": lambda g: g.fake.address().replace("\n", ", "),
    "location": lambda g: g.fake.city(),
    "zip": lambda g: g.fake.postcode(),
    "zipcode": lambda g: g.fake.postcode(),
    "postcode": lambda g: g.fake.postcode(),
    "email": lambda g: g.fake.email(),
    "mail": lambda g: g.fake.email(),
    "phone": lambda g: g.fake.phone_number(),
    "mobile": lambda g: g.fake.phone_number(),
    "telephone": lambda g: g.fake.phone_number(),
    "tel": lambda g: g.fake.phone_number(),
    "company": lambda g: g.fake.company(),
    "organization": lambda g: g.fake.company(),
    "organisation": lambda g: g.fake.company(),
    "employer": lambda g: g.fake.company(),
    "brand": lambda g: g.fake.company(),
    "job": lambda g: g.fake.job(),
    "occupation": lambda g: g.fake.job(),
    "profession": lambda g: g.fake.job(),
    "position": lambda g: g.fake.job(),
    "role": lambda g: g.fake.job(),
    "title": _title,
    "headline": _title,
    "subject": _title,
    "heading": _title,
    "product": _product,
    "cuisine": lambda g: g.rng.choice(_ZH_CUISINES if g.zh else _CUISINES),
    "description": _sentence,
    "summary": _sentence,
    "bio": _sentence,
    "about": _sentence,
    "content": _sentence,
    "text": _sentence,
    "body": _sentence,
    "comment": _sentence,
    "message": _sentence,
    "details": _sentence,
    "note": _sentence,
    "notes": _sentence,
    "reason": _sentence,
    "reasoning": _sentence,
    "explanation": _sentence,
    "rationale": _sentence,
    "answer": _sentence,
    "response": _sentence,
    "feedback": _sentence,
    "review": _sentence,
    "instruction": _sentence,
    "step": _sentence,
    "question": lambda g: _sentence(g).rstrip(".。") + ("？" if g.zh else "?"),
    "slogan": lambda g: g.fake.catch_phrase() if not g.zh else _sentence(g, 3, 5),
    "tagline": lambda g: g.fake.catch_phrase() if not g.zh else _sentence(g, 3, 5),
    "url": lambda g: g.fake.url(),
    "uri": lambda g: g.fake.url(),
    "link": lambda g: g.fake.url(),
    "website": lambda g: g.fake.url(),
    "homepage": lambda g: g.fake.url(),
    "href": lambda g: g.fake.url(),
    "domain": lambda g: g.fake.domain_name(),
    "hostname": lambda g: g.fake.domain_name(),
    "host": lambda g: g.fake.domain_name(),
    "ip": lambda g: g.fake.ipv4(),
    "ipv4": lambda g: g.fake.ipv4(),
    "ipv6": lambda g: g.fake.ipv6(),
    "user": lambda g: g.fake.user_name(),
    "handle": lambda g: g.fake.user_name(),
    "login": lambda g: g.fake.user_name(),
    "password": lambda g: g.fake.password(length=12),
    "color": lambda g: g.fake.color_name() if not g.zh else g.rng.choice(_ZH_COLORS),
    "colour": lambda g: g.fake.color_name() if not g.zh else g.rng.choice(_ZH_COLORS),
    "currency": lambda g: g.fake.currency_code(),
    "language": lambda g: g.fake.language_name() if not g.zh else g.rng.choice(_ZH_LANGUAGES),
    "date": lambda g: g.date(),
    "birthday": lambda g: g.date(),
    "dob": lambda g: g.date(),
    "deadline": lambda g: g.date(),
    "time": lambda g: g.time(),
    "datetime": lambda g: g.date_time(),
    "timestamp": lambda g: g.date_time(),
    "created": lambda g: g.date_time(),
    "updated": lambda g: g.date_time(),
    "id": lambda g: g.uuid(),
    "uuid": lambda g: g.uuid(),
    "guid": lambda g: g.uuid(),
    "isbn": lambda g: g.fake.isbn13(),
    "iban": lambda g: g.fake.iban(),
    "sku": lambda g: g.fake.bothify("???-#####").upper(),
    "code": lambda g: g.fake.bothify("??-####").upper(),
    "slug": lambda g: g.fake.slug() if not g.zh else faker_for("en_US").slug(),
    "path": lambda g: g.fake.file_path(),
    "file": lambda g: g.fake.file_name(),
    "month": lambda g: g.fake.month_name(),
    "weekday": lambda g: g.fake.day_of_week(),
    "gender": lambda g: g.rng.choice(("女", "男") if g.zh else ("female", "male")),
    "status": lambda g: g.rng.choice(("active", "pending", "completed")),
    "sentiment": lambda g: g.rng.choice(("positive", "neutral", "negative")),
    "category": _short_text,
    "tag": lambda g: g.fake.word(),
    "keyword": lambda g: g.fake.word(),
    "label": lambda g: g.fake.word(),
    "topic": _short_text,
    "genre": lambda g: g.fake.word(),
    "word": lambda g: g.fake.word(),
    "ingredient": _short_text,
    "item": _short_text,
    "skill": _short_text,
    "hobby": _short_text,
    "type": lambda g: g.fake.word(),
    "kind": lambda g: g.fake.word(),
}

#: Numeric hints: token → (lo, hi, is_integer).
_NUMBER_RULES: dict[str, tuple[float, float, bool]] = {
    "age": (18, 80, True),
    "year": (1990, 2026, True),
    "month": (1, 12, True),
    "day": (1, 28, True),
    "hour": (0, 23, True),
    "minute": (0, 59, True),
    "minutes": (5, 120, True),
    "seconds": (1, 3600, True),
    "count": (1, 50, True),
    "quantity": (1, 20, True),
    "qty": (1, 20, True),
    "number": (1, 20, True),
    "num": (1, 100, True),
    "pages": (50, 800, True),
    "page": (1, 300, True),
    "rank": (1, 10, True),
    "index": (0, 10, True),
    "priority": (1, 5, True),
    "rating": (1, 5, True),
    "stars": (1, 5, True),
    "level": (1, 10, True),
    "population": (10_000, 5_000_000, True),
    "id": (1, 9999, True),
    "score": (0, 100, True),
    "percent": (0, 100, True),
    "percentage": (0, 100, True),
    "price": (5, 500, False),
    "cost": (5, 500, False),
    "amount": (5, 1000, False),
    "total": (10, 2000, False),
    "salary": (30_000, 150_000, True),
    "balance": (0, 10_000, False),
    "confidence": (0.6, 0.99, False),
    "probability": (0.0, 1.0, False),
    "latitude": (-90, 90, False),
    "lat": (-90, 90, False),
    "longitude": (-180, 180, False),
    "lng": (-180, 180, False),
    "lon": (-180, 180, False),
    "temperature": (-10, 40, False),
    "weight": (1, 100, False),
    "height": (1, 250, False),
    "duration": (1, 120, True),
    "distance": (1, 500, False),
    "size": (1, 100, True),
}

_BOOL_PREFIXES = {"is", "has", "can", "should", "was", "allow", "enable", "include", "needs"}
_BOOL_NAMES = {
    "active",
    "enabled",
    "available",
    "verified",
    "valid",
    "success",
    "done",
    "completed",
    "approved",
    "published",
    "visible",
    "required",
    "deleted",
    "archived",
    "urgent",
    "correct",
    "flag",
}


def _lookup(rules: Mapping[str, Any], name: str) -> Any | None:
    """Find the rule for a property name: whole snake name, then head noun, then the other tokens."""
    toks = _tokens(name)
    if not toks:
        return None
    joined = "_".join(toks)
    if joined in rules:
        return rules[joined]
    if len(toks) >= 2 and "_".join(toks[-2:]) in rules:
        return rules["_".join(toks[-2:])]
    for tok in reversed(toks):
        if tok in rules:
            return rules[tok]
        if _singular(tok) in rules:
            return rules[_singular(tok)]
    return None


def _guess_type(name: str) -> str:
    """Pick a JSON type for a key that has no schema (``json_object`` answers, ``{}`` schemas)."""
    toks = _tokens(name)
    if not toks:
        return "string"
    if toks[0] in _BOOL_PREFIXES or toks[-1] in _BOOL_NAMES:
        return "boolean"
    if "_".join(toks) in _STRING_RULES or toks[-1] in _STRING_RULES:
        return "string"
    numeric = _lookup(_NUMBER_RULES, name)
    if numeric is not None:
        return "integer" if numeric[2] else "number"
    if _is_plural(toks[-1]):
        return "array"
    return "string"


# =========================================================================================================
# Regex-driven strings (``pattern``)
# =========================================================================================================

_PRINTABLE = string.ascii_letters + string.digits
_CATEGORY_CHARS: dict[Any, str] = {
    _sre.CATEGORY_DIGIT: string.digits,
    _sre.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    _sre.CATEGORY_SPACE: " ",
    _sre.CATEGORY_NOT_DIGIT: string.ascii_letters,
    _sre.CATEGORY_NOT_WORD: "-.,:; ",
    _sre.CATEGORY_NOT_SPACE: _PRINTABLE,
}
_NEGATION_POOL = string.ascii_letters + string.digits + " -_.,:;@#"


class _RegexEmitter:
    """Walks ``re``'s parse tree and emits one string the pattern (usually) matches.

    Python's regex parser is used because JSON Schema patterns are ECMA-262 regexes, which Python reads
    the same way for everything schemas use in practice. Lookarounds are skipped (emit nothing) and
    back-references replay the group's text, so the candidate may miss; callers re-check with ``re``.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.groups: dict[int, str] = {}

    def emit(self, items: Iterable[tuple[Any, Any]]) -> str:
        out: list[str] = []
        for op, av in items:
            out.append(self._emit_one(op, av))
        return "".join(out)

    def _emit_one(self, op: Any, av: Any) -> str:
        rng = self.rng
        if op is _sre.LITERAL:
            return chr(av)
        if op is _sre.NOT_LITERAL:
            return rng.choice([c for c in _PRINTABLE if ord(c) != av])
        if op is _sre.ANY:
            return rng.choice(string.ascii_lowercase)
        if op is _sre.IN:
            return self._char_class(av)
        if op is _sre.BRANCH:
            return self.emit(rng.choice(av[1]))
        if op is _sre.SUBPATTERN:
            group, _add, _del, sub = av
            text = self.emit(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
            lo, hi, sub = av
            top = lo + _REGEX_EXTRA_REPEAT if hi is _sre.MAXREPEAT else min(hi, lo + _REGEX_EXTRA_REPEAT)
            return "".join(self.emit(sub) for _ in range(rng.randint(lo, max(lo, top))))
        if op is _sre.GROUPREF:
            return self.groups.get(av, "")
        if op is _sre.GROUPREF_EXISTS:
            group, yes, no = av
            return self.emit(yes if group in self.groups else (no or []))
        if op is getattr(_sre, "ATOMIC_GROUP", None):
            return self.emit(av)
        # AT (anchors), ASSERT / ASSERT_NOT (lookarounds) and anything unknown emit nothing.
        return ""

    def _char_class(self, av: Sequence[tuple[Any, Any]]) -> str:
        rng = self.rng
        negate = bool(av) and av[0][0] is _sre.NEGATE
        members = av[1:] if negate else av
        if negate:
            pool = [c for c in _NEGATION_POOL if not self._in_class(c, members)]
            return rng.choice(pool) if pool else "~"
        op, val = rng.choice(list(members))
        if op is _sre.LITERAL:
            return chr(val)
        if op is _sre.RANGE:
            return chr(rng.randint(val[0], val[1]))
        if op is _sre.CATEGORY:
            return rng.choice(_CATEGORY_CHARS.get(val, _PRINTABLE))
        return rng.choice(_PRINTABLE)

    @staticmethod
    def _in_class(ch: str, members: Iterable[tuple[Any, Any]]) -> bool:
        code = ord(ch)
        for op, val in members:
            if op is _sre.LITERAL and code == val:
                return True
            if op is _sre.RANGE and val[0] <= code <= val[1]:
                return True
            if op is _sre.CATEGORY and ch in _CATEGORY_CHARS.get(val, "") and not str(val).startswith("CATEGORY_NOT"):
                return True
        return False


# =========================================================================================================
# The generator
# =========================================================================================================


class _Gen:
    """One generation pass over one schema: holds the root (for ``$ref``), the rng and recursion state."""

    def __init__(self, root: Any, rng: random.Random, *, zh: bool) -> None:
        self.root = root
        self.rng = rng
        self.zh = zh
        self.fake: Faker = faker_for("zh_CN" if zh else "en_US")
        self.fake.seed_instance(rng.getrandbits(64))
        self.open_refs: dict[str, int] = {}
        self.nodes = 0

    # ----- small realistic scalars -------------------------------------------------------------------

    def _moment(self) -> _dt.datetime:
        return _DATE_START + _dt.timedelta(seconds=self.rng.randrange(_DATE_SPAN_SECONDS))

    def date(self) -> str:
        return self._moment().date().isoformat()

    def date_time(self) -> str:
        return self._moment().isoformat().replace("+00:00", "Z")

    def time(self) -> str:
        return self._moment().strftime("%H:%M:%S") + "Z"

    def duration(self) -> str:
        return self.rng.choice(("PT15M", "PT30M", "PT1H", "PT2H30M", "P1D", "P3DT4H", "P1W", "P2M"))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def format_value(self, fmt: str) -> str | None:
        """A value for a JSON Schema ``format``; None when the format is unknown (then the name decides)."""
        fake = self.fake
        makers: dict[str, Callable[[], str]] = {
            "email": fake.email,
            "idn-email": fake.email,
            "date": self.date,
            "date-time": self.date_time,
            "time": self.time,
            "duration": self.duration,
            "uuid": self.uuid,
            "uri": fake.url,
            "url": fake.url,
            "iri": fake.url,
            "uri-reference": fake.uri_path,
            "iri-reference": fake.uri_path,
            "hostname": fake.domain_name,
            "idn-hostname": fake.domain_name,
            "ipv4": fake.ipv4,
            "ipv6": fake.ipv6,
            "regex": lambda: "^[a-z]+$",
            "json-pointer": lambda: "/" + fake.word(),
        }
        maker = makers.get(fmt)
        return maker() if maker else None

    # ----- schema plumbing ---------------------------------------------------------------------------

    def resolve_ref(self, ref: str) -> Any:
        """Resolve a local JSON pointer (``#``, ``#/$defs/X``, ``#/definitions/X``); unknown → ``{}``."""
        if ref in ("#", ""):
            return self.root
        if not ref.startswith("#/"):
            return {}
        node: Any = self.root
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def flatten(self, schema: Any) -> Any:
        """Inline ``$ref`` (siblings win, like openai-python does) and merge ``allOf`` into one schema."""
        for _ in range(8):  # a ref chain longer than this is pathological; stop unfolding
            if not isinstance(schema, Mapping) or "$ref" not in schema:
                break
            target = self.resolve_ref(str(schema["$ref"]))
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, Mapping) else target
        if isinstance(schema, Mapping) and isinstance(schema.get("allOf"), list):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in schema["allOf"]:
                merged = _merge(merged, self.flatten(part))
            return merged
        return schema

    # ----- the walk ----------------------------------------------------------------------------------

    def gen(self, schema: Any, name: str, depth: int, minimal: bool) -> Any:
        """Generate a value for ``schema``; ``name`` is the property name (drives realism)."""
        if schema is True or schema is None:
            schema = {}
        if schema is False or not isinstance(schema, Mapping):
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            count = self.open_refs.get(ref, 0) + 1
            self.open_refs[ref] = count
            try:
                return self._gen_flat(self.flatten(schema), name, depth, minimal or count > _RECURSION_LIMIT)
            finally:
                self.open_refs[ref] = count - 1
        return self._gen_flat(self.flatten(schema), name, depth, minimal)

    def _gen_flat(self, schema: Any, name: str, depth: int, minimal: bool) -> Any:
        if not isinstance(schema, Mapping):
            return self.gen(schema, name, depth, minimal)
        self.nodes += 1
        minimal = minimal or depth > _SOFT_DEPTH or self.nodes > _SOFT_NODES
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf"):
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                branch = self._pick_branch(branches, minimal)
                base = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                return self.gen(
                    _merge(base, self.flatten(branch)) if _has_constraints(base) else branch, name, depth, minimal
                )
        kind = self._pick_type(schema, name, minimal)
        if depth > _HARD_DEPTH or self.nodes > _HARD_NODES:
            return _cheapest(kind)
        if kind == "null":
            return None
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind in ("integer", "number"):
            return self._number(schema, name, integer=kind == "integer")
        if kind == "string":
            return self._string(schema, name)
        if kind == "array":
            return self._array(schema, name, depth, minimal)
        return self._object(schema, name, depth, minimal)

    def _pick_branch(self, branches: Sequence[Any], minimal: bool) -> Any:
        """Choose an anyOf/oneOf branch: mostly the first non-null one; at the recursion cap the cheapest.

        Favouring the first non-null branch keeps Optional[X] answers populated (what a model does) while
        the occasional other branch keeps unions exercised. oneOf exclusivity is not verified.
        """
        flat = [self.flatten(b) for b in branches]
        is_null = [isinstance(b, Mapping) and b.get("type") == "null" for b in flat]
        if minimal:
            for i, null in enumerate(is_null):
                if null:
                    return branches[i]
            for b in branches:
                if not _mentions_ref(b):
                    return b
            return branches[0]
        non_null = [b for b, null in zip(branches, is_null, strict=True) if not null]
        if not non_null:
            return branches[0]
        roll = self.rng.random()
        if any(is_null) and roll < 0.15:
            return branches[is_null.index(True)]
        if len(non_null) > 1 and roll > 0.7:
            return self.rng.choice(non_null[1:])
        return non_null[0]

    def _pick_type(self, schema: Mapping[str, Any], name: str, minimal: bool) -> str:
        declared = schema.get("type")
        if isinstance(declared, str):
            return declared
        if isinstance(declared, list) and declared:
            types = [t for t in declared if isinstance(t, str)]
            non_null = [t for t in types if t != "null"]
            if not non_null or (minimal and "null" in types):
                return "null"
            if "null" in types and self.rng.random() < 0.15:
                return "null"
            return non_null[0] if self.rng.random() < 0.8 else self.rng.choice(non_null)
        # No type: infer from the keywords present, then from the name.
        if any(
            k in schema
            for k in (
                "properties",
                "required",
                "additionalProperties",
                "patternProperties",
                "minProperties",
                "maxProperties",
            )
        ):
            return "object"
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems", "uniqueItems")):
            return "array"
        if any(k in schema for k in ("pattern", "format", "minLength", "maxLength")):
            return "string"
        if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")):
            return "number"
        return _guess_type(name)

    # ----- scalars -----------------------------------------------------------------------------------

    def _number(self, schema: Mapping[str, Any], name: str, *, integer: bool) -> int | float:
        rng = self.rng
        hint = _lookup(_NUMBER_RULES, name)
        lo_hint, hi_hint = (hint[0], hint[1]) if hint else (0, 100)
        if integer and hint and not hint[2] and hi_hint - lo_hint < 2:
            lo_hint, hi_hint = 0, 100  # "confidence: integer" → a percentage-like range
        lo, lo_excl = _bound(schema, "minimum", "exclusiveMinimum", max)
        hi, hi_excl = _bound(schema, "maximum", "exclusiveMaximum", min)
        if integer:
            ilo = None if lo is None else (math.floor(lo) + 1 if lo_excl and lo == math.floor(lo) else math.ceil(lo))
            ihi = None if hi is None else (math.ceil(hi) - 1 if hi_excl and hi == math.ceil(hi) else math.floor(hi))
            a, b = _intersect(ilo, ihi, math.ceil(lo_hint), math.floor(hi_hint))
            mult = schema.get("multipleOf")
            if isinstance(mult, int | float) and mult > 0:
                ks = math.ceil(a / mult), math.floor(b / mult)
                if ks[0] <= ks[1]:
                    value = rng.randint(*ks) * mult
                    return int(value) if float(value).is_integer() else value
            return rng.randint(int(a), int(max(a, b)))
        a, b = _intersect(lo, hi, lo_hint, hi_hint)
        mult = schema.get("multipleOf")
        if isinstance(mult, int | float) and mult > 0:
            ks = math.ceil(a / mult), math.floor(b / mult)
            # Keep only multiples whose float quotient is exact: validators test ``value / multipleOf`` for
            # integrality, and 0.3 / 0.1 == 2.9999999999999996 would fail them.
            candidates = [
                v
                for v in (_clean_float(k * mult, mult) for k in range(ks[0], min(ks[1], ks[0] + 1000) + 1))
                if _strictly_inside(v, lo, lo_excl, hi, hi_excl) and float(v / mult).is_integer()
            ]
            if candidates:
                return rng.choice(candidates)
        for _ in range(8):
            value = round(rng.uniform(a, b), 2)
            if _strictly_inside(value, lo, lo_excl, hi, hi_excl):
                return value
        return (a + b) / 2

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        min_len = _int_or(schema.get("minLength"), 0)
        max_len = _int_or(schema.get("maxLength"), None)
        fmt = schema.get("format")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            value = self._pattern_string(pattern, schema, name, min_len, max_len)
            if value is not None:
                return value
        value = self.format_value(fmt) if isinstance(fmt, str) else None
        if value is None:
            rule = _lookup(_STRING_RULES, name)
            value = rule(self) if rule else _short_text(self)
        return self._fit_length(value, min_len, max_len)

    def _pattern_string(
        self, pattern: str, schema: Mapping[str, Any], name: str, min_len: int, max_len: int | None
    ) -> str | None:
        """Best effort for ``pattern``, in order of realism.

        1. the value the format / property name would give anyway, if it happens to match (emails, dates);
        2. up to ``_PATTERN_TRIES`` (x3 with length bounds) strings emitted from the regex parse tree,
           re-checked with ``re`` (a too-long one is also tried cut to ``maxLength``);
        3. fallback: the last emitted candidate, even if a lookaround or back-reference made it miss.
        A pattern Python cannot compile (ECMA-only syntax such as ``\\p{L}``) is ignored: returns None and
        the caller generates as if there were no pattern.
        """
        try:
            re.compile(pattern)
            parsed = _sre_parse.parse(pattern)
        except (re.error, RecursionError, OverflowError):
            return None
        try:
            # The request's pattern is checked by the ``regex`` engine under a time bound, as fixture
            # regexes are: a catastrophic pattern costs a miss, never a frozen server.
            compiled = _regex.compile(pattern)
        except (_regex.error, RecursionError, OverflowError):
            return None
        fmt = schema.get("format")
        natural = self.format_value(fmt) if isinstance(fmt, str) else None
        if natural is None:
            rule = _lookup(_STRING_RULES, name)
            natural = rule(self) if rule else None

        def fits(text: str) -> bool:
            if len(text) < min_len or (max_len is not None and len(text) > max_len):
                return False
            try:
                return compiled.search(text, timeout=_PATTERN_TIMEOUT_S) is not None
            except TimeoutError:
                return False

        if natural is not None and fits(natural):
            return natural
        candidate = ""
        # Length bounds make random repeat counts miss more often, so they earn more attempts.
        tries = _PATTERN_TRIES * (3 if min_len or max_len is not None else 1)
        for _ in range(tries):
            candidate = _RegexEmitter(self.rng).emit(parsed.data)
            if fits(candidate):
                return candidate
            if max_len is not None and len(candidate) > max_len and fits(candidate[:max_len]):
                return candidate[:max_len]
        return candidate

    def _fit_length(self, value: str, min_len: int, max_len: int | None) -> str:
        filler = 0
        while len(value) < min_len and filler < 50:
            value = f"{value} {self.fake.word()}" if value else self.fake.word()
            filler += 1
        if len(value) < min_len:
            value = value.ljust(min_len, "x")
        if max_len is not None and len(value) > max_len:
            cut = value[:max_len]
            stripped = cut.rstrip(" ,.;:-")
            value = stripped if len(stripped) >= min_len else cut
        return value

    # ----- containers --------------------------------------------------------------------------------

    def _array(self, schema: Mapping[str, Any], name: str, depth: int, minimal: bool) -> list[Any]:
        rng = self.rng
        prefix = schema.get("prefixItems") if isinstance(schema.get("prefixItems"), list) else []
        items = schema.get("items", {})
        if isinstance(items, list):  # draft-04 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        lo = _int_or(schema.get("minItems"), 0)
        hi = _int_or(schema.get("maxItems"), None)
        if items is False:
            hi = len(prefix) if hi is None else min(hi, len(prefix))
        if minimal:
            count = lo
        else:
            want_lo, want_hi = max(lo, 1), max(lo, 3)
            if hi is not None:
                want_lo, want_hi = min(want_lo, hi), min(want_hi, hi)
            count = rng.randint(want_lo, max(want_lo, want_hi))
        item_name = _singular(_tokens(name)[-1]) if _tokens(name) else "item"
        unique = bool(schema.get("uniqueItems"))
        flat_items = self.flatten(items) if unique and not prefix else None
        if isinstance(flat_items, Mapping) and isinstance(flat_items.get("enum"), list):
            # Unique picks from an enum: sample without replacement instead of hoping retries find new values.
            choices = list(flat_items["enum"])
            return rng.sample(choices, min(max(count, 0), len(choices)))
        out: list[Any] = []
        seen: set[str] = set()
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            value = self.gen(sub, item_name, depth + 1, minimal)
            if unique:
                key = json.dumps(value, sort_keys=True)
                for _ in range(20):
                    if key not in seen:
                        break
                    value = self.gen(sub, item_name, depth + 1, minimal)
                    key = json.dumps(value, sort_keys=True)
                if key in seen:
                    continue  # the item schema has too few distinct values; return fewer items
                seen.add(key)
            out.append(value)
        return out

    def _object(self, schema: Mapping[str, Any], name: str, depth: int, minimal: bool) -> dict[str, Any]:
        rng = self.rng
        props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        required = (
            [r for r in schema.get("required", []) if isinstance(r, str)]
            if isinstance(schema.get("required"), list)
            else []
        )
        max_props = _int_or(schema.get("maxProperties"), None)
        min_props = _int_or(schema.get("minProperties"), 0)
        out: dict[str, Any] = {}
        for key, sub in props.items():
            if key not in required and (minimal or rng.random() < 0.5):
                continue
            if key not in required and max_props is not None and len(out) >= max_props:
                continue
            out[key] = self.gen(sub, _owned_name(key, schema, name), depth + 1, minimal)
        extra_schema = schema.get("additionalProperties", True)
        for key in required:  # required keys without a property schema
            if key not in out:
                out[key] = self.gen(extra_schema if isinstance(extra_schema, Mapping) else {}, key, depth + 1, minimal)
        pattern_props = schema.get("patternProperties")
        if not props and isinstance(pattern_props, Mapping) and pattern_props and not minimal:
            for pat, sub in list(pattern_props.items())[: rng.randint(1, 2)]:
                key = self._pattern_string(str(pat), {}, "key", 1, None) or self.fake.word()
                out.setdefault(key, self.gen(sub, key, depth + 1, minimal))
        # A map type (``dict[str, X]``): invent a couple of keys. Plain open objects stay as declared.
        want = min_props if minimal else max(min_props, rng.randint(1, 3) if not props and not out else 0)
        if max_props is not None:
            want = min(want, max_props)
        if extra_schema is not False and len(out) < want:
            sub = extra_schema if isinstance(extra_schema, Mapping) else {"type": "string"}
            key_hint = _singular(_tokens(name)[-1]) if _tokens(name) else "key"
            for _ in range(want * 3):
                if len(out) >= want:
                    break
                key = self.fake.word()
                if key not in out and key not in props:
                    out[key] = self.gen(sub, key_hint, depth + 1, minimal)
        return out


# ----- helpers used by the generator ------------------------------------------------------------------

#: What a bare ``name`` / ``title`` property means, by the kind of object that owns it (pydantic's class
#: title, or the property holding the object): ``Recipe.name`` is a dish, ``Cat.name`` a pet's first name.
_OWNER_NAME_HINTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "company",
            "organization",
            "organisation",
            "business",
            "brand",
            "employer",
            "vendor",
            "supplier",
            "store",
            "shop",
            "restaurant",
            "hotel",
            "publisher",
            "manufacturer",
        ),
        "company",
    ),
    **dict.fromkeys(("product", "item", "article", "good", "merchandise"), "product_name"),
    **dict.fromkeys(
        (
            "recipe",
            "dish",
            "meal",
            "book",
            "movie",
            "film",
            "song",
            "album",
            "game",
            "project",
            "course",
            "event",
            "post",
            "task",
            "app",
            "application",
            "team",
            "playlist",
            "show",
            "series",
            "chapter",
        ),
        "title",
    ),
    **dict.fromkeys(("pet", "cat", "dog", "animal", "horse"), "first_name"),
    **dict.fromkeys(("file", "document", "attachment"), "file_name"),
    "city": "city",
    "country": "country",
    "language": "language",
    "color": "color",
    "category": "category",
    "tag": "tag",
    "skill": "skill",
    "ingredient": "ingredient",
}


def _owned_name(key: str, schema: Mapping[str, Any], owner: str) -> str:
    """The name hint for property ``key``: itself, unless it is a bare name/title that its owner explains."""
    if key.lower() not in ("name", "title", "label"):
        return key
    for source in (schema.get("title"), owner):
        toks = _tokens(source) if isinstance(source, str) else []
        if toks:
            hint = _OWNER_NAME_HINTS.get(_singular(toks[-1]))
            if hint is not None:
                return hint
    return key


def _merge(a: Mapping[str, Any], b: Any) -> dict[str, Any]:
    """Merge two (flattened) schemas as ``allOf`` would, keeping the tighter bound of each limit."""
    out = dict(a)
    if not isinstance(b, Mapping):
        return out
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties" and isinstance(value, Mapping) and isinstance(out[key], Mapping):
            props = dict(out[key])
            for pname, psub in value.items():
                props[pname] = {"allOf": [props[pname], psub]} if pname in props else psub
            out[key] = props
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key in ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"):
            out[key] = max(out[key], value)
        elif key in ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"):
            out[key] = min(out[key], value)
        elif key == "enum" and isinstance(value, list) and isinstance(out[key], list):
            both = [v for v in out[key] if v in value]
            out[key] = both or value
        elif key == "type":
            mine = out[key] if isinstance(out[key], list) else [out[key]]
            theirs = value if isinstance(value, list) else [value]
            both = [t for t in mine if t in theirs or (t == "integer" and "number" in theirs)]
            both += [t for t in theirs if t == "integer" and "number" in mine and t not in both]
            out[key] = (both[0] if len(both) == 1 else both) if both else value
        elif key == "additionalProperties" and (value is False or out[key] is False):
            out[key] = False
        else:
            out[key] = value
    return out


_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "discriminator",
        "$defs",
        "definitions",
        "$schema",
        "$id",
    }
)


def _has_constraints(schema: Mapping[str, Any]) -> bool:
    return any(k not in _ANNOTATIONS for k in schema)


def _mentions_ref(schema: Any) -> bool:
    if isinstance(schema, Mapping):
        return "$ref" in schema or any(_mentions_ref(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_mentions_ref(v) for v in schema)
    return False


def _cheapest(kind: str) -> Any:
    return {"null": None, "boolean": False, "integer": 0, "number": 0, "string": "", "array": []}.get(kind, {})


def _int_or(value: Any, default: Any) -> Any:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


def _bound(
    schema: Mapping[str, Any], inclusive: str, exclusive: str, tighter: Callable[[float, float], float]
) -> tuple[float | None, bool]:
    """Combine ``minimum``/``exclusiveMinimum`` (draft-06+ numbers, or draft-04 booleans) into one bound."""
    inc = schema.get(inclusive)
    exc = schema.get(exclusive)
    inc = inc if isinstance(inc, int | float) and not isinstance(inc, bool) else None
    if exc is True and inc is not None:  # draft-04 style
        return inc, True
    exc = exc if isinstance(exc, int | float) and not isinstance(exc, bool) else None
    if inc is None and exc is None:
        return None, False
    if inc is None:
        return exc, True
    if exc is None:
        return inc, False
    best = tighter(inc, exc)
    return best, best == exc and best != inc


def _intersect(lo: float | None, hi: float | None, hint_lo: float, hint_hi: float) -> tuple[float, float]:
    """Intersect the schema's bounds with the name's natural range; the schema always wins."""
    a = hint_lo if lo is None else max(lo, hint_lo)
    b = hint_hi if hi is None else min(hi, hint_hi)
    if a <= b:
        return a, b
    if lo is not None and hi is not None:
        return lo, hi
    if lo is not None:
        return lo, lo + max(10, abs(lo))
    assert hi is not None
    return hi - max(10, abs(hi)), hi


def _strictly_inside(value: float, lo: float | None, lo_excl: bool, hi: float | None, hi_excl: bool) -> bool:
    if lo is not None and (value < lo or (lo_excl and value == lo)):
        return False
    return not (hi is not None and (value > hi or (hi_excl and value == hi)))


def _clean_float(value: float, mult: float) -> float | int:
    """Round ``k * multipleOf`` to the multiple's precision so 3 * 0.1 prints as 0.3, not 0.30000000000000004."""
    decimals = max(0, -math.floor(math.log10(abs(mult)))) + 2 if mult else 2
    rounded = round(value, min(decimals, 12))
    return int(rounded) if float(rounded).is_integer() and isinstance(mult, int) else rounded


# =========================================================================================================
# Public generation API
# =========================================================================================================


def instance_for_schema(schema: Mapping[str, Any], rng: random.Random, *, hint: str = "") -> Any:
    """A JSON value valid against ``schema``, fully determined by ``rng``'s state and ``hint``.

    ``hint`` is free context such as the user's prompt: Chinese text there switches string values to
    zh_CN Faker data, and for a non-object root it also serves as the name that picks the value kind.
    Supported: type (incl. lists), properties/required/additionalProperties/patternProperties, enum,
    const, items/prefixItems/minItems/maxItems/uniqueItems, $ref (``#``, ``#/$defs/…``, ``#/definitions/…``),
    anyOf/oneOf/allOf, string formats and patterns, length and numeric bounds, multipleOf. Optional
    properties are filled about half of the time; recursion stops after ``_RECURSION_LIMIT`` levels.
    """
    gen = _Gen(schema, rng, zh=_is_chinese(hint))
    root_name = hint if len(hint) <= 40 else ""
    return gen.gen(schema, root_name, 0, False)


# Prompt parsing for json_object: "with keys a, b and c", "fields: x, y", "包含姓名、年龄字段", quoted names.
_EN_KEYS_RE = re.compile(
    r"\b(?:keys?|fields?|properties|attributes|columns|entries)\b\s*"
    r"(?:(?:should be|must be|are|named|called|like|such as|including|:|-|=)\s*)*",
    re.IGNORECASE,
)
_ZH_KEYS_RE = re.compile(r"(?:字段|键|属性)\s*(?:为|是|包括|包含)?\s*[：:]\s*")
_ZH_CONTAINS_RE = re.compile(r"(?:包含|包括|含有|带有)\s*(.{1,80}?)(?:等)?(?:字段|键|属性)")
_SENTENCE_END_RE = re.compile(r"(?<![A-Za-z])[.!?](?=\s|$)|[\n。！？；;]")
_QUOTED_RE = re.compile(r"[`\"“]([A-Za-z_][A-Za-z0-9_\-]{0,30})[`\"”]|'([A-Za-z_][A-Za-z0-9_]{0,30})'")
_LIST_SPLIT_RE = re.compile(r"\s*(?:,|，|、|/|\band\b|\bor\b|以及|和|及|与)\s*", re.IGNORECASE)
_PAREN_RE = re.compile(r"[(（\[][^)）\]]*[)）\]]")
_EN_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_ZH_WORD_RE = re.compile(r"[\u4e00-\u9fffA-Za-z0-9_]{1,12}")
_KEY_STOP = {
    "the",
    "a",
    "an",
    "with",
    "json",
    "object",
    "keys",
    "key",
    "fields",
    "field",
    "values",
    "value",
    "etc",
    "following",
    "these",
    "those",
    "its",
    "their",
    "each",
    "all",
    "some",
    "only",
}


def _split_keys(text: str) -> list[str]:
    """Turn "name (string), age and `home city` in JSON" into ['name', 'age', 'home_city']."""
    keys: list[str] = []
    for piece in _LIST_SPLIT_RE.split(_PAREN_RE.sub("", text)):
        piece = piece.strip().strip("`'\"“”‘’*:").strip()
        if not piece:
            continue
        if _is_chinese(piece):
            match = _ZH_WORD_RE.match(piece)
            key = match.group(0) if match else ""
        else:
            words = [w for w in _EN_WORD_RE.findall(piece) if w.lower() not in _KEY_STOP]
            if not words:
                continue
            # "first name" is one key; "city in the reply" is the key "city" followed by prose.
            key = "_".join(words).lower() if len(words) == 2 and len(piece.split()) == 2 else words[0]
        if key and key.lower() not in _KEY_STOP and key not in keys:
            keys.append(key)
    return keys[:12]


def _keys_from_prompt(prompt: str) -> list[str]:
    """The key names a prompt asks for, in order, or [] when it names none."""
    match = _ZH_CONTAINS_RE.search(prompt)
    if match:
        keys = _split_keys(match.group(1))
        if keys:
            return keys
    for regex in (_ZH_KEYS_RE, _EN_KEYS_RE):
        for match in regex.finditer(prompt):
            tail = _SENTENCE_END_RE.split(prompt[match.end() :], maxsplit=1)[0]
            if not tail.strip() or _LIST_SPLIT_RE.match(tail.strip() + " "):
                continue  # "my keys, please" / "keys and ..." — the word is not introducing a list
            keys = _split_keys(tail)
            # Without a colon ("fields: a") one name is more likely prose ("I lost my keys somewhere").
            if len(keys) >= 2 or (keys and re.search(r"[:：]\s*$", match.group(0))):
                return keys
    quoted = [a or b for a, b in _QUOTED_RE.findall(prompt)]
    quoted = [q for q in dict.fromkeys(quoted) if q.lower() not in _KEY_STOP]
    return quoted[:12] if len(quoted) >= 2 else []


def json_object_for_prompt(prompt: str, rng: random.Random) -> dict[str, Any]:
    """A small plausible JSON object for ``response_format: json_object`` (no schema to follow).

    When the prompt names keys ("with keys name, age and city", "fields: x, y", quoted names, or Chinese
    "包含姓名、年龄字段") those keys are used, each valued by what its name suggests. Otherwise a generic
    ``{"answer", "items", "confidence"}`` object. A prompt containing Chinese gets Chinese string values.
    """
    zh = _is_chinese(prompt)
    gen = _Gen({}, rng, zh=zh)
    keys = _keys_from_prompt(prompt)
    if keys:
        out: dict[str, Any] = {}
        for key in keys:
            kind = _guess_type(key)
            sub: dict[str, Any] = {"type": kind}
            if kind == "array":
                item = _singular(_tokens(key)[-1]) if _tokens(key) else "item"
                sub = {"type": "array", "items": {"type": _guess_type(item)}, "maxItems": 3}
            out[key] = gen.gen(sub, key, 0, False)
        return out
    items = [gen.fake.word() for _ in range(rng.randint(2, 3))]
    return {
        "answer": _sentence(gen, 5, 9),
        "items": items,
        "confidence": round(rng.uniform(0.6, 0.98), 2),
    }


# =========================================================================================================
# Strict-mode schema rules
# =========================================================================================================

#: Keywords OpenAI answers with "'X' is not permitted." under strict mode. Each is attested by real 400s
#: (oneOf, allOf, uniqueItems, propertyNames seen verbatim) or listed unsupported in the structured outputs
#: guide. Length limits, ``default`` and ``minLength``-style keywords are accepted here: OpenAI's answer to
#: those has varied by model and date, and accepting them keeps pydantic models with defaults usable.
STRICT_FORBIDDEN_KEYWORDS: tuple[str, ...] = (
    "allOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "uniqueItems",
)
#: Root-level keywords that trigger OpenAI's dedicated root message (anyOf is legal below the root).
_ROOT_FORBIDDEN = ("anyOf", "oneOf", "enum", "not")
#: String formats strict mode accepts (structured outputs guide); others → "'X' is not a valid format."
STRICT_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
MAX_NESTING_DEPTH = 10
MAX_TOTAL_PROPERTIES = 5000
#: Traversal bounds for hostile input (path elements / nesting levels), far above anything legal.
_WALK_CAP = 200
_MEASURE_CAP = 100

_Context = tuple[str, ...]


def _render_context(ctx: _Context) -> str:
    """Python's tuple repr, which is what OpenAI prints: ``()``, ``('properties', 'foo')``."""
    return repr(tuple(ctx))


class _StrictChecker:
    """Walks a strict schema and raises the first violation in OpenAI's words."""

    def __init__(self, root: Mapping[str, Any], param: str, prefix: str, code: str | None) -> None:
        self.root = root
        self.param = param
        self.prefix = prefix
        self.code = code
        self.ref_levels: dict[str, int] = {}

    def fail(self, message: str) -> ApiError:
        return ApiError(400, self.prefix + message, param=self.param, code=self.code)

    def resolves(self, ref: str) -> bool:
        if ref == "#":
            return True
        if not ref.startswith("#/"):
            return False
        node: Any = self.root
        for raw in ref[2:].split("/"):
            part = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                return False
            node = node[part]
        return isinstance(node, Mapping)

    def walk(self, schema: Any, ctx: _Context) -> None:
        # Past _WALK_CAP path elements the schema is far over the nesting limit, which measure() reports;
        # stopping here keeps a hostile, thousands-deep schema from exhausting the Python stack.
        if not isinstance(schema, Mapping) or len(ctx) > _WALK_CAP:
            return
        for keyword in STRICT_FORBIDDEN_KEYWORDS:
            if keyword in schema:
                raise self.fail(f"In context={_render_context(ctx)}, '{keyword}' is not permitted.")
        ref = schema.get("$ref")
        if ref is not None and not (isinstance(ref, str) and self.resolves(ref)):
            raise self.fail(
                f"In context={_render_context(ctx)}, reference to component '{ref}' which was not found in the schema."
            )
        fmt = schema.get("format")
        if fmt is not None and fmt not in STRICT_FORMATS:
            raise self.fail(f"In context={_render_context(ctx)}, '{fmt}' is not a valid format.")
        declared = schema.get("type")
        types = declared if isinstance(declared, list) else [declared]
        for index, kind in enumerate(types):
            # A type list is checked per member: OpenAI reports ('…', 'type', '1') for the object member.
            where = (*ctx, "type", str(index)) if isinstance(declared, list) else ctx
            if kind == "object":
                self.check_object(schema, where)
            elif kind == "array" and "items" not in schema:
                raise self.fail(f"In context={_render_context(where)}, array schema missing items.")
        for bucket in ("$defs", "definitions"):
            defs = schema.get(bucket)
            if isinstance(defs, Mapping):
                for def_name, sub in defs.items():
                    self.walk(sub, (*ctx, bucket, def_name))
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for prop_name, sub in props.items():
                self.walk(sub, (*ctx, "properties", prop_name))
        if isinstance(schema.get("items"), Mapping):
            self.walk(schema["items"], (*ctx, "items"))
        if isinstance(schema.get("anyOf"), list):
            for index, sub in enumerate(schema["anyOf"]):
                self.walk(sub, (*ctx, "anyOf", str(index)))

    def check_object(self, schema: Mapping[str, Any], ctx: _Context) -> None:
        where = _render_context(ctx)
        if schema.get("additionalProperties") is not False:
            raise self.fail(f"In context={where}, 'additionalProperties' is required to be supplied and to be false.")
        props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        required = schema.get("required")
        required_list = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        lead = (
            f"In context={where}, 'required' is required to be supplied and to be an array including every key "
            "in properties."
        )
        required_set = set(required_list)
        missing = [key for key in props if key not in required_set]
        if missing:
            raise self.fail(f"{lead} Missing '{missing[0]}'.")
        extra = [key for key in required_list if key not in props]
        if extra:
            raise self.fail(f"{lead} Extra required key '{extra[0]}' supplied.")

    def measure(self, schema: Any, stack: tuple[str, ...] = (), level: int = 0) -> int:
        """Levels of nesting: the most properties/items edges on any path, following refs but not cycles.

        Results per ``$ref`` are memoised (a diamond of shared definitions would otherwise be re-walked
        exponentially); counting stops at ``_MEASURE_CAP`` levels, far past the limit being enforced.
        """
        if not isinstance(schema, Mapping) or level > _MEASURE_CAP:
            return 0
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in stack:
                return 0
            if ref not in self.ref_levels:
                target = self.root if ref == "#" else _pointer(self.root, ref)
                self.ref_levels[ref] = self.measure(target, (*stack, ref), level)
            return self.ref_levels[ref]
        best = 0
        props = schema.get("properties")
        if isinstance(props, Mapping):
            for sub in props.values():
                best = max(best, 1 + self.measure(sub, stack, level + 1))
        if isinstance(schema.get("items"), Mapping):
            best = max(best, 1 + self.measure(schema["items"], stack, level + 1))
        if isinstance(schema.get("anyOf"), list):
            for sub in schema["anyOf"]:
                best = max(best, self.measure(sub, stack, level))
        return best


def _pointer(root: Any, ref: str) -> Any:
    node: Any = root
    for raw in ref[2:].split("/") if ref.startswith("#/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _count_properties(schema: Any, level: int = 0) -> int:
    """Every property key declared anywhere in the schema document (definitions counted once, refs not followed)."""
    if level > _WALK_CAP:
        return 0
    if isinstance(schema, list):
        return sum(_count_properties(v, level + 1) for v in schema)
    if not isinstance(schema, Mapping):
        return 0
    total = 0
    for key, value in schema.items():
        if key in ("properties", "$defs", "definitions", "patternProperties") and isinstance(value, Mapping):
            total += len(value) if key == "properties" else 0
            total += sum(_count_properties(sub, level + 1) for sub in value.values())
        elif key not in ("enum", "const", "default", "examples", "required"):
            total += _count_properties(value, level + 1)
    return total


def _render_type(value: Any) -> str:
    """How OpenAI echoes the root type: its Python str (``None`` when absent)."""
    return str(value)


def check_strict_schema(
    schema: Any,
    param: str,
    *,
    name: str,
    kind: Literal["response_format", "function"],
    code: str | None = "invalid_json_schema",
) -> None:
    """Raise the 400 OpenAI returns for a ``strict: true`` schema it would refuse; return None if fine.

    Rules, checked in this order (first failure wins, as the API reports one problem at a time):

    1. the root is an object schema with ``type: "object"``
       (``schema must be a JSON Schema of 'type: "object"', got 'type: "None"'.``);
    2. the root carries no anyOf/oneOf/enum/not (OpenAI's dedicated root message);
    3. walking every subschema (node, then ``$defs``/``definitions``, ``properties``, ``items``, ``anyOf``):
       no :data:`STRICT_FORBIDDEN_KEYWORDS`, every ``$ref`` resolves, every ``format`` is one of
       :data:`STRICT_FORMATS`, every object has ``additionalProperties: false`` and ``required`` listing
       exactly its properties, every array has ``items``;
    4. at most :data:`MAX_NESTING_DEPTH` levels of nesting and :data:`MAX_TOTAL_PROPERTIES` properties.

    All failures: 400 ``invalid_request_error`` with ``param`` and ``code`` as given (chat's response_format:
    ``response_format`` and null, as the API answers; tools: the parameters' path, ``invalid_json_schema``).
    """
    if not isinstance(schema, Mapping):
        raise ApiError.invalid_type(param, "an object", schema)
    prefix = f"Invalid schema for {kind} '{name}': "
    checker = _StrictChecker(schema, param, prefix, code)
    if schema.get("type") != "object":
        got = _render_type(schema.get("type"))
        raise checker.fail(f"""schema must be a JSON Schema of 'type: "object"', got 'type: "{got}"'.""")
    for keyword in _ROOT_FORBIDDEN:
        if keyword in schema:
            raise checker.fail(
                "schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' at the top level. "
                f"Found '{keyword}'."
            )
    checker.walk(schema, ())
    depth = checker.measure(schema)
    if depth > MAX_NESTING_DEPTH:
        raise checker.fail(f"{depth} levels of nesting exceeds limit of {MAX_NESTING_DEPTH}.")
    total = _count_properties(schema)
    if total > MAX_TOTAL_PROPERTIES:
        raise checker.fail(f"{total} parameters exceeds limit of {MAX_TOTAL_PROPERTIES}.")
