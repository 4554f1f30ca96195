"""The tokenizer that serves before tiktoken's Rust core is built: exactly tiktoken's tokens, and the
hand-over to the Rust core (built for long texts, or when ``warm`` gets to it)."""

from __future__ import annotations

import binascii
import random
import time
import unicodedata
import zlib
from pathlib import Path

import pytest
import tiktoken
from faker import Faker

from mockllm.core import tokens

ENCODINGS = ("o200k_base", "cl100k_base")


def fresh(name: str) -> tokens.Tokenizer:
    """A tokenizer of its own (the process-wide one may already have its Rust core)."""
    return tokens.Tokenizer(name, tokens._load_ranks(name), build_on_use=False)


@pytest.fixture(scope="module", params=ENCODINGS)
def pair(request: pytest.FixtureRequest) -> tuple[tokens.Tokenizer, tiktoken.Encoding]:
    name = request.param
    return fresh(name), tokens.get_encoding(name)


def corpus(count: int, seed: int) -> list[str]:
    """Texts that exercise every branch of the split patterns: prose in several scripts, contractions in
    both cases, digit runs, punctuation runs, whitespace of every kind (trailing, before newlines, alone),
    emoji with modifiers, combining marks, special-token strings, and random code points."""
    rng = random.Random(seed)
    fake = Faker(["en_US", "ja_JP", "ru_RU", "ar_AA", "zh_CN", "de_DE"])
    fake.seed_instance(seed)
    alphabet = [chr(c) for c in range(32, 127)] + list(
        "\t\n\r\u00a0\u2028\u3000\u200b\u00e9\u0301\U0001f600\U0001f44d\U0001f3fd\u4e2d\u0627\u05d0\u0e01\u1100\ufeff"
    )
    runs = [" ", "\n", "\t", "  \n\n ", " '", "'s", "'S", "'LL", "123456789", "---", "...", "<|endoftext|>", "\r\n"]
    texts = ["", " ", "\n\n", "hello", "Hello, world!", "I'm sure they'll've", "<|endofprompt|>x", "a" * 200]
    while len(texts) < count:
        kind = len(texts) % 4
        if kind == 0:
            texts.append(fake.text(max_nb_chars=rng.randint(5, 400)))
        elif kind == 1:
            texts.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))))
        elif kind == 2:
            # assigned characters only: a text with one Python's unicodedata does not know goes to the
            # Rust core (test_characters_newer_than_tiktokens_unicode_go_to_the_rust_core)
            raw = "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(0, 40)))
            raw = raw.encode("utf-8", "ignore").decode("utf-8")
            texts.append("".join(ch for ch in raw if unicodedata.category(ch) != "Cn"))
        else:
            texts.append(rng.choice(runs) * rng.randint(1, 40) + fake.word() + rng.choice(runs))
    return texts


def test_python_merge_gives_tiktokens_tokens(pair: tuple[tokens.Tokenizer, tiktoken.Encoding]) -> None:
    mine, real = pair
    texts = corpus(1500, seed=11)
    wrong = [text for text in texts if mine.encode_ordinary(text) != real.encode_ordinary(text)]
    assert not wrong, f"{len(wrong)} of {len(texts)} texts differ, e.g. {wrong[:3]!r}"
    assert not mine.ready, "short texts must not build the Rust core"


def test_lone_surrogates_are_replaced_as_tiktoken_does(pair: tuple[tokens.Tokenizer, tiktoken.Encoding]) -> None:
    mine, real = pair
    text = "before \ud800 after \udfff!"
    assert mine.encode_ordinary(text) == real.encode_ordinary(text)


