"""The ``/v1/embeddings`` answer body, written directly as bytes.

Why not ``json.dumps`` of a dict: a batch of 2,048 vectors of 1,536 floats is three million numbers,
and the generic encoder spends most of a second on them. Vectors are float32 arrays already (see
``vectors.py``); a ``base64`` answer is their little-endian bytes, base64-encoded
(PROTOCOL-embeddings.md §3.4), and a ``float`` answer writes each float32 value with 9 significant
digits, which always parses back to the same float32 (§3.5: parsing a float answer and casting to
float32 reproduces the base64 bytes). Zeros, most coordinates of a sparse vector, are written ``0.0``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from .vectors import Dense, little_endian

__all__ = ["embeddings_body", "float_text"]

_ZEROS = "0.0,"


def float_text(vector: Dense) -> str:
    """``[v0,v1,...]`` with each float32 value in a form that round-trips to it exactly.

    Built from runs: the zeros between two non-zero coordinates are one string repetition, so a sparse
    vector costs what its non-zero values cost, not what its length does."""
    values = vector.values
    parts: list[str] = []
    done = 0
    for i in vector.support:
        v = values[i]
        if not v:
            continue
        text = "%.9g" % v  # noqa: UP031 - %-formatting is the fastest exact float32 form here
        if "." not in text and "e" not in text:
            text += ".0"  # 1 -> 1.0: still a float to clients
        parts.append(_ZEROS * (i - done))
        parts.append(text + ",")
        done = i + 1
    parts.append(_ZEROS * (len(values) - done))
    return "[" + "".join(parts)[:-1] + "]"


def embeddings_body(
    vectors: Sequence[Dense],
    *,
    model: str,
    prompt_tokens: int,
    encoding_format: str,
    style: str = "openai",
) -> bytes:
    """The 200 body: ``{"object": "list", "data": [...], "model", "usage"}`` (SiliconFlow: no ``object``
    and ``completion_tokens: 0``, PROTOCOL-embeddings.md §5). Assembled as bytes in one join."""
    usage: dict[str, Any]
    if style == "siliconflow":
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 0, "total_tokens": prompt_tokens}
        parts = [b'{"data":[']
    else:
        usage = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
        parts = [b'{"object":"list","data":[']
    b64 = encoding_format == "base64"
    for index, vector in enumerate(vectors):
        parts.append(b'{"object":"embedding","index":%d,"embedding":' % index if index == 0 else
                     b',{"object":"embedding","index":%d,"embedding":' % index)  # fmt: skip
        if b64:
            parts.append(b'"' + base64.b64encode(little_endian(vector.values)) + b'"}')
        else:
            parts.append(float_text(vector).encode("ascii") + b"}")
    tail = f'],"model":{json.dumps(model, ensure_ascii=False)},"usage":{json.dumps(usage)}}}'
    parts.append(tail.encode())
    return b"".join(parts)
