"""The admin API under ``/_mockllm/`` (issue #9 fills it in)."""

from __future__ import annotations

from aiohttp import web


def setup_admin(app: web.Application) -> None:
    """Register the admin routes on ``app``."""
    return None
