"""One package per wire API: each parses and validates its own request format into the neutral
conversation, renders a ``Completion`` as its own JSON body and SSE events, and spells errors its way.

This module is the one place that lists them: the pipeline asks it for its surfaces and endpoints, and
the HTTP layer routes whatever the pipeline holds, so adding an API touches its package and this list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..config import Settings
    from ..core.pipeline import Outcome, Pipeline
    from ..core.surface import Endpoint, Surface
    from ..profiles import Profile

__all__ = ["endpoints", "surfaces"]


def surfaces(settings: Settings, profile: Profile) -> dict[str, Surface]:
    """The APIs that answer through decide → shape, by the name the ``api:`` condition gives them."""
    from .chat.surface import ChatSurface
    from .messages.surface import MessagesSurface
    from .responses.surface import ResponsesSurface

    return {
        "chat": ChatSurface(profile),
        "responses": ResponsesSurface(settings.store_size),
        "messages": MessagesSurface(settings),
    }


def endpoints() -> dict[str, Endpoint]:
    """The APIs that answer on the shared edge with a step of their own instead (vectors, not text)."""
    from ..core.surface import Endpoint

    return {"embeddings": Endpoint("embeddings", "/v1/embeddings", _embeddings)}


def _embeddings(pipeline: Pipeline, body: bytes, headers: Mapping[str, str]) -> Outcome:
    # Imported on the first embeddings request: a chat-only server does not pay ~6 ms of start-up for it.
    from .embeddings.serve import answer

    return answer(pipeline, body, headers)