def test_decoding_before_the_rust_core(pair: tuple[tokens.Tokenizer, tiktoken.Encoding]) -> None:
    mine, real = pair
    ids = [*real.encode_ordinary("Décodé: naïve 🍣 text, 12345."), real.eot_token]
    assert mine.decode_bytes(ids) == real.decode_bytes(ids)
    for token in (0, 255, real.eot_token, real.max_token_value, *ids):
        assert mine.decode_single_token_bytes(token) == real.decode_single_token_bytes(token)
    for bad in (real.n_vocab + 10, -1, 2**32):  # the same exception as tiktoken's, whatever it is
        with pytest.raises(Exception) as theirs:
            real.decode_single_token_bytes(bad)
        with pytest.raises(theirs.type):
            mine.decode_single_token_bytes(bad)
    assert mine.n_vocab == real.n_vocab
    assert mine.special_tokens_set == real.special_tokens_set


@pytest.mark.parametrize("name", ENCODINGS)
def test_characters_newer_than_tiktokens_unicode_go_to_the_rust_core(name: str) -> None:
    """The regex module knows Unicode 17, tiktoken's Rust tables Unicode 16: U+A7CE (new in 17) is a letter
    to one and unassigned to the other, so "A\ua7ce's" splits differently. Such texts are not merged in
    Python (found by review: the first request's prompt_tokens differed from the next one's)."""
    mine = fresh(name)
    real = tokens.get_encoding(name)
    for text in ("A\ua7ce's", "x\u0558's and \ua7ce", "\U00018e00\U00018e01'll"):
        assert not tokens._splits_alike(text)
        assert mine.encode_ordinary(text) == real.encode_ordinary(text)


@pytest.mark.parametrize("name", ENCODINGS)
def test_every_character_python_knows_splits_alike(name: str) -> None:
    """Every 11th code point Python's unicodedata assigns, in contexts that exercise each class of the split
    patterns (letters by case, marks, digits, contractions, whitespace): the Python merge agrees with
    tiktoken. All of them were checked once (0 differences in either encoding); the sample keeps an
    upgrade of ``regex`` or tiktoken from slipping through."""
    mine = fresh(name)
    real = tokens.get_encoding(name)
    wrong = []
    for cp in range(0x80, 0x110000, 11):
        char = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or unicodedata.category(char) == "Cn":
            continue
        text = f"a{char}'s {char}{char}'S 1{char} {char}x{char}A\n{char} "
        if mine.encode_ordinary(text) != real.encode_ordinary(text):
            wrong.append(hex(cp))
    assert not wrong
    assert not mine.ready


@pytest.mark.parametrize("name", ENCODINGS)
def test_ranks_are_counted_in_file_order(name: str) -> None:
    """_load_ranks counts ranks rather than parsing them; the file (pinned by its sha256) has them in order."""
    import importlib.util

    spec = importlib.util.find_spec("bpe_openai")
    assert spec is not None and spec.origin is not None
    raw = zlib.decompress((Path(spec.origin).parent / "data" / f"{name}.tiktoken.gz").read_bytes(), 31)
    parsed = {binascii.a2b_base64(token): int(rank) for token, rank in (line.split() for line in raw.splitlines())}
    assert tokens._parse_ranks(name) == parsed
    assert list(tokens._load_ranks(name)) == list(parsed)  # through the cache too, in rank order


@pytest.mark.parametrize(
    "text",
    ["word " * 1000, "=" * 300, "x" + "\u4e2d" * 100],
    ids=["long text", "long piece", "long piece of 3-byte characters"],
)
def test_long_input_builds_the_rust_core_and_hands_over(text: str) -> None:
    mine = fresh("o200k_base")
    real = tokens.get_encoding("o200k_base")
    assert mine.encode_ordinary(text) == real.encode_ordinary(text)
    assert mine.ready
    # After the hand-over the Python ranks are gone (~30 MB) and everything goes through the Rust core.
    assert mine._ranks is None and mine._by_rank is None
    assert mine.encode_ordinary("short") == real.encode_ordinary("short")
    assert mine.decode_single_token_bytes(1000) == real.decode_single_token_bytes(1000)


