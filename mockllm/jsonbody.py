"""Request bodies parsed as JSON, not as Python's superset of it.

Python's :func:`json.loads` accepts ``NaN``/``Infinity``/``-Infinity``, turns a lone surrogate escape
(``"\\ud800"``) into a string no encoder can write back, and fails deep inside the C scanner with a
``RecursionError`` on pathological nesting. Each of these used to travel past the parser and end as a
500 somewhere downstream (tokenising, the journal, a recursive validator). :func:`loads_strict` refuses
all three at the door, so the caller answers them like any other body that is not JSON: OpenAI's
"We could not parse the JSON body of your request" 400.

The extra checks cost nothing on ordinary bodies: a tree walk runs only when the raw bytes could hold
a deep structure (more than :data:`MAX_DEPTH` brackets) or a surrogate (``\\uD800``-``\\uDFFF`` escaped, or
UTF-8-encoded, which Python's json also lets through).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "NotJson", "loads_strict"]

#: Deepest nesting of arrays/objects accepted. Far beyond any real request (a JSON schema nests a few
#: dozen levels at most) and far below Python's recursion limit, so the recursive code that reads a
#: request (validators, the schema checker, the journal) never meets a RecursionError.
MAX_DEPTH = 128

# A surrogate written as an escape, or as the bytes UTF-8 would give it (Python's json decodes bytes with
# "surrogatepass", so ED A0 80 arrives as a lone U+D800 just like the escape does).
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


class NotJson(ValueError):
    """The body is not JSON as RFC 8259 defines it (the message says why, for logs and the admin API)."""


def _refuse_constant(name: str) -> Any:
    raise NotJson(f"{name} is not a JSON value")


def loads_strict(data: bytes | str, **kwargs: Any) -> Any:
    """Parse ``data`` as strict JSON; raise :class:`NotJson` (a ``ValueError``) for anything else.

    Refused beyond what :func:`json.loads` refuses: the non-finite literals, nesting deeper than
    :data:`MAX_DEPTH`, and strings or keys holding a lone surrogate. Invalid UTF-8 stays a
    ``UnicodeDecodeError`` (also a ``ValueError``). ``kwargs`` go to :func:`json.loads`.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        value = json.loads(data, parse_constant=_refuse_constant, **kwargs)
    except RecursionError:
        raise NotJson(f"nesting deeper than {MAX_DEPTH} levels") from None
    deep = raw.count(b"[") + raw.count(b"{") > MAX_DEPTH
    surrogates = (
        isinstance(data, str)
        or _SURROGATE.search(raw) is not None
        or json.detect_encoding(raw) != "utf-8"  # UTF-16/32 (json reads them): surrogates look different
    )
    if deep or surrogates:
        _check_tree(value, surrogates)
    return value


def _check_tree(value: Any, surrogates: bool) -> None:
    """Walk ``value`` without recursion: depth bound, and (if asked) no string with a lone surrogate
    (json decodes a valid escaped pair to one code point, so any surrogate left is a lone one)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth >= MAX_DEPTH:
                raise NotJson(f"nesting deeper than {MAX_DEPTH} levels")
            for key, child in item.items():
                if surrogates and _lone_surrogate(key):
                    raise NotJson("a key holds a lone surrogate (invalid Unicode)")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth >= MAX_DEPTH:
                raise NotJson(f"nesting deeper than {MAX_DEPTH} levels")
            stack.extend((child, depth + 1) for child in item)
        elif surrogates and isinstance(item, str) and _lone_surrogate(item):
            raise NotJson("a string holds a lone surrogate (invalid Unicode)")


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
