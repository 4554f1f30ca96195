"""The request journal and the usage ledger: what the server saw and what it would have cost.

Both are bounded: the journal is a ring of the last ``size`` entries (evictions counted), the ledger has
one row per (API key, model), capped too. Entries keep the request body with data URLs shortened, so a
suite that sends images cannot blow up the server's memory through its own journal.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .core.catalog import ModelInfo

_DATA_URL = re.compile(r"^(data:[^;,]{0,64}(?:;[^,]{0,64})?,)(.{0,32}).*$", re.S)


def shorten(value: Any, depth: int = 0) -> Any:
    """Copy a JSON value with long data URLs / base64 blobs cut (``data:image/png;base64,iVBO…[123456 chars]``)."""
    if depth > 32:
        return "…"
    if isinstance(value, str):
        if len(value) > 256 and value.startswith("data:"):
            m = _DATA_URL.match(value)
            head = m.group(1) + m.group(2) if m else value[:48]
            return f"{head}…[{len(value)} chars]"
        if len(value) > 20_000:
            return value[:20_000] + f"…[{len(value)} chars]"
        return value
    if isinstance(value, dict):
        return {k: shorten(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [shorten(v, depth + 1) for v in value[:1000]]
    return value


@dataclass(slots=True)
class Entry:
    seq: int
    time: float
    method: str
    path: str
    session: str | None
    api_key_hint: str | None
    model: str | None
    status: int
    outcome: str  # "fixture", "generator", "error", "fault", "invalid"
    source: str | None  # fixture name, "generator", preset name, ...
    stream: bool
    request: Any
    response: Any = None  # body (dict) or {"chunks": n, "events": [...first few...]}
    error: dict[str, Any] | None = None
    fault: str | None = None
    usage: dict[str, Any] | None = None
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    near_misses: list[dict[str, Any]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    #: Computes ``near_misses`` when first read: explaining every fixture's failure costs more than
    #: answering, and most entries are never looked at. It is bound to the fixtures in force at the time.
    explain: Callable[[], list[dict[str, Any]]] | None = None

    def resolve(self) -> None:
        """Fill ``near_misses`` from ``explain`` (once)."""
        if self.explain is not None:
            self.near_misses = self.explain()
            self.explain = None

    def to_json(self) -> dict[str, Any]:
        self.resolve()
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "session": self.session,
            "api_key": self.api_key_hint,
            "model": self.model,
            "status": self.status,
            "outcome": self.outcome,
            "source": self.source,
            "stream": self.stream,
            "request": self.request,
            "response": self.response,
            "error": self.error,
            "fault": self.fault,
            "usage": self.usage,
            "cost_usd": self.cost_usd,
            "latency_ms": round(self.latency_ms, 3),
            "near_misses": self.near_misses,
            "info": self.info,
        }


class Journal:
    """A bounded ring of :class:`Entry` objects, newest last."""

    def __init__(self, size: int = 1000) -> None:
        self.size = max(1, size)
        self._entries: deque[Entry] = deque(maxlen=self.size)
        self._seq = itertools.count(1)
        self.evicted = 0
        self.recorded = 0

    def next_seq(self) -> int:
        return next(self._seq)

    def add(self, entry: Entry) -> None:
        if len(self._entries) == self.size:
            self.evicted += 1
        self._entries.append(entry)
        self.recorded += 1

    def clear(self) -> None:
        self._entries.clear()

    def entries(self) -> list[Entry]:
        return list(self._entries)

    def query(
        self,
        *,
        session: str | None = None,
        model: str | None = None,
        status: int | None = None,
        since: float | None = None,
        since_seq: int | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Entry]:
        selected: Iterable[Entry] = self._entries
        if session is not None:
            selected = (e for e in selected if e.session == session)
        if model is not None:
            selected = (e for e in selected if e.model == model)
        if status is not None:
            selected = (e for e in selected if e.status == status)
        if since is not None:
            selected = (e for e in selected if e.time >= since)
        if since_seq is not None:
            selected = (e for e in selected if e.seq > since_seq)
        items = list(selected)[offset:]
        return items[:limit] if limit is not None else items


def cost_usd(model: ModelInfo, prompt_tokens: int, completion_tokens: int) -> float:
    """Input tokens × input price + output tokens × output price (prices are per 1M tokens)."""
    return round((prompt_tokens * model.input_price + completion_tokens * model.output_price) / 1_000_000, 10)


class UsageLedger:
    """Tokens and cost per (API key hint, model). Bounded: the oldest row goes first when full."""

    def __init__(self, max_rows: int = 10_000) -> None:
        self.max_rows = max_rows
        self._rows: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self.evicted = 0

    def add(self, key_hint: str | None, model: ModelInfo, usage: dict[str, Any]) -> float:
        prompt = int(usage.get("prompt_tokens", 0))
        completion = int(usage.get("completion_tokens", 0))
        cost = cost_usd(model, prompt, completion)
        row_key = (key_hint or "(none)", model.id)
        row = self._rows.get(row_key)
        if row is None:
            if len(self._rows) >= self.max_rows:
                self._rows.popitem(last=False)
                self.evicted += 1
            row = {
                "api_key": row_key[0],
                "model": model.id,
                "requests": 0,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "total_tokens": 0,
                "cost_usd": 0.0,
            }
            self._rows[row_key] = row
        row["requests"] += 1
        row["prompt_tokens"] += prompt
        row["completion_tokens"] += completion
        row["total_tokens"] += prompt + completion
        row["cost_usd"] = round(row["cost_usd"] + cost, 10)
        return cost

    def clear(self) -> None:
        self._rows.clear()

    def report(self) -> dict[str, Any]:
        rows = list(self._rows.values())
        return {
            "rows": rows,
            "totals": {
                "requests": sum(r["requests"] for r in rows),
                "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
                "completion_tokens": sum(r["completion_tokens"] for r in rows),
                "total_tokens": sum(r["total_tokens"] for r in rows),
                "cost_usd": round(sum(r["cost_usd"] for r in rows), 10),
            },
        }


def now() -> float:
    return time.time()
