"""Seeded, meaningful embedding vectors: feature hashing of a text's surface, with no model weights.

Why this algorithm: a retrieval test needs vectors that are deterministic (same text, same bytes, on
every run and machine) and *meaningful* in the one sense a mock can honour without a neural model:
texts that share words are close, texts that share none are not. Feature hashing gives both, costs
microseconds per text, and needs no data files.

The recipe (PROTOCOL-embeddings.md §7), for one text under one model and seed:

1. **Normalise**: NFKC, then case-folding. Word tokens are runs of letters and digits (punctuation and
   spaces separate them); every CJK ideograph, kana and hangul syllable is a token of its own, so
   Chinese and Japanese, written without spaces, still get words (characters) and, through the pair
   feature below, character bigrams.
2. **Features**, each with a weight:
   * every word, reduced by a light English suffix rule (``retrieve``/``retrieved``/``retrieving`` →
     ``retriev``): 1.0,
     or 0.15 for a stop word (``the``, ``of``, ``的``, ...), so shared grammar counts for little and
     shared content words for much;
   * every adjacent pair of tokens (a CJK character bigram, an English phrase): 0.5, unless both are
     stop words;
   * the character trigrams of each longer word, with boundary marks (``#em``, ``emb``, ...), 0.6 in all
     per word, so ``embed`` and ``embedding``, or a typo, still overlap;
   * a text with no word at all (punctuation, emoji, whitespace) falls back to its characters, so no
     vector is ever zero.
3. **Hashing**: each feature is hashed with keyed BLAKE2b (key: the server ``--seed`` and the model id,
   never Python's salted ``hash()``) to two (coordinate, sign) pairs, and ``sign × weight`` is added
   there. The model id in the key makes every model its own space (the same text under two models gives
   unrelated vectors), and the seed gives another space with the same meaning.
4. **Prefixes keep meaning**: of a feature's two coordinates, one is drawn uniformly from the first
   256 and the other from the whole vector. So the first ``k`` coordinates still carry every feature
   when ``k >= 256`` (and a share of them below), and ``dimensions: k`` can be exactly
   ``normalize(native[:k])`` (PROTOCOL-embeddings.md §3.3) while still ranking the right document first.
   (A smooth bias toward low indices, ``⌊D·u²⌋``, was tried first: it crowds the first coordinates,
   which every text then shares, and lost a third of the benchmark's accuracy at 256.)
5. **Unit length**: the vector (or its prefix) is L2-normalised in float64, then rounded to float32 once;
   the ``float`` and ``base64`` answers carry these same float32 values. A prefix with no feature in it
   (a very small ``dimensions``) gets one coordinate and sign drawn from the text instead, never zeros.

What the vectors are not: they know nothing of synonyms or meaning beyond shared surface features
("car" and "automobile" are unrelated), and they are sparse (a sentence touches a few dozen of the
1,536 coordinates; the rest are 0).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Dense", "Space", "features", "near_twin", "resize", "space", "to_float32"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")

WORD_WEIGHT = 1.0
STOP_WEIGHT = 0.15
PAIR_WEIGHT = 0.5
TRIGRAM_WEIGHT = 0.6  # shared by all the trigrams of one word
TRIGRAM_MIN_LEN = 4
PREFIX = 256  # every feature has one coordinate below this: dimensions >= 256 keep them all

_STOP = frozenset(
    """a an the and or but nor of to in on at by for with from into onto over under about after before
    between through during without within is are was were be been being am do does did doing have has
    had having can could should would will shall may might must it its this that these those there here
    i me my we us our you your he him his she her they them their what which who whom whose when where
    why how as if than then so not no yes also just very too all any some each every such only own same
    other more most much many few s t d ll ve re m""".split()
) | frozenset("的了是在和有我你他她它这那就也都不一个之与及或而被把对于上中下们着过吗呢吧啊")

_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("edly", ""), ("ed", ""), ("ly", ""))
_ES_AFTER = ("s", "x", "z", "ch", "sh")


def _stem(word: str) -> str:
    """A deliberately light English suffix rule: plural and verb endings fold together (``retrieve``,
    ``retrieves``, ``retrieved``, ``retrieving`` → ``retriev``), nothing more."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    stem = word
    for suffix, repl in _SUFFIXES:
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
            stem = stem[: -len(suffix)] + repl
            break
    else:
        if stem.endswith("es") and stem[:-2].endswith(_ES_AFTER):
            stem = stem[:-2]
        elif stem.endswith("s") and not stem.endswith("ss"):
            stem = stem[:-1]
    if len(stem) >= 4 and stem.endswith("e"):
        stem = stem[:-1]
    return stem


