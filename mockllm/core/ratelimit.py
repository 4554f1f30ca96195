"""Rate limits as OpenAI applies them: requests and tokens per minute, per API key, continuously refilled.

Each key has two token buckets (capacity = the per-minute limit, refilled at limit/60 per second). A request
is admitted when both buckets hold what it needs; every answer reports a :class:`RateState` (the true
remaining amounts and the time until each bucket is full again), which each API spells in its own
headers: OpenAI's ``x-ratelimit-*`` with durations in Go's format (``120ms``, ``2.572s``, ``6m0s``),
Anthropic's ``anthropic-ratelimit-*`` with RFC 3339 times. Without ``--rpm``/``--tpm`` the buckets are
nominal (10,000 RPM, 30M TPM), tracked for the headers but never enforced. The clock is injected, so the
arithmetic is testable without sleeping.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from .errors import ApiError

NOMINAL_RPM = 10_000
NOMINAL_TPM = 30_000_000


def go_duration(seconds: float) -> str:
    """OpenAI's reset format: ``0s``, ``17ms``, ``2.572s``, ``6m0s``, ``1h2m3s``.

    The unit is chosen after rounding, so a value just under a boundary carries into the next unit
    (0.9996 s is ``1s``, never ``1000ms``; 59.9996 s is ``1m0s``, never ``60s``) like Go's own output.
    """
    if seconds <= 0:
        return "0s"
    millis = round(seconds * 1000)
    if millis < 1000:
        return f"{max(1, millis)}ms"
    if millis < 60_000:
        text = f"{millis / 1000:.3f}".rstrip("0").rstrip(".")
        return f"{text}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{hours}h" if hours else "") + f"{minutes}m{secs}s"


@dataclass(frozen=True, slots=True)
class RateState:
    """What a key's buckets hold as an answer leaves, for the API to spell in its headers. ``wait_s`` is set
    on a refusal that waiting can cure: how long until the refused request would pass."""

    requests_limit: int
    requests_left: int
    requests_reset_s: float
    tokens_limit: int
    tokens_left: int
    tokens_reset_s: float
    wait_s: float | None = None


@dataclass(slots=True)
class Bucket:
    capacity: float
    level: float
    updated: float

    def refill(self, now: float) -> None:
        rate = self.capacity / 60.0
        self.level = min(self.capacity, self.level + (now - self.updated) * rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until ``amount`` is available (0 if it is)."""
        if self.level >= amount:
            return 0.0
        return (amount - self.level) / (self.capacity / 60.0)

    def until_full(self) -> float:
        return (self.capacity - self.level) / (self.capacity / 60.0)


class RateLimiter:
    """Per-key RPM/TPM buckets; bounded (oldest key evicted first, evictions counted)."""

    def __init__(self, rpm: int | None, tpm: int | None, max_keys: int = 10_000) -> None:
        self.enforce_rpm = rpm is not None
        self.enforce_tpm = tpm is not None
        self.rpm = rpm or NOMINAL_RPM
        self.tpm = tpm or NOMINAL_TPM
        self.max_keys = max_keys
        self._keys: OrderedDict[str, tuple[Bucket, Bucket]] = OrderedDict()
        self.evicted = 0

    def _buckets(self, key: str, now: float) -> tuple[Bucket, Bucket]:
        pair = self._keys.get(key)
        if pair is None:
            if len(self._keys) >= self.max_keys:
                self._keys.popitem(last=False)
                self.evicted += 1
            pair = (Bucket(self.rpm, self.rpm, now), Bucket(self.tpm, self.tpm, now))
            self._keys[key] = pair
        else:
            self._keys.move_to_end(key)
        pair[0].refill(now)
        pair[1].refill(now)
        return pair

    def admit(self, key: str | None, tokens: int, model: str, now: float) -> RateState:
        """Take one request and ``tokens`` tokens, or raise OpenAI's 429. Returns the state to report.

        A 429 carries the same state as an admitted answer (``ApiError.rate``), read from the buckets as
        they are (nothing taken): the exhausted one shows what it really holds (0 requests, or fewer tokens
        than were requested) and its true time to refill, so a client pacing itself on them stays right."""
        requests, token_bucket = self._buckets(key or "", now)
        if self.enforce_rpm and requests.level < 1:
            wait = requests.wait_for(1)
            refusal = self._refusal("requests", "requests per min (RPM)", self.rpm, model, wait, 1, requests)
            refusal.rate = self.state(requests, token_bucket, wait)
            raise refusal
        if self.enforce_tpm and token_bucket.level < tokens:
            if tokens > self.tpm:
                raise ApiError(
                    429,
                    f"Request too large for {model} in organization org-mockllm on tokens per min (TPM): Limit "
                    f"{self.tpm}, Requested {tokens}. The input or output tokens must be reduced in order to run "
                    "successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
                    type="tokens",
                    code="rate_limit_exceeded",
                    rate=self.state(requests, token_bucket),
                )
            wait = token_bucket.wait_for(tokens)
            refusal = self._refusal("tokens", "tokens per min (TPM)", self.tpm, model, wait, tokens, token_bucket)
            refusal.rate = self.state(requests, token_bucket, wait)
            raise refusal
        requests.level = max(requests.level - 1, 0.0)
        token_bucket.level = max(token_bucket.level - tokens, 0.0)
        return self.state(requests, token_bucket)

    def debit(self, key: str | None, tokens: int, now: float, *, reserved: int = 0) -> None:
        """Settle a request once answered: its ``tokens`` of completion replace the ``reserved`` output
        tokens :meth:`admit` took for it (its ``max_tokens``).

        Admission must reserve the most a request may cost (prompt + ``max_tokens``), or a burst of
        long answers would overdraw the bucket; once the completion is known the reservation is given
        back and the actual count charged, so a request costs prompt + completion exactly once, and the
        next answer's remaining tokens show what was really spent.
        """
        _, token_bucket = self._buckets(key or "", now)
        token_bucket.level = min(token_bucket.capacity, max(token_bucket.level + reserved - tokens, 0.0))

    def state(self, requests: Bucket, token_bucket: Bucket, wait: float | None = None) -> RateState:
        return RateState(
            self.rpm,
            int(requests.level),
            requests.until_full(),
            self.tpm,
            int(token_bucket.level),
            token_bucket.until_full(),
            wait,
        )

    def _refusal(
        self, kind: str, unit: str, limit: int, model: str, wait: float, requested: int, bucket: Bucket
    ) -> ApiError:
        # Rounded up, as the bucket is short of ``requested``: "Used" + "Requested" must exceed "Limit",
        # or the message contradicts itself (truncating gave "Limit 3, Used 2, Requested 1").
        # round() first, so float noise (950.0000000001) does not add one.
        used = max(math.ceil(round(limit - bucket.level, 6)), limit - requested + 1)
        wait_text = go_duration(wait)
        return ApiError(
            429,
            f"Rate limit reached for {model} in organization org-mockllm on {unit}: Limit {limit}, Used {used}, "
            f"Requested {requested}. Please try again in {wait_text}. Visit "
            "https://platform.openai.com/account/rate-limits to learn more.",
            type=kind,
            code="rate_limit_exceeded",
        )
