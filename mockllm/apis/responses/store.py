"""Stored responses: what ``previous_response_id``, ``GET``/``DELETE /v1/responses/{id}`` and
``input_items`` read (PROTOCOL-responses.md §7).

A response created with ``store`` (the default) is kept with the context a chained request starts from:
its own context items (the previous chain and its input, as sent) followed by its output items, so a
request chained with ``previous_response_id`` is the same request as the explicit history it stands for.
Responses are kept per ``x-mockllm-session``, so parallel tests do not see each other's, and at most
``--store-size`` of them in all: the oldest is evicted first and counted in ``/_mockllm/stats``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core.errors import ApiError
from .validate import PreviousResponses

__all__ = ["ResponseStore", "StoredResponse", "not_found"]


@dataclass(slots=True)
class StoredResponse:
    body: dict[str, Any]  # the response object as answered (what GET returns)
    context: list[dict[str, Any]]  # the items a chained request starts with
    #: This request's own input as stored items with ids, oldest first: built when first listed (most
    #: responses never are), from the items as sent and a function that gives them their ids.
    new_items: list[dict[str, Any]]
    list_items: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    reasoning_ids: tuple[str, ...]
    _listed: list[dict[str, Any]] | None = None

    @property
    def input_items(self) -> list[dict[str, Any]]:
        if self._listed is None:
            self._listed = self.list_items(self.new_items)
        return self._listed


def not_found(response_id: str) -> ApiError:
    """The 404 of an unknown, deleted or never-stored id (PROTOCOL-responses.md §12)."""
    return ApiError(404, f"No response found with id '{response_id}'.", param="response_id", code="response_not_found")


class ResponseStore(PreviousResponses):
    """A bounded map of (session, id) → stored response, oldest evicted first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._responses: OrderedDict[tuple[str | None, str], StoredResponse] = OrderedDict()
        self._reasoning: dict[tuple[str | None, str], str] = {}
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._responses)

    def put(self, session: str | None, response_id: str, stored: StoredResponse) -> None:
        self._responses[(session, response_id)] = stored
        for item_id in stored.reasoning_ids:
            self._reasoning[(session, item_id)] = response_id
        while len(self._responses) > self.capacity:
            (old_session, _), old = self._responses.popitem(last=False)
            self._forget_reasoning(old_session, old)
            self.evicted += 1

    def get(self, response_id: str, session: str | None) -> StoredResponse | None:
        return self._responses.get((session, response_id))

    def require(self, response_id: str, session: str | None) -> StoredResponse:
        stored = self.get(response_id, session)
        if stored is None:
            raise not_found(response_id)
        return stored

    def delete(self, response_id: str, session: str | None) -> None:
        stored = self._responses.pop((session, response_id), None)
        if stored is None:
            raise not_found(response_id)
        self._forget_reasoning(session, stored)

    def clear(self) -> None:
        self._responses.clear()
        self._reasoning.clear()

    def _forget_reasoning(self, session: str | None, stored: StoredResponse) -> None:
        for item_id in stored.reasoning_ids:
            self._reasoning.pop((session, item_id), None)

    # ----- what validation asks ------------------------------------------------------------------------

    def context(self, response_id: str, session: str | None) -> list[dict[str, Any]] | None:
        stored = self.get(response_id, session)
        return None if stored is None else stored.context

    def knows_reasoning(self, item_id: str, session: str | None) -> bool:
        return (session, item_id) in self._reasoning
