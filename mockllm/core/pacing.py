"""Latency schedules for streams: when each event of a plan is due, computed up front and seeded.

Delays are a pure function of the plan, the pacing settings and a per-request draw function, so two runs
with the same seed pace identically and the HTTP layer only sleeps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

_TOKEN_KINDS = frozenset(("content", "reasoning", "refusal", "tool"))


@dataclass(frozen=True, slots=True)
class PacingSettings:
    ttft_ms: float
    tokens_per_second: float
    jitter: float = 0.0  # relative, 0.1 = ±10 %


def schedule(
    kinds: Sequence[str], token_counts: Sequence[int], pacing: PacingSettings, draw: Callable[[str], float]
) -> list[float]:
    """Seconds to wait *before* each event (see :func:`iter_schedule`)."""
    return list(iter_schedule(kinds, token_counts, pacing, draw))


def iter_schedule(
    kinds: Sequence[str], token_counts: Sequence[int], pacing: PacingSettings, draw: Callable[[str], float]
) -> Iterator[float]:
    """Seconds to wait *before* each event, one at a time (a paced stream holds no list of delays).

    The role chunk waits the time to first token and the first token-carrying chunk goes with it (time
    to first token means the first *token*, which is what clients measure); each later event waits
    ``tokens / tokens_per_second``; finish, usage and ``[DONE]`` follow at once, as on the real API.
    """
    per_token = 1.0 / pacing.tokens_per_second if pacing.tokens_per_second > 0 else 0.0
    first_token = True
    for i, (kind, count) in enumerate(zip(kinds, token_counts, strict=True)):
        if i == 0:
            base = pacing.ttft_ms / 1000.0
        elif kind in _TOKEN_KINDS and count:
            base = 0.0 if first_token else per_token * count
            first_token = False
        else:
            base = 0.0
        if base and pacing.jitter:
            base *= 1.0 + pacing.jitter * (2.0 * draw(f"jitter:{i}") - 1.0)
        yield max(base, 0.0)
