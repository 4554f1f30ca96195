"""Tokenizers, offline, and OpenAI's prompt-token formula.

``tiktoken`` ships no encoding files and downloads them on first use, which a mock must never do. The
``bpe-openai`` package carries gzipped copies of ``o200k_base`` and ``cl100k_base``; we decompress them,
check them against the sha256 tiktoken itself expects, and build ``tiktoken.Encoding`` objects with the
same regex and special tokens as ``tiktoken_ext.openai_public``. The result is the real tokenizer,
byte for byte, with no network at any time.

Encodings load lazily, once per process. Reading the ranks takes ~60 ms; building tiktoken's Rust core
from them another ~100 ms, holding the GIL. So a :class:`Tokenizer` answers from the ranks at once, with
the same byte-pair merge in Python, and the Rust core takes over when ``warm()`` builds it a moment after
start-up (or at once, for a long text): a first request pays for the ranks only.
"""

from __future__ import annotations

import binascii
import contextlib
import hashlib
import importlib.util
import marshal
import os
import threading
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import regex
import tiktoken

from .conversation import Conversation, Message, ToolSpec

__all__ = ["Tokenizer", "count_prompt_tokens", "count_tools_tokens", "encode", "get_encoding", "tokenizer", "warm"]

_EXPECTED_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

# The split patterns and special tokens of tiktoken_ext/openai_public.py (tiktoken 0.7+). We cannot call
# those constructors because they download the rank files; the patterns themselves are plain data.
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_CL100K_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""  # noqa: E501
_SPECIALS = {
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
}
_PATTERNS = {"o200k_base": _O200K_PAT, "cl100k_base": _CL100K_PAT}

_lock = threading.Lock()
_tokenizers: dict[str, Tokenizer] = {}

#: The Python merge serves texts up to this many characters and pieces up to this many bytes; anything
#: longer builds tiktoken's Rust core at once (its merge is quadratic in the piece, and a long text is
#: where Rust's speed pays for its build).
_PY_TEXT_CHARS = 4096
_PY_PIECE_BYTES = 256
#: The ``regex`` module may know a newer Unicode than the tables of tiktoken's Rust core (regex 2026.12 has
#: Unicode 17, tiktoken 0.14 Unicode 16): a character assigned only in the newer one is a letter to one and
#: unassigned to the other, and the text splits differently. So the Python merge takes only texts whose
#: every character Python's own ``unicodedata`` knows (Unicode 14 to 16, by Python version; every such
#: character was checked to split alike in both encodings), and none at all past Unicode 16.
_UNICODE_KNOWN_TO_BOTH = tuple(int(part) for part in unicodedata.unidata_version.split(".")) <= (16, 0, 0)

#: How long after the first use of the Python merge the Rust core is built (by ``Tokenizer._first_use``'s
#: thread, or ``warm``'s): time for that request to finish (its shaping and writing take a few
#: milliseconds), not for a second one to come.
_BUILD_AFTER_USE_S = 0.05


class TokenizerUnavailable(RuntimeError):
    """The bundled encoding data is missing or corrupt: a packaging problem, never a user error."""


_RANK_COUNTS = {"o200k_base": 199_998, "cl100k_base": 100_256}
_CACHE_MAGIC = b"mockllm-ranks/1\n"


def cache_dir() -> Path | None:
    """Where parsed ranks are kept between runs: ``$MOCKLLM_CACHE_DIR`` (``off`` for nowhere), else
    ``$XDG_CACHE_HOME/mockllm``, else ``~/.cache/mockllm``."""
    chosen = os.environ.get("MOCKLLM_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mockllm"


def _cache_file(name: str) -> Path | None:
    folder = cache_dir()
    # The file's name carries the source's sha256 and the marshal format: another bpe-openai or Python
    # reads a file of its own rather than a stale one.
    return None if folder is None else folder / f"{name}-{_EXPECTED_SHA256[name][:16]}-m{marshal.version}.ranks"


def _read_cached(name: str) -> dict[bytes, int] | None:
    """The ranks as a previous run saved them, or None. The file is trusted no further than its digest:
    a torn, truncated or edited file is ignored (and written anew)."""
    path = _cache_file(name)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_CACHE_MAGIC)
    payload = memoryview(data)[head + 32 :]
    if not data.startswith(_CACHE_MAGIC) or hashlib.sha256(payload).digest() != data[head : head + 32]:
        return None
    try:
        ranks = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):  # pragma: no cover - the digest matched: never seen
        return None
    if type(ranks) is not dict or len(ranks) != _RANK_COUNTS[name] or next(iter(ranks.values())) != 0:
        return None  # pragma: no cover - the digest matched: never seen
    return ranks


