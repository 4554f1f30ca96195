"""``--fetch-images HOSTS``: image URLs on listed hosts are downloaded (bounded), validated and measured.

Everything is served from 127.0.0.1 by a small stdlib server in a thread: no test reaches the internet.
"""

from __future__ import annotations

import base64
import http.server
import io
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from PIL import Image

from mockllm.config import Settings
from mockllm.server import MockServer


def _png(width: int, height: int, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


PHOTO = _png(1024, 2048)
BIG = PHOTO + b"\0" * (1_200_000 - len(PHOTO))  # over a 1 MB limit


class _Images(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012 - shared by the server thread and the tests, on purpose

    def do_GET(self) -> None:
        _Images.hits.append(self.path)
        if self.path == "/img/photo.png":
            self._send(200, PHOTO)
        elif self.path == "/img/big.png":
            self._send(200, BIG)
        elif self.path == "/img/slow.png":
            time.sleep(2)
            self._send(200, PHOTO)
        elif self.path == "/img/notes.png":
            self._send(200, b"these are not the pixels you are looking for")
        elif self.path == "/img/moved.png":
            self.send_response(302)
            self.send_header("Location", "/img/photo.png")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"not found")

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def images() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def fetching(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockServer]:
    folder = tmp_path_factory.mktemp("fetch-fixtures")
    import hashlib

    (folder / "caption.yaml").write_text(
        "fixtures:\n"
        "  - name: red-photo\n"
        f"    match: {{image_sha256: {hashlib.sha256(PHOTO).hexdigest()}}}\n"
        "    reply: {content: A red rectangle.}\n",
        encoding="utf-8",
    )
    settings = Settings(
        port=0, fixtures=(str(folder),), fetch_hosts=("127.0.0.1",), fetch_max_mb=1.0, fetch_timeout=0.5
    )
    with MockServer(settings) as srv:
        yield srv


def _ask(base_url: str, url: str, *, model: str = "gpt-4o", detail: str = "high") -> Any:
    client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0)
    content: list[Any] = [
        {"type": "text", "text": "Describe the picture."},
        {"type": "image_url", "image_url": {"url": url, "detail": detail}},
    ]
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": content}])


def _data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def test_off_by_default_nothing_is_fetched(server: MockServer, images: str) -> None:
    _Images.hits.clear()
    answer = _ask(server.base_url, images + "/img/photo.png")
    same_size_unfetched = _ask(server.base_url, _data_url(_png(1024, 1024)))
    assert _Images.hits == []
    assert answer.usage.prompt_tokens == same_size_unfetched.usage.prompt_tokens  # the documented 1024x1024


def test_a_fetched_image_is_measured_like_the_same_bytes_inline(fetching: MockServer, images: str) -> None:
    fetched = _ask(fetching.base_url, images + "/img/photo.png")
    inline = _ask(fetching.base_url, _data_url(PHOTO))
    assert fetched.usage.prompt_tokens == inline.usage.prompt_tokens
    # gpt-4o high detail, 1024x2048 -> 768x1536 -> 2x3 tiles: 6 x 170 + 85 image tokens
    details = fetched.usage.prompt_tokens_details
    assert details is not None and details.model_extra is not None
    assert details.model_extra.get("image_tokens", getattr(details, "image_tokens", None)) == 6 * 170 + 85


def test_fixtures_match_the_fetched_image_by_sha256(fetching: MockServer, images: str) -> None:
    assert _ask(fetching.base_url, images + "/img/photo.png").choices[0].message.content == "A red rectangle."


@pytest.mark.parametrize(
    ("path", "message", "code"),
    [
        ("/img/big.png", "Failed to download image from big.png. Image size exceeds the limit.", "invalid_image"),
        ("/img/slow.png", "Timeout while downloading slow.png.", "invalid_image_url"),
        ("/img/gone.png", "Failed to download image from gone.png.", "invalid_image_url"),
        ("/img/moved.png", "Failed to download image from moved.png.", "invalid_image_url"),  # no redirects
    ],
)
def test_failed_downloads_are_openai_400s(
    fetching: MockServer, images: str, path: str, message: str, code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        _ask(fetching.base_url, images + path)
    error = info.value.body
    assert isinstance(error, dict)
    assert (error["message"], error["code"], error["param"]) == (message, code, "messages[0].content[1].image_url.url")


def test_fetched_bytes_that_are_not_an_image_are_refused(fetching: MockServer, images: str) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        _ask(fetching.base_url, images + "/img/notes.png")
    assert isinstance(info.value.body, dict) and info.value.body["code"] == "invalid_image_format"


def test_hosts_not_listed_are_not_fetched(fetching: MockServer, images: str) -> None:
    _Images.hits.clear()
    other = images.replace("127.0.0.1", "localhost")  # the same server under a name that is not listed
    answer = _ask(fetching.base_url, other + "/img/photo.png")
    assert _Images.hits == [] and answer.choices[0].finish_reason == "stop"


def test_serve_help_documents_the_fetch_flags() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockllm", "serve", "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    for flag in ("--fetch-images", "--fetch-max-mb", "--fetch-timeout"):
        assert flag in done.stdout
