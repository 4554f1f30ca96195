"""Server settings: one frozen object built by the CLI, the pytest plugin or a test, and shown by the
admin API (``public()`` never includes keys or tokens)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        data["api_keys"] = len(self.api_keys)
        data["admin_token"] = self.admin_token is not None
        return data
