"""Tokenizers, offline, and OpenAI's prompt-token formula.

``tiktoken`` ships no encoding files and downloads them on first use, which a mock must never do. The
``bpe-openai`` package carries gzipped copies of ``o200k_base`` and ``cl100k_base``; we decompress them,
check them against the sha256 tiktoken itself expects, and build ``tiktoken.Encoding`` objects with the
same regex and special tokens as ``tiktoken_ext.openai_public``. The result is the real tokenizer,
byte for byte, with no network at any time.

Encodings load lazily, once per process (each takes a fraction of a second); ``warm()`` lets the server
load them in a background thread at start-up so the first request does not pay for it.
"""

from __future__ import annotations

import binascii
import hashlib
import importlib.util
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import tiktoken

from .conversation import Conversation, Message, ToolSpec

__all__ = ["count_prompt_tokens", "count_tools_tokens", "encode", "get_encoding", "warm"]

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
_encodings: dict[str, tiktoken.Encoding] = {}


class TokenizerUnavailable(RuntimeError):
    """The bundled encoding data is missing or corrupt: a packaging problem, never a user error."""


def _load_ranks(name: str) -> dict[bytes, int]:
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
    # "<base64 token> <rank>" per line: one split of the whole file, then the pairs (15% faster than line by
    # line, and this is on the first request's critical path).
    parts = raw.split()
    return dict(zip(map(binascii.a2b_base64, parts[0::2]), map(int, parts[1::2]), strict=True))


def get_encoding(name: str) -> tiktoken.Encoding:
    """The named encoding (``o200k_base`` or ``cl100k_base``), built once per process."""
    enc = _encodings.get(name)
    if enc is not None:
        return enc
    if name not in _PATTERNS:
        raise TokenizerUnavailable(f"unknown encoding {name!r}")
    with _lock:
        enc = _encodings.get(name)
        if enc is None:
            enc = tiktoken.Encoding(
                name=name,
                pat_str=_PATTERNS[name],
                mergeable_ranks=_load_ranks(name),
                special_tokens=_SPECIALS[name],
            )
            # The Rust core keeps its own copy of the ranks; tiktoken holds the Python dict only to pickle
            # the encoding, which we never do. Dropping it gives back ~30 MB per encoding.
            enc._mergeable_ranks = {}
            _encodings[name] = enc
    return enc


def warm(
    names: Iterable[str] = ("o200k_base",), *, also: Iterable[Callable[[], object]] = (), also_after_s: float = 0.0
) -> threading.Thread:
    """Load encodings in a daemon thread, so start-up returns at once and the first request rarely waits.

    Only ``o200k_base`` by default: it serves every current model (and other vendors' models, as an
    approximation). ``cl100k_base`` (gpt-4, gpt-3.5) costs ~35 MB and loads on its first use instead.
    ``also`` are other slow first uses (Faker, for JSON-schema answers), run ``also_after_s`` seconds after
    the tokenizer is ready: they hold the GIL for ~100 ms, which a first request arriving right after
    start-up (a test suite's) should not wait behind, since it needs only the tokenizer.
    """
    names, also = tuple(names), tuple(also)

    def run() -> None:
        for name in names:
            get_encoding(name)
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
    return tuple(get_encoding(encoding).encode_ordinary(text))


def encode(text: str, encoding: str) -> list[int]:
    """Tokens of ``text`` as plain text: special-token strings in user text are ordinary characters."""
    if len(text) <= _ENCODE_CACHE_CHARS:
        return list(_encode_cached(text, encoding))
    return get_encoding(encoding).encode_ordinary(text)


@lru_cache(maxsize=8192)
def _count_cached(text: str, encoding: str) -> int:
    return len(get_encoding(encoding).encode_ordinary(text))


def count(text: str, encoding: str) -> int:
    """Token count of ``text``, memoised for texts up to 8 KB (system prompts and history repeat across
    the requests of a conversation; the count of a string never changes)."""
    if not text:
        return 0
    if len(text) <= _ENCODE_CACHE_CHARS:
        return _count_cached(text, encoding)
    return len(get_encoding(encoding).encode_ordinary(text))


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
    return get_encoding(encoding).decode_bytes(list(tokens))


class _TokenBytes(dict[int, bytes]):
    """token -> its bytes, filled on first sight. A dict lookup is ~20x cheaper than a call into the
    tokenizer, and a server only ever sees a few thousand distinct tokens."""

    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._decode = get_encoding(encoding).decode_single_token_bytes

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