def tokens_of(text: str) -> list[str]:
    """Normalised word tokens (CJK characters one by one)."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def word_features(word: str) -> list[tuple[str, float]]:
    """The weighted features one token contributes on its own: its stem and, for a longer non-CJK word,
    its boundary-marked character trigrams."""
    stop = word in _STOP
    out = [("w:" + _stem(word), STOP_WEIGHT if stop else WORD_WEIGHT)]
    if not stop and len(word) >= TRIGRAM_MIN_LEN and not _CJK_CHAR.match(word):
        marked = f"#{word}#"
        count = len(marked) - 2
        weight = TRIGRAM_WEIGHT / math.sqrt(count)
        out.extend(("g:" + marked[i : i + 3], weight) for i in range(count))
    return out


def features(text: str) -> list[tuple[str, float]]:
    """Every weighted feature of a text, in the order :meth:`Space.sparse` adds them (a repeated word
    weighs more). For reading and tests; the hot path caches per word instead of listing these."""
    words = tokens_of(text)
    if not words:
        return _fallback_features(text)
    out = [f for word in words for f in word_features(word)]
    stems = [_stem(w) for w in words]
    out.extend((f"p:{a} {b}", PAIR_WEIGHT) for a, b, both in _pairs(words, stems) if not both)
    return out


def _fallback_features(text: str) -> list[tuple[str, float]]:
    """A text without words: its characters, or (whitespace only, a valid input) the text itself."""
    chars = [c for c in unicodedata.normalize("NFKC", text) if not c.isspace()]
    if chars:
        return [("c:" + c, WORD_WEIGHT) for c in chars]
    return [("ws:" + text, WORD_WEIGHT)]


def _pairs(words: list[str], stems: list[str]) -> Iterable[tuple[str, str, bool]]:
    """Adjacent stems, with whether both words are stop words (such pairs are skipped)."""
    for i in range(len(words) - 1):
        yield stems[i], stems[i + 1], words[i] in _STOP and words[i + 1] in _STOP


def _buckets(key: bytes, native: int, feature: str) -> tuple[tuple[int, float], tuple[int, float]]:
    """(coordinate, sign) pairs of one feature in one space.

    One coordinate is uniform over the first :data:`PREFIX` coordinates, the other over all of them
    (step 4 of the module docstring)."""
    digest = hashlib.blake2b(feature.encode("utf-8", "surrogatepass"), key=key, digest_size=16).digest()
    low = int.from_bytes(digest[:8], "little")
    high = int.from_bytes(digest[8:], "little")
    return (
        ((low >> 1) % min(PREFIX, native), -1.0 if low & 1 else 1.0),
        ((high >> 1) % native, -1.0 if high & 1 else 1.0),
    )


Terms = tuple[tuple[int, float], ...]  # (coordinate, signed weight) pairs to add
_CACHE_LIMIT = 200_000  # cached words and pairs per space; cleared when full (a cache, not a store)


class Space:
    """One model's vector space under one seed: ``native`` coordinates, keyed hashing.

    Get one with :func:`space`: spaces are shared, so their caches (each word's and each word pair's
    coordinates) serve every request. Words repeat across texts, so a batch mostly hits the cache.
    """

    __slots__ = ("_pairs", "_words", "key", "native")

    def __init__(self, model: str, native: int, seed: int) -> None:
        self.native = native
        self.key = hashlib.blake2b(f"mockllm-embeddings:{seed}:{model}".encode(), digest_size=32).digest()
        self._words: dict[str, tuple[str, bool, Terms]] = {}
        self._pairs: dict[tuple[str, str], Terms] = {}

    def _terms(self, weighted: Iterable[tuple[str, float]]) -> Terms:
        merged: dict[int, float] = {}
        for feature, weight in weighted:
            for index, sign in _buckets(self.key, self.native, feature):
                merged[index] = merged.get(index, 0.0) + sign * weight
        return tuple(merged.items())

    def _word(self, word: str) -> tuple[str, bool, Terms]:
        found = self._words.get(word)
        if found is None:
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            found = self._words[word] = (_stem(word), word in _STOP, self._terms(word_features(word)))
        return found

    def sparse(self, text: str) -> dict[int, float]:
        """The unnormalised vector of ``text`` as {coordinate: value} (every other coordinate is 0)."""
        words = tokens_of(text)
        if not words:
            return dict(self._terms(_fallback_features(text)))
        vector: dict[int, float] = {}
        get = vector.get
        infos = [self._word(w) for w in words]
        for _, _, terms in infos:
            for index, value in terms:
                vector[index] = get(index, 0.0) + value
        pairs = self._pairs
        for (stem_a, stop_a, _), (stem_b, stop_b, _) in itertools.pairwise(infos):
            if stop_a and stop_b:
                continue
            terms = pairs.get((stem_a, stem_b))
            if terms is None:
                if len(pairs) >= _CACHE_LIMIT:
                    pairs.clear()
                terms = pairs[(stem_a, stem_b)] = self._terms(((f"p:{stem_a} {stem_b}", PAIR_WEIGHT),))
            for index, value in terms:
                vector[index] = get(index, 0.0) + value
        return vector

    def fallback(self, text: str, size: int) -> dict[int, float]:
        """A unit vector for a text whose first ``size`` coordinates are all 0 (tiny ``dimensions``):
        one coordinate and sign drawn from the text, so it is still deterministic and text-specific."""
        digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), key=self.key, digest_size=8).digest()
        raw = int.from_bytes(digest, "little")
        return {(raw >> 1) % size: -1.0 if raw & 1 else 1.0}

    def embed(self, text: str, size: int) -> dict[int, float]:
        """``normalize(native[:size])`` of ``text``, sparse, in float64 (round with :func:`to_float32`)."""
        return unit(self.sparse(text), size) or self.fallback(text, size)


@lru_cache(maxsize=64)
def space(model: str, native: int, seed: int) -> Space:
    """The shared :class:`Space` of a model under a seed."""
    return Space(model, native, seed)


def unit(vector: dict[int, float], size: int) -> dict[int, float]:
    """The first ``size`` coordinates, L2-normalised; {} when they are all 0."""
    kept = {i: v for i, v in vector.items() if i < size and v != 0.0}
    norm = math.sqrt(math.fsum(v * v for v in kept.values()))
    if norm == 0.0 or not math.isfinite(norm):
        return {}
    return {i: v / norm for i, v in kept.items()}


def resize(values: Sequence[float], size: int) -> dict[int, float]:
    """A pinned vector (fixture ``embedding:``) cut or zero-padded to ``size``, normalised; {} if zero."""
    return unit({i: float(v) for i, v in enumerate(values[:size])}, size)


def near_twin(space: Space, like: str, text: str, size: int, *, strength: float = 0.15) -> dict[int, float]:
    """Fixture ``like:``: the vector of ``like`` nudged toward ``text`` by ``strength`` (cosine with the
    vector of ``like`` about 0.99): a near-duplicate on demand, deterministic like everything else."""
    base = space.embed(like, size)
    nudge = space.embed(text, size)
    mixed = dict(base)
    for i, v in nudge.items():
        mixed[i] = mixed.get(i, 0.0) + strength * v
    return unit(mixed, size) or base


@dataclass(slots=True, frozen=True)
class Dense:
    """A vector as sent: float32 ``values`` (``array('f')``, host order) and the coordinates that are not
    0 (``support``), so writing it as text only formats those."""

    values: array  # type: ignore[type-arg]
    support: tuple[int, ...]


def to_float32(vector: dict[int, float], size: int) -> Dense:
    """The dense float32 vector of a sparse one."""
    out = array("f", bytes(4 * size))
    for i, v in vector.items():
        out[i] = v
    return Dense(out, tuple(sorted(vector)))


def little_endian(values: array) -> bytes:  # type: ignore[type-arg]
    """The float32 values as little-endian bytes: the base64 wire layout (PROTOCOL-embeddings.md §3.4)."""
    if sys.byteorder == "big":  # pragma: no cover - every supported host is little-endian
        values = array("f", values)
        values.byteswap()
    return values.tobytes()
