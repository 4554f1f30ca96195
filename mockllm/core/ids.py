"""Deterministic identifiers: ``chatcmpl-…``, ``call_…``, ``req_…``, ``resp_…`` and the Responses items'.

Ids derive from the server seed, a per-process request counter and the request's digest, so two
processes started with the same ``--seed`` and sent the same requests in the same order answer with
byte-identical ids, while two identical requests in one run still get distinct ids (as the real API's do).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import string

_ALNUM = string.ascii_letters + string.digits


#: Byte -> alphanumeric character. ``bytes.translate`` maps a whole hash in one C call, which matters on
#: the hot path (every answer has an id); the slight skew of ``256 mod 62`` is irrelevant for ids.
_TABLE = bytes(ord(_ALNUM[b % 62]) for b in range(256))


def _alnum(material: bytes, length: int) -> str:
    """``length`` (at most 64) alphanumerics drawn from a hash of ``material``."""
    return hashlib.blake2b(material, digest_size=length).digest().translate(_TABLE).decode("ascii")


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

    def item(self, prefix: str, label: str = "") -> str:
        """A Responses-API id: ``resp_``, ``msg_``, ``fc_``, ``rs_`` + 50 hex digits (PROTOCOL-responses §5)."""
        return (
            f"{prefix}_"
            + hashlib.blake2b(self._material + f"item:{prefix}:{label}".encode(), digest_size=25).hexdigest()
        )

    def request(self) -> str:
        return "req_" + hashlib.blake2b(self._material + b"request", digest_size=16).hexdigest()

    def tool_call(self, choice: int, index: int) -> str:
        return "call_" + _alnum(self._material + f"call:{choice}:{index}".encode(), 24)

    def content_draw(self, label: str) -> float:
        """Like :meth:`draw`, but the same for every identical request (not tied to the sequence number)."""
        value = hashlib.blake2b(self.digest + label.encode(), digest_size=8).digest()
        return int.from_bytes(value, "big") / 2**64

    def draw(self, label: str) -> float:
        """A uniform number in [0, 1) tied to this request, for seeded chaos and jitter."""
        value = hashlib.blake2b(self._material + label.encode(), digest_size=8).digest()
        return int.from_bytes(value, "big") / 2**64


def random_request_id() -> str:
    """A ``req_`` id for answers the seeded pipeline never saw (unknown routes, 413, the models routes,
    internal errors): nothing to derive it from, and it only has to be unique."""
    return "req_" + os.urandom(16).hex()
