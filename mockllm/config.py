"""Server settings: one frozen object built by the CLI, the pytest plugin or a test, and shown by the
admin API (``public()`` never includes keys or tokens)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Bound:
    """A numeric setting's type and range: the one rule both the command line (text) and settings given
    in code (pytest marker, ``mockllm_settings``) are checked by."""

    kind: type[int] | type[float]
    low: float | None = None
    above: bool = False  # ``low`` itself is excluded
    high: float | None = None
    hint: str = ""  # after a range error, e.g. " (0 takes a free port)"

    def coerce(self, value: Any) -> int | float:
        """``value`` (a number, or text as typed) as ``kind`` and in range; ValueError says why not."""
        noun = "an integer" if self.kind is int else "a number"
        if (
            isinstance(value, bool)
            or not isinstance(value, str | int | float)
            or (self.kind is int and isinstance(value, float))
        ):
            raise ValueError(f"expected {noun}, got {value!r}")
        if isinstance(value, str) or (self.kind is int and not isinstance(value, int)):
            try:
                value = self.kind(value)
            except (TypeError, ValueError):
                raise ValueError(f"expected {noun}, got {value!r}") from None
        low_ok = self.low is None or (value > self.low if self.above else value >= self.low)
        if not (low_ok and (self.high is None or value <= self.high)):  # also refuses nan
            if self.low is not None and self.high is not None:
                text = f"between {self.low:g} and {self.high:g}"
            else:
                text = f"{'>' if self.above else '>='} {self.low:g}"
            raise ValueError(f"must be {text}{self.hint}, got {value!r}")
        return value

    def arg_type(self) -> Callable[[str], int | float]:
        """An argparse ``type=``: the same rule, as a one-line usage error."""

        def parse(text: str) -> int | float:
            try:
                return self.coerce(text)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None

        return parse


_POSITIVE = Bound(float, 0, above=True)
#: Every numeric setting's rule (``serve``'s flags use them through :meth:`Bound.arg_type`).
BOUNDS: dict[str, Bound] = {
    "port": Bound(int, 0, high=65535, hint=" (0 takes a free port)"),
    "seed": Bound(int),
    "max_body_mb": _POSITIVE,
    "ttft_ms": Bound(float, 0),
    "tokens_per_second": _POSITIVE,
    "jitter": Bound(float, 0, high=1, hint=" (0.1 = +-10%)"),
    "chunk_tokens": Bound(int, 1),
    "journal_size": Bound(int, 1),
    "store_size": Bound(int, 1),
    "rpm": Bound(int, 1),
    "tpm": Bound(int, 1),
    "max_connections": Bound(int, 1),
    "max_streams": Bound(int, 1),
    "header_timeout": _POSITIVE,
    "body_timeout": _POSITIVE,
    "write_timeout": _POSITIVE,
    "idle_timeout": _POSITIVE,
    "shutdown_timeout": _POSITIVE,
    "fetch_max_mb": _POSITIVE,
    "fetch_timeout": _POSITIVE,
}


def unix_time(value: str | int) -> int:
    """``freeze_time`` as unix seconds, from an ISO-8601 time (``2025-01-01T00:00:00Z``) or seconds."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(Bound(int, 0).coerce(value))
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an ISO-8601 time or unix seconds: {value!r}") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp())


@dataclass(slots=True, frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    fixtures: tuple[str, ...] = ()
    seed: int = 0
    profile: str = "openai"
    api_keys: tuple[str, ...] = ()
    strict: bool = False
    max_body_mb: float = 32.0
    freeze_time: int | None = None  # unix seconds for `created`
    latency: str = "off"  # off | realistic
    ttft_ms: float | None = None
    tokens_per_second: float | None = None
    jitter: float = 0.0
    chunk_tokens: int = 1
    journal_size: int = 1000
    store_size: int = 1000  # stored Responses-API responses (previous_response_id, GET), oldest evicted first
    admin_token: str | None = None
    rpm: int | None = None
    tpm: int | None = None
    chaos: str | None = None
    # Image URLs are fetched only from these hosts ("*": any), bounded in size and time (see fetch.py).
    fetch_hosts: tuple[str, ...] = ()
    fetch_max_mb: float = 20.0
    fetch_timeout: float = 10.0
    # Resource bounds for a server shared by many clients (see mockllm/limits.py); timeouts in seconds.
    max_connections: int = 6000
    max_streams: int = 5000
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    write_timeout: float = 30.0
    idle_timeout: float = 75.0
    shutdown_timeout: float = 5.0
    # Test-only: honour ``x-mockllm-test-raise`` (an internal failure on demand). Never set by the CLI's
    # documented flags, so ordinary users cannot make the server raise.
    test_hooks: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def checked(self) -> Settings:
        """These settings with values given in code (pytest marker, ``mockllm_settings``) checked and
        coerced by the command line's rules: a wrong type or range is a ValueError naming the setting,
        never a server that answers 500 later. ``freeze_time`` may be an ISO-8601 string, as on the CLI."""
        changes: dict[str, Any] = {}
        problems: list[str] = []
        for name, bound in BOUNDS.items():
            value = getattr(self, name)
            if value is None and DEFAULTS[name] is None:  # optional, and not given
                continue
            try:
                checked = bound.coerce(value)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
                continue
            if type(checked) is not type(value) or checked != value:
                changes[name] = checked
        if self.latency not in ("off", "realistic"):
            problems.append(f"latency: expected 'off' or 'realistic', got {self.latency!r}")
        if self.freeze_time is not None:
            try:
                changes["freeze_time"] = unix_time(self.freeze_time)
            except ValueError as exc:
                problems.append(f"freeze_time: {exc}")
        if problems:
            raise ValueError("invalid mockllm settings: " + "; ".join(problems))
        return replace(self, **changes) if changes else self

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_keys"] = len(self.api_keys)
        data["admin_token"] = self.admin_token is not None
        return data


#: Each setting's default, the one place the command line's defaults come from too.
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Settings)}
