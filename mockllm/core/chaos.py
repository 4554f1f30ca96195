"""Seeded chaos: fail a share of requests, the same ones every run.

``--chaos "rate=0.05,kinds=rate_limit|server_error|disconnect"``: each request draws a number from its
deterministic id material (server seed, request sequence number, request digest), so the same seed and
the same requests in the same order fail identically across runs and machines.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import did_you_mean
from .faults import ERROR_PRESETS, FAULT_KINDS
from .ids import RequestIds
from .reply import ErrorSpec, FaultSpec, Reply

DEFAULT_KINDS = ("rate_limit", "server_error", "overloaded")


@dataclass(frozen=True, slots=True)
class Chaos:
    rate: float
    kinds: tuple[str, ...] = DEFAULT_KINDS

    @classmethod
    def parse(cls, text: str) -> Chaos:
        """Parse ``rate=0.05,kinds=a|b``; raises ValueError with a one-line reason."""
        rate: float | None = None
        kinds = DEFAULT_KINDS
        for item in filter(None, (p.strip() for p in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"expected key=value, got {item!r}")
            key = key.strip()
            if key == "rate":
                rate = float(value)
                if not 0 <= rate <= 1:
                    raise ValueError(f"rate must be between 0 and 1, got {value}")
            elif key == "kinds":
                kinds = tuple(k.strip() for k in value.split("|") if k.strip())
                unknown = [k for k in kinds if k not in ERROR_PRESETS and k not in FAULT_KINDS]
                if unknown or not kinds:
                    raise ValueError(f"unknown chaos kind(s): {suggest(unknown, [*ERROR_PRESETS, *FAULT_KINDS])}")
            else:
                raise ValueError(f"unknown chaos option {key!r} (use rate= and kinds=)")
        if rate is None:
            raise ValueError("chaos needs rate=, e.g. rate=0.05")
        return cls(rate, kinds)

    def draw(self, ids: RequestIds) -> Reply | None:
        """The failure for this request, or None. Which kind is a second seeded draw."""
        if self.rate <= 0 or ids.draw("chaos") >= self.rate:
            return None
        kind = self.kinds[int(ids.draw("chaos-kind") * len(self.kinds)) % len(self.kinds)]
        if kind in ERROR_PRESETS:
            return Reply(error=ErrorSpec(preset=kind), source=f"chaos:{kind}")
        return Reply(fault=FaultSpec(kind=kind, after_chunks=3), source=f"chaos:{kind}")

    def describe(self) -> str:
        return f"rate={self.rate:g} kinds={'|'.join(self.kinds)}"


def suggest(unknown: list[str], known: list[str]) -> str:
    """``a (did you mean 'b'?), c``: the unknown names, each with its closest known one."""
    if not unknown:
        return "(none)"
    return ", ".join(name + did_you_mean(name, known) for name in unknown)