def _write_cached(name: str, ranks: dict[bytes, int]) -> None:
    """Save parsed ranks for the next run (~45 ms off its start), atomically; a read-only or full disk
    only means the next run parses again."""
    path = _cache_file(name)
    if path is None:
        return
    payload = marshal.dumps(ranks)
    temp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(_CACHE_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(temp, path)
    except OSError:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)


def _load_ranks(name: str) -> dict[bytes, int]:
    """The ranks of ``name``: token bytes -> rank, in rank order (``Tokenizer`` relies on that order).

    Parsed from bpe-openai's file (~70 ms) the first time, then read from the cache (~25 ms; marshal, the
    format of Python's own ``.pyc`` files, never pickle)."""
    cached = _read_cached(name)
    if cached is not None:
        return cached
    ranks = _parse_ranks(name)
    _write_cached(name, ranks)
    return ranks


def _parse_ranks(name: str) -> dict[bytes, int]:
    # find_spec locates the package without importing it: importing bpe_openai loads its 75 MB Rust
    # extension, which would triple our cold start for data we only read.
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or spec.origin is None:  # pragma: no cover - packaging failure
        raise TokenizerUnavailable("the bpe-openai package (which carries the encoding files) is not installed")
    path = Path(spec.origin).parent / "data" / f"{name}.tiktoken.gz"
    try:
        raw = zlib.decompress(path.read_bytes(), 31)
    except (FileNotFoundError, OSError, zlib.error) as exc:  # pragma: no cover - packaging failure
        raise TokenizerUnavailable(f"encoding data for {name} not found in bpe-openai: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != _EXPECTED_SHA256[name]:  # pragma: no cover - packaging failure
        raise TokenizerUnavailable(f"{name}: sha256 {digest} differs from tiktoken's expected hash")
    # "<base64 token> <rank>" per line, in rank order from 0 without a gap (the sha256 above pins the file,
    # and a test checks the ranks): one split of the whole file, and the ranks counted rather than parsed,
    # since this is on the first request's critical path.
    parts = raw.split()
    return dict(zip(map(binascii.a2b_base64, parts[0::2]), range(len(parts) // 2), strict=True))


class Tokenizer:
    """One encoding, exact from its first use, and fast once tiktoken's Rust core is built.

    Building that core takes ~100 ms during which it holds the GIL, more than the rest of start-up, and a
    first request would wait for it. Until it is built (in the background, after start-up, or at once for
    a long text), this class encodes with the same byte-pair merge in Python: the same split pattern
    (through the ``regex`` module, which reads tiktoken's patterns as fancy-regex does), the whole piece
    looked up first, then the lowest-ranked adjacent pair merged, leftmost first, until none is in the
    vocabulary. The tokens are tiktoken's, exactly (a test compares the two over thousands of texts);
    only the speed differs, and the texts of a start-up (prompts, short replies) are small.
    """

    def __init__(self, name: str, ranks: dict[bytes, int], *, build_on_use: bool = True) -> None:
        self.name = name
        self._ranks: dict[bytes, int] | None = ranks
        self._split = regex.compile(_PATTERNS[name]).findall
        self._special_ids = {rank: token.encode() for token, rank in _SPECIALS[name].items()}
        self.n_vocab = max(len(ranks), *(rank + 1 for rank in self._special_ids))
        self.special_tokens_set = frozenset(_SPECIALS[name])
        self._by_rank: list[bytes] | None = None
        self._rust: tiktoken.Encoding | None = None
        #: Set by the first text the Python merge encodes: the Rust core is built just after it (in a
        #: thread of its own; ``warm`` waits on this too), so every encoding in use ends up on the fast path.
        self.used = threading.Event()
        self._build_on_use = build_on_use
        self._use_lock = threading.Lock()

    # -- the Rust core ------------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Whether tiktoken's Rust core serves this encoding yet."""
        return self._rust is not None

    def encoding(self) -> tiktoken.Encoding:
        """tiktoken's ``Encoding``, built now if it is not yet (~100 ms, once)."""
        rust = self._rust
        if rust is not None:
            return rust
        with _lock:
            if self._rust is None:
                ranks = self._ranks
                assert ranks is not None
                enc = tiktoken.Encoding(
                    name=self.name,
                    pat_str=_PATTERNS[self.name],
                    mergeable_ranks=ranks,
                    special_tokens=_SPECIALS[self.name],
                )
                # The Rust core keeps its own copy of the ranks; tiktoken holds the Python dict only to pickle
                # the encoding, which we never do. Dropping both gives back ~30 MB per encoding; a Python
                # merge still running holds its own reference until it ends.
                enc._mergeable_ranks = {}
                self._rust = enc
                self._ranks = self._by_rank = None
            return self._rust

    # -- what the rest of mockllm calls -------------------------------------------------------------

    def encode_ordinary(self, text: str) -> list[int]:
        """Tokens of ``text``; special-token strings are ordinary text (tiktoken's ``encode_ordinary``)."""
        rust = self._rust
        ranks = self._ranks
        if rust is not None or ranks is None or len(text) > _PY_TEXT_CHARS or not _splits_alike(text):
            return self.encoding().encode_ordinary(text)
        if not self.used.is_set():
            self._first_use()
        try:
            data = [piece.encode("utf-8") for piece in self._split(text)]
        except UnicodeEncodeError:  # lone surrogates: replaced, as tiktoken does
            text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
            data = [piece.encode("utf-8") for piece in self._split(text)]
        out: list[int] = []
        for piece in data:
            rank = ranks.get(piece)
            if rank is not None:
                out.append(rank)
            elif len(piece) > _PY_PIECE_BYTES:
                return self.encoding().encode_ordinary(text)
            else:
                out.extend(_merge(piece, ranks))
        return out

    def _first_use(self) -> None:
        with self._use_lock:
            if self.used.is_set():
                return
            self.used.set()
        if self._build_on_use:
            threading.Thread(target=self._build_soon, name=f"mockllm-{self.name}", daemon=True).start()

    def _build_soon(self) -> None:
        time.sleep(_BUILD_AFTER_USE_S)  # let the request that used it finish first
        self.encoding()

    def decode_single_token_bytes(self, token: int) -> bytes:
        table = self._by_rank or self._table()
        if table is None:
            return self.encoding().decode_single_token_bytes(token)
        if 0 <= token < len(table):
            return table[token]
        if token in self._special_ids:
            return self._special_ids[token]
        if not 0 <= token < 2**32:
            raise OverflowError(f"token {token} is not a 32-bit rank")  # as tiktoken's Rust conversion does
        raise KeyError(token)

    def decode_bytes(self, tokens: Sequence[int]) -> bytes:
        rust = self._rust
        if rust is not None:
            return rust.decode_bytes(list(tokens))
        return b"".join(map(self.decode_single_token_bytes, tokens))

    def _table(self) -> list[bytes] | None:
        """Rank -> token bytes while the Python merge serves (None once the Rust core does)."""
        with _lock:  # not beside a build that is dropping the ranks: the table would outlive them
            ranks = self._ranks
            if ranks is None or self._rust is not None:
                return None
            table = self._by_rank = list(ranks)  # insertion order is rank order (see _load_ranks)
        return table


def _splits_alike(text: str) -> bool:
    """Whether the ``regex`` module splits ``text`` as tiktoken's Rust core does (see _UNICODE_KNOWN_TO_BOTH)."""
    if text.isascii():
        return True
    if not _UNICODE_KNOWN_TO_BOTH:
        return False
    category = unicodedata.category
    return all(category(char) != "Cn" for char in text if char > "\x7f")


def _merge(piece: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Byte-pair merge of one piece not in the vocabulary whole: merge the adjacent pair of lowest rank
    (the leftmost of equals) until no adjacent pair is a token."""
    parts = [piece[i : i + 1] for i in range(len(piece))]
    get = ranks.get
    while len(parts) > 1:
        best_rank = -1
        best_at = -1
        for at in range(len(parts) - 1):
            rank = get(parts[at] + parts[at + 1])
            if rank is not None and (best_at < 0 or rank < best_rank):
                best_rank, best_at = rank, at
        if best_at < 0:
            break
        parts[best_at : best_at + 2] = [parts[best_at] + parts[best_at + 1]]
    return [ranks[part] for part in parts]


def tokenizer(name: str) -> Tokenizer:
    """The named encoding (``o200k_base`` or ``cl100k_base``), its ranks read once per process."""
    tok = _tokenizers.get(name)
    if tok is not None:
        return tok
    if name not in _PATTERNS:
        raise TokenizerUnavailable(f"unknown encoding {name!r}")
    with _lock:
        tok = _tokenizers.get(name)
        if tok is None:
            tok = _tokenizers[name] = Tokenizer(name, _load_ranks(name))
    return tok


def get_encoding(name: str) -> tiktoken.Encoding:
    """tiktoken's ``Encoding`` of ``name``, with its Rust core built (for callers that want tiktoken itself)."""
    return tokenizer(name).encoding()


def warm(
    names: Iterable[str] = ("o200k_base",),
    *,
    also: Iterable[Callable[[], object]] = (),
    also_after_s: float = 0.0,
) -> threading.Thread:
    """Load encodings in a daemon thread, so start-up returns at once and the first request rarely waits.

    Only ``o200k_base`` by default: it serves every current model (and other vendors' models, as an
    approximation). ``cl100k_base`` (gpt-4, gpt-3.5) costs ~35 MB and loads on its first use instead.
    The ranks are read first (~60 ms), which is all the Python merge needs. Then come the slow steps that
    hold the GIL for ~100 ms each, which a first request arriving right after start-up (a test suite's)
    should not wait behind. tiktoken's Rust core is built just after the first request has used the
    Python merge (its answer is out by then; see :meth:`Tokenizer._first_use`, which does the same for an
    encoding not warmed here), or ``also_after_s`` after start-up if none comes; so a load
    that follows a first request does not hold the ranks, the core and its own memory all at once. The
    ``also`` steps (Faker, for JSON-schema answers) run ``also_after_s`` later still. With ``also_after_s``
    0 everything is built at once.
    """
    names, also = tuple(names), tuple(also)

    def run() -> None:
        loaded = [tokenizer(name) for name in names]
        if also_after_s > 0 and loaded and loaded[0].used.wait(also_after_s):
            time.sleep(_BUILD_AFTER_USE_S)
        for tok in loaded:
            tok.encoding()
        if also and also_after_s > 0:
            time.sleep(also_after_s)
        for step in also:
            step()

    thread = threading.Thread(target=run, name="mockllm-tokenizers", daemon=True)
    thread.start()
    return thread


#: Texts up to this many characters are memoised by :func:`encode`. A mock answers the same texts over and
#: over (fixture replies, the generator's answer to a repeated request, system prompts), and BPE is the
#: single most expensive step of a request; the cache is bounded (entries x size) so memory stays flat.
_ENCODE_CACHE_CHARS = 8192


@lru_cache(maxsize=2048)
def _encode_cached(text: str, encoding: str) -> tuple[int, ...]:
    return tuple(tokenizer(encoding).encode_ordinary(text))


def encode(text: str, encoding: str) -> list[int]:
    """Tokens of ``text`` as plain text: special-token strings in user text are ordinary characters."""
    if len(text) <= _ENCODE_CACHE_CHARS:
        return list(_encode_cached(text, encoding))
    return tokenizer(encoding).encode_ordinary(text)


@lru_cache(maxsize=8192)
def _count_cached(text: str, encoding: str) -> int:
    return len(tokenizer(encoding).encode_ordinary(text))


def count(text: str, encoding: str) -> int:
    """Token count of ``text``, memoised for texts up to 8 KB (system prompts and history repeat across
    the requests of a conversation; the count of a string never changes)."""
    if not text:
        return 0
    if len(text) <= _ENCODE_CACHE_CHARS:
        return _count_cached(text, encoding)
    return len(tokenizer(encoding).encode_ordinary(text))


# ----- OpenAI's counting recipe (openai-cookbook, PROTOCOL.md §8) -----------------------------------

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


def count_message_tokens(message: Message, encoding: str) -> int:
    """Tokens one message adds: 3 + each string field encoded, +1 for a ``name``.

    Images and audio are charged separately (``vision.py``); only text parts are encoded here. Tool
    calls on assistant messages are charged as the function names and argument text they carry, the
    closest public approximation of how OpenAI bills them.
    """
    total = TOKENS_PER_MESSAGE + count(message.role, encoding) + count(message.text, encoding)
    if message.name is not None:
        total += count(message.name, encoding) + TOKENS_PER_NAME
    if message.tool_call_id is not None:
        total += count(message.tool_call_id, encoding)
    if message.tool_calls:
        for call in message.tool_calls:
            function = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(function, Mapping):
                total += count(str(function.get("name", "")), encoding)
                total += count(str(function.get("arguments", "")), encoding)
    return total


def count_tools_tokens(tools: Sequence[ToolSpec], encoding: str) -> int:
    """The cookbook's function-definition formula (gpt-4o constants; gpt-4/3.5 use func_init 10)."""
    if not tools:
        return 0
    func_init = 7 if encoding == "o200k_base" else 10
    prop_init, prop_key, enum_init, enum_item, func_end = 3, 3, -3, 3, 12
    total = 0
    for tool in tools:
        total += func_init
        desc = (tool.description or "").removesuffix(".")
        total += count(f"{tool.name}:{desc}", encoding)
        properties = (tool.parameters or {}).get("properties")
        if isinstance(properties, Mapping) and properties:
            total += prop_init
            for key, spec in properties.items():
                total += prop_key
                spec = spec if isinstance(spec, Mapping) else {}
                enum = spec.get("enum")
                if isinstance(enum, list):
                    total += enum_init
                    for item in enum:
                        total += enum_item + count(str(item), encoding)
                p_type = spec.get("type", "")
                p_type = "|".join(map(str, p_type)) if isinstance(p_type, list) else str(p_type)
                p_desc = str(spec.get("description", "")).removesuffix(".")
                total += count(f"{key}:{p_type}:{p_desc}", encoding)
    return total + func_end


def count_text_prompt_tokens(request: Conversation, encoding: str) -> int:
    """Prompt tokens for the text of a request: messages, reply priming and tool definitions."""
    total = REPLY_PRIMING
    for message in request.messages:
        total += count_message_tokens(message, encoding)
    return total + count_tools_tokens(request.tools + request.functions, encoding)


def count_prompt_tokens(request: Conversation, encoding: str) -> int:
    """Alias kept for readers looking for the obvious name; media tokens are added by the caller."""
    return count_text_prompt_tokens(request, encoding)


def decode_bytes(tokens: Sequence[int], encoding: str) -> bytes:
    return tokenizer(encoding).decode_bytes(list(tokens))


class _TokenBytes(dict[int, bytes]):
    """token -> its bytes, filled on first sight. A dict lookup is ~20x cheaper than a call into the
    tokenizer, and a server only ever sees a few thousand distinct tokens."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._decode = tokenizer(encoding).decode_single_token_bytes

    def __missing__(self, token: int) -> bytes:
        data = self[token] = self._decode(token)
        return data


_token_bytes: dict[str, _TokenBytes] = {}


def token_byte_pieces(tokens: Sequence[int], encoding: str) -> list[bytes]:
    """The bytes of each token (a token may end inside a multi-byte character)."""
    table = _token_bytes.get(encoding)
    if table is None:
        table = _token_bytes[encoding] = _TokenBytes(encoding)
    return [table[t] for t in tokens]


def stream_pieces(token_list: list[int], encoding: str, per_chunk: int) -> tuple[list[str], list[int]]:
    """Split tokens into text pieces of ``per_chunk`` tokens, never splitting a UTF-8 character: what every
    API's stream sends as its deltas (chat chunks, Responses and Messages delta events).

    Returns the pieces and the number of tokens each carries. A token that ends inside a multi-byte
    character is carried into the next piece, as OpenAI's own streams do; trailing bytes that never
    complete are dropped, matching ``shaping.safe_text``. The bytes of every token come from one call
    into the tokenizer, which is what keeps long streams cheap.
    """
    raw = token_byte_pieces(token_list, encoding)
    if per_chunk == 1:
        try:  # the common case: every token is whole characters
            return [piece.decode("utf-8") for piece in raw], [1] * len(raw)
        except UnicodeDecodeError:
            pass
    counts_in = [1] * len(raw)
    if per_chunk > 1:
        raw = [b"".join(raw[i : i + per_chunk]) for i in range(0, len(raw), per_chunk)]
        counts_in = [min(per_chunk, len(token_list) - i) for i in range(0, len(token_list), per_chunk)]
    texts: list[str] = []
    counts: list[int] = []
    pending = b""
    carried = 0
    for data, count in zip(raw, counts_in, strict=True):
        if pending:
            data = pending + data
            count += carried
            pending, carried = b"", 0
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            if exc.reason != "unexpected end of data":
                pending, carried = data, count  # invalid mid-sequence: wait for more bytes
                continue
            if exc.start == 0:
                pending, carried = data, count
                continue
            texts.append(data[: exc.start].decode("utf-8"))
            pending, carried = data[exc.start :], 0
        counts.append(count)
    if carried:
        if counts:
            counts[-1] += carried
        else:
            texts.append("")
            counts.append(carried)
    return texts, counts
