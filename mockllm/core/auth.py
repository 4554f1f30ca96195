"""API-key checks with OpenAI's 401 bodies. By default every key (or none) is accepted."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .errors import ApiError

NO_KEY_MESSAGE = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're "
    "accessing the API from your browser and are prompted for a username and password. You can obtain an API "
    "key from https://platform.openai.com/account/api-keys."
)


def mask_key(key: str) -> str:
    """OpenAI's mask: the first 8 characters, stars, the last 4 (``sk-PMafP****…E873``).

    Keys of 12 characters or fewer keep only their first and last 2, so a short key is never echoed whole.
    """
    if len(key) > 12:
        return key[:8] + "*" * (len(key) - 12) + key[-4:]
    if len(key) > 4:
        return key[:2] + "*" * (len(key) - 4) + key[-2:]
    return "*" * len(key)


def bearer_key(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization") or headers.get("Authorization")
    if not value:
        return None
    scheme, _, key = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    key = key.strip()
    return key or None


def check_key(key: str | None, accepted: Collection[str]) -> None:
    if not accepted:
        return
    if key is None:
        raise ApiError(401, NO_KEY_MESSAGE)
    if key not in accepted:
        raise ApiError(
            401,
            f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