def test_warm_reads_ranks_first_and_builds_the_core_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not timed against the machine: the ranks may take any time to read; from then on the core waits
    ``also_after_s`` (1.5 s, far more than the check right after takes)."""
    monkeypatch.setattr(tokens, "_tokenizers", {})
    built: list[str] = []
    thread = tokens.warm(also=(lambda: built.append("also"),), also_after_s=1.5)
    deadline = time.monotonic() + 30
    while "o200k_base" not in tokens._tokenizers and time.monotonic() < deadline:
        time.sleep(0.01)
    tok = tokens._tokenizers["o200k_base"]
    assert not tok.ready and not built
    thread.join(30)
    assert tok.ready and built == ["also"]


def test_warm_builds_the_core_right_after_the_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_tokenizers", {})
    thread = tokens.warm(also_after_s=30)
    deadline = time.monotonic() + 10
    while "o200k_base" not in tokens._tokenizers and time.monotonic() < deadline:
        time.sleep(0.01)
    tok = tokens._tokenizers["o200k_base"]
    assert not tok.ready
    first = tok.encode_ordinary("the first request's prompt")  # the Python merge answers it
    thread.join(10)  # far sooner than 30 s: the build follows the first use
    assert not thread.is_alive() and tok.ready
    assert first == tokens.get_encoding("o200k_base").encode_ordinary("the first request's prompt")


@pytest.mark.parametrize("name", ENCODINGS)
def test_first_use_builds_the_rust_core_soon_after(name: str) -> None:
    """Any encoding in use ends up on the fast path (cl100k is not warmed at start-up: its first request,
    a gpt-4 one or an embedding, is merged in Python and the core follows in the background)."""
    mine = tokens.Tokenizer(name, tokens._load_ranks(name))
    assert not mine.ready
    assert mine.encode_ordinary("a first prompt") == tokens.get_encoding(name).encode_ordinary("a first prompt")
    deadline = time.monotonic() + 10
    while not mine.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mine.ready


# ----- the parsed-ranks cache ----------------------------------------------------------------------


def test_ranks_are_cached_between_runs_and_read_back_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKLLM_CACHE_DIR", str(tmp_path))
    parsed = tokens._parse_ranks("cl100k_base")
    assert tokens._load_ranks("cl100k_base") == parsed  # parsed, then saved
    [saved] = tmp_path.iterdir()
    assert saved.name.startswith("cl100k_base-223921b76ee99bde") and saved.suffix == ".ranks"
    again = tokens._read_cached("cl100k_base")
    assert again == parsed and list(again) == list(parsed)  # rank order kept: the decode table relies on it
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_a_damaged_cache_file_is_ignored_and_written_anew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKLLM_CACHE_DIR", str(tmp_path))
    tokens._load_ranks("cl100k_base")
    [saved] = tmp_path.iterdir()
    good = saved.read_bytes()
    for damaged in (good[:-1], good[:100], good[:-10] + b"x" * 10, b"", b"not a cache"):
        saved.write_bytes(damaged)
        assert tokens._read_cached("cl100k_base") is None
        assert tokens._load_ranks("cl100k_base") == tokens._parse_ranks("cl100k_base")
        assert saved.read_bytes() == good


def test_cache_location_and_switching_it_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOCKLLM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tokens.cache_dir() == tmp_path / "xdg" / "mockllm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert tokens.cache_dir() == tmp_path / "home" / ".cache" / "mockllm"
    monkeypatch.setenv("MOCKLLM_CACHE_DIR", "off")
    assert tokens.cache_dir() is None
    assert tokens._load_ranks("cl100k_base") == tokens._parse_ranks("cl100k_base")
    assert not (tmp_path / "home").exists()


def test_an_unwritable_cache_folder_only_means_parsing_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MOCKLLM_CACHE_DIR", str(blocker / "cache"))
    assert tokens._load_ranks("cl100k_base") == tokens._parse_ranks("cl100k_base")
