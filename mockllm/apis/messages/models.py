"""``GET /v1/models`` and ``/v1/models/{id}`` in Anthropic's shape (PROTOCOL-anthropic.md §8).

One path serves two SDKs: every Anthropic SDK sends ``anthropic-version`` and OpenAI's never does, so
the HTTP layer asks this module when the header is present. The list holds the catalog's ``claude-*``
models as ``ModelInfo`` items, paged with ``limit`` / ``after_id`` / ``before_id`` like the real one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ...core.catalog import Catalog, ModelInfo
from .errors import AnthropicError, invalid

__all__ = ["display_name", "model_info", "models_page", "retrieve"]


def display_name(model_id: str) -> str:
    """``claude-sonnet-4-6`` → ``Claude Sonnet 4.6`` (dated ids drop their date), as the API names them."""
    words = [w for w in model_id.split("-") if not (w.isdigit() and len(w) == 8)]
    family = [w.capitalize() for w in words if not w.isdigit()]
    version = ".".join(w for w in words if w.isdigit())
    return " ".join(family) + (f" {version}" if version else "")


def model_info(model: ModelInfo) -> dict[str, Any]:
    return {
        "type": "model",
        "id": model.answered_name if model.answered_name.startswith("claude-") else model.id,
        "display_name": display_name(model.id),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(model.created)),
        "lifecycle": "active",
        "max_input_tokens": model.context_window,
        "max_tokens": model.max_output_tokens,
    }


def _claude(catalog: Catalog) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for model in catalog:
        if model.id.startswith("claude-") and not any(c in model.id for c in "*?["):
            info = model_info(model)
            seen.setdefault(info["id"], info)
    return list(seen.values())


def models_page(catalog: Catalog, query: Mapping[str, str]) -> dict[str, Any]:
    """One page of the list: ``limit`` (1–1000, default 20), then the ids after ``after_id`` or before
    ``before_id``."""
    raw_limit = query.get("limit", "20")
    try:
        limit = int(raw_limit)
    except ValueError:
        raise invalid("limit: Input should be a valid integer, unable to parse string as an integer") from None
    if limit < 1 or limit > 1000:
        bound = "greater than or equal to 1" if limit < 1 else "less than or equal to 1000"
        raise invalid(f"limit: Input should be {bound}")
    items = _claude(catalog)
    ids = [item["id"] for item in items]
    after, before = query.get("after_id"), query.get("before_id")
    if after is not None:
        start = ids.index(after) + 1 if after in ids else len(ids)
        page, has_more = items[start : start + limit], start + limit < len(items)
    elif before is not None:
        end = ids.index(before) if before in ids else 0
        page, has_more = items[max(0, end - limit) : end], end - limit > 0
    else:
        page, has_more = items[:limit], limit < len(items)
    return {
        "data": page,
        "has_more": has_more,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }


def retrieve(catalog: Catalog, model_id: str) -> dict[str, Any]:
    model = catalog.get(model_id)
    if model is None:
        raise AnthropicError(404, "not_found_error", f"model: {model_id}")
    info = model_info(model)
    info["id"] = model.answered_name
    return info
