"""Deterministic identifiers: ``chatcmpl-…``, ``call_…``, ``req_…``.

Ids derive from the server seed, a per-process request counter and the request's digest, so two
processes started with the same ``--seed`` and sent the same requests in the same order answer with
byte-identical ids, while two identical requests in one run still get distinct ids (as the real API's do).
"""

from __future__ import annotations

import hashlib
import itertools
import string

_ALNUM = string.ascii_letters + string.digits


def _alnum(material: bytes, length: int) -> str:
    """``length`` base-62 digits of a 512-bit hash (enough for 85 digits; we need at most 32)."""
    value = int.from_bytes(hashlib.blake2b(material, digest_size=64).digest(), "big")
    out: list[str] = []
    for _ in range(length):
        value, digit = divmod(value, 62)
        out.append(_ALNUM[digit])
    return "".join(out)


class IdFactory:
    """Mints the ids of one request from (seed, sequence number, request digest)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._counter = itertools.count()

    def for_request(self, digest: bytes) -> RequestIds:
        return RequestIds(f"{self.seed}:{next(self._counter)}:".encode() + digest, digest)


class RequestIds:
    __slots__ = ("_material", "digest")

    def __init__(self, material: bytes, digest: bytes = b"") -> None:
        self._material = material
        self.digest = digest  # the request's content digest (same for identical requests)

    def completion(self) -> str:
        return "chatcmpl-" + _alnum(self._material + b"completion", 29)

    def request(self) -> str:
        return "req_" + hashlib.blake2b(self._material + b"request", digest_size=16).hexdigest()

    def tool_call(self, choice: int, index: int) -> str:
        return "call_" + _alnum(self._material + f"call:{choice}:{index}".encode(), 24)

    def draw(self, label: str) -> float:
        """A uniform number in [0, 1) tied to this request, for seeded chaos and jitter."""
        value = hashlib.blake2b(self._material + label.encode(), digest_size=8).digest()
        return int.from_bytes(value, "big") / 2**64
