"""Shared test fixtures: a real server on a free port, and clients pointed at it."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mockllm.config import Settings
from mockllm.server import MockServer

ROOT = Path(__file__).resolve().parents[1]

# The tokenizer's parsed-ranks cache goes to a folder of this test process (servers it starts inherit it),
# not to the user's ~/.cache: a test run leaves nothing behind.
if "MOCKLLM_CACHE_DIR" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="mockllm-test-cache-")
    os.environ["MOCKLLM_CACHE_DIR"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, True)


def asyncio_gc_noise(record: logging.LogRecord) -> bool:
    """asyncio reports a pending task of some *earlier* test's closed loop whenever the GC collects it,
    which can be during any test: not the doing of the server under test. Tests that fail on logged
    errors leave this one out."""
    return record.name == "asyncio" and record.getMessage().startswith("Task was destroyed but it is pending")


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    """One server with the bundled fixtures for the whole session (tests must not rely on order)."""
    with MockServer(Settings(port=0, fixtures=(str(ROOT / "fixtures"),), seed=7)) as srv:
        yield srv


@pytest.fixture(scope="session")
def strict_server() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, fixtures=(str(ROOT / "fixtures"),), strict=True)) as srv:
        yield srv


@pytest.fixture
def client(server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)


@pytest.fixture
def aclient(server: MockServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0)
