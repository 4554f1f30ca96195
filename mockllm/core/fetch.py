"""Optional fetching of ``http(s)`` image URLs, off unless the user names the hosts it may reach.

By default a mock never touches the network: URL images are accepted on trust and billed at a documented
default size (``vision.DEFAULT_URL_IMAGE_SIZE``). ``--fetch-images HOSTS`` turns fetching on for those
hosts only (``*`` for any), bounded by ``--fetch-max-mb`` and ``--fetch-timeout``. A fetched image is then
validated like a data URL (magic bytes, format, size, animation) and billed by its real dimensions, and a
fixture can match its sha256. A failed fetch is OpenAI's 400 (``Timeout while downloading …``, ``Failed to
download image from …``); a URL on a host that is not listed is not fetched and stays "on trust".

Fetching happens in the HTTP layer, before the (synchronous) pipeline runs: the URLs are read from the
parsed body, fetched concurrently on one shared client session, and handed to the pipeline as bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

__all__ = ["FetchFailure", "FetchPolicy", "fetch_images", "image_urls"]

#: At most this many distinct URLs are fetched for one request; the rest stay on trust.
MAX_URLS_PER_REQUEST = 16


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Which hosts may be fetched, and the bounds of one download."""

    hosts: frozenset[str]  # lower-case host names; "*" allows any
    max_bytes: int
    timeout_s: float

    @classmethod
    def parse(cls, hosts: str | Iterable[str], max_mb: float, timeout_s: float) -> FetchPolicy:
        items = hosts.split(",") if isinstance(hosts, str) else hosts
        names = frozenset(h.strip().lower() for h in items if h.strip())
        if not names:
            raise ValueError("--fetch-images needs at least one host (or '*' for any)")
        if max_mb <= 0 or timeout_s <= 0:
            raise ValueError("--fetch-max-mb and --fetch-timeout must be positive")
        return cls(names, int(max_mb * 1024 * 1024), timeout_s)

    def allows(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        if parts.scheme.lower() not in ("http", "https") or not host:
            return False
        return "*" in self.hosts or host in self.hosts


@dataclass(frozen=True, slots=True)
class FetchFailure:
    """A download that did not yield an image: OpenAI's message and code for it."""

    message: str
    code: str


def image_urls(raw: Any, policy: FetchPolicy) -> list[str]:
    """The distinct ``http(s)`` image URLs of a request body that ``policy`` allows, in order."""
    found: list[str] = []
    messages = raw.get("messages") if isinstance(raw, Mapping) else None
    if not isinstance(messages, list):
        return found
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for part in content:
            image = part.get("image_url") if isinstance(part, Mapping) else None
            url = image.get("url") if isinstance(image, Mapping) else None
            if isinstance(url, str) and url not in found and policy.allows(url):
                found.append(url)
                if len(found) == MAX_URLS_PER_REQUEST:
                    return found
    return found


def _name(url: str) -> str:
    """The file name OpenAI's messages quote (``Timeout while downloading IMG_1.jpg.``)."""
    path = urlsplit(url).path.rstrip("/")
    return unquote(path.rsplit("/", 1)[-1]) or url


async def _fetch_one(session: aiohttp.ClientSession, url: str, policy: FetchPolicy) -> bytes | FetchFailure:
    name = _name(url)
    failed = FetchFailure(f"Failed to download image from {name}.", "invalid_image_url")
    try:
        async with asyncio.timeout(policy.timeout_s):
            # No redirects: a listed host must not be a way to reach an unlisted one.
            async with session.get(url, allow_redirects=False) as response:
                if response.status != 200:
                    return failed
                if response.content_length is not None and response.content_length > policy.max_bytes:
                    return FetchFailure(
                        f"Failed to download image from {name}. Image size exceeds the limit.", "invalid_image"
                    )
                data = await response.content.read(policy.max_bytes + 1)
                if len(data) > policy.max_bytes:
                    return FetchFailure(
                        f"Failed to download image from {name}. Image size exceeds the limit.", "invalid_image"
                    )
                return data
    except TimeoutError:
        return FetchFailure(f"Timeout while downloading {name}.", "invalid_image_url")
    except (aiohttp.ClientError, OSError, ValueError):
        return failed


async def fetch_images(
    session: aiohttp.ClientSession, urls: list[str], policy: FetchPolicy
) -> dict[str, bytes | FetchFailure]:
    """Download ``urls`` concurrently; each is its bytes or the failure to report."""
    results = await asyncio.gather(*(_fetch_one(session, url, policy) for url in urls))
    return dict(zip(urls, results, strict=True))
