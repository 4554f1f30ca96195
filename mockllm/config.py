"""Server settings: one frozen object built by the CLI, the pytest plugin or a test, and shown by the
admin API (``public()`` never includes keys or tokens)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

_OPTIONAL = frozenset({"ttft_ms", "tokens_per_second", "rpm", "tpm", "freeze_time"})


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
    latency: str = "off"  # off | realistic | fixed
    ttft_ms: float | None = None
    tokens_per_second: float | None = None
    jitter: float = 0.0
    chunk_tokens: int = 1
    journal_size: int = 1000
    admin_token: str | None = None
    rpm: int | None = None
    tpm: int | None = None
    chaos: str | None = None
    # Image URLs are fetched only from these hosts ("*": any), bounded in size and time (see fetch.py).
    fetch_hosts: tuple[str, ...] = ()
    fetch_max_mb: float = 20.0
    fetch_timeout: float = 10.0
    # Resource bounds for a server shared by many clients (see mockllm/limits.py); timeouts in seconds.
    max_connections: int = 1000
    max_streams: int = 500
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

        def number(name: str, kind: type, low: float | None, *, above: bool = False, high: float | None = None) -> None:
            value = getattr(self, name)
            if value is None and name in _OPTIONAL:
                return
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (kind is int and not isinstance(value, int))
            ):
                try:
                    value = kind(value)
                    changes[name] = value
                except (TypeError, ValueError):
                    problems.append(f"{name}: expected {'an integer' if kind is int else 'a number'}, got {value!r}")
                    return
            if (low is not None and (value <= low if above else value < low)) or (high is not None and value > high):
                bound = f"> {low:g}" if above else f">= {low:g}"
                problems.append(
                    f"{name}: must be {bound}{f' and <= {high:g}' if high is not None else ''}, got {value!r}"
                )

        number("port", int, 0, high=65535)
        number("seed", int, None)
        number("max_body_mb", float, 0, above=True)
        number("ttft_ms", float, 0)
        number("tokens_per_second", float, 0, above=True)
        number("jitter", float, 0, high=1)
        number("chunk_tokens", int, 1)
        number("journal_size", int, 1)
        number("rpm", int, 1)
        number("tpm", int, 1)
        for name in ("max_connections", "max_streams"):
            number(name, int, 1)
        for name in ("header_timeout", "body_timeout", "write_timeout", "idle_timeout", "shutdown_timeout"):
            number(name, float, 0, above=True)
        number("fetch_max_mb", float, 0, above=True)
        number("fetch_timeout", float, 0, above=True)
        if self.latency not in ("off", "realistic"):
            problems.append(f"latency: expected 'off' or 'realistic', got {self.latency!r}")
        if isinstance(self.freeze_time, str):
            import datetime as dt

            try:
                moment = dt.datetime.fromisoformat(self.freeze_time.replace("Z", "+00:00"))
            except ValueError:
                problems.append(f"freeze_time: not an ISO-8601 time or unix seconds: {self.freeze_time!r}")
            else:
                changes["freeze_time"] = int((moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp())
        elif self.freeze_time is not None:
            number("freeze_time", int, 0)
        if problems:
            raise ValueError("invalid mockllm settings: " + "; ".join(problems))
        return replace(self, **changes) if changes else self

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_keys"] = len(self.api_keys)
        data["admin_token"] = self.admin_token is not None
        return data
