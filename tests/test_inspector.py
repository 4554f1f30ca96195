"""Issue #9: the web inspector at /_mockllm/ui, rendered by headless Chromium.

Chromium is Debian's ``chromium`` package. When it is missing and we are root with apt-get, the session
fixture installs it (a one-off of a minute or so); otherwise the tests skip and say why. The page is
loaded with ``--virtual-time-budget``, which lets its polling timers and fetches run before the DOM is
dumped, so no driver (Playwright, Selenium) is needed. The screenshot lands in ``artifacts/inspector.png``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import openai
import pytest

from mockllm.pytest_plugin import MockLLM

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
XSS = "<img src=x onerror=\"document.title='pwned'\"> what is this?"


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a Chromium binary, installing Debian's package when possible."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, check=False)
        except subprocess.TimeoutExpired:
            pytest.skip(f"{' '.join(command)} timed out: cannot install chromium")
        if done.returncode != 0:
            pytest.skip(f"{' '.join(command)} failed, cannot install chromium: {done.stderr.strip()[-300:]}")
    found = shutil.which("chromium")
    if found is None:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class Dom(HTMLParser):
    """Just enough of the dumped DOM: request rows, element texts by id, img tags, the title."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.texts: dict[str, str] = {}
        self.images = 0
        self.title = ""
        self._open: list[tuple[str, str | None]] = []
        self._in_title = False
        self.detail_text: list[str] = []
        self._detail_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("data-seq"):
            self.rows.append({k[5:]: v or "" for k, v in attributes.items() if k.startswith("data-")})
        if tag == "img":
            self.images += 1
        self._in_title = tag == "title"
        if attributes.get("id") == "detail":
            self._detail_depth = 1
        elif self._detail_depth and tag not in ("br", "img", "input", "link", "meta"):
            self._detail_depth += 1
        self._open.append((tag, attributes.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if self._detail_depth:
            self._detail_depth -= 1
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._open and self._open[-1][1]:
            self.texts[self._open[-1][1]] = self.texts.get(self._open[-1][1], "") + data
        if self._detail_depth:
            self.detail_text.append(data)


def ask(mockllm: MockLLM, text: str, model: str = "gpt-4o-mini") -> None:
    try:
        mockllm.client().chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    except openai.APIStatusError:
        pass


def test_inspector_lists_requests_and_explains(mockllm: MockLLM, chromium: str, tmp_path: Path) -> None:
    mockllm.on(user="weather", name="weather-route").reply("Sunny.")
    mockllm.on(user="flaky", name="flaky-route").fail("rate_limit").reply("ok now")
    ask(mockllm, "weather in Oslo?", model="gpt-4o")
    ask(mockllm, "flaky call")
    ask(mockllm, "flaky call")
    ask(mockllm, XSS, model="gpt-4.1-mini")
    requests = mockllm.requests
    assert [r.status for r in requests] == [200, 429, 200, 200]
    generator_seq = requests[3].seq

    dump = run_chromium(chromium, tmp_path / "profile", "--dump-dom", f"{mockllm.inspector_url}#seq={generator_seq}")
    dom = Dom()
    dom.feed(dump.stdout)

    shown = sorted((int(r["seq"]), r["model"], r["source"], r["status"]) for r in dom.rows)
    expected = sorted((r.seq, r.model or "", r.source or "", str(r.status)) for r in requests)
    assert shown == expected
    assert {r["source"] for r in dom.rows} == {"weather-route", "flaky-route", "generator"}
    assert dom.texts["total-requests"] == "4" and dom.texts["total-errors"] == "1"
    assert int(dom.texts["total-prompt"]) == sum(int((r.usage or {}).get("prompt_tokens", 0)) for r in requests)
    assert dom.texts["total-cost"].startswith("$")

    detail = " ".join(dom.detail_text)
    assert f"#{generator_seq} POST /v1/chat/completions" in detail
    assert "Why no fixture matched" in detail and "weather-route" in detail and "expected substring 'weather'" in detail
    # A prompt with markup is shown as text, never run: no <img> element, the title untouched.
    assert XSS in detail
    assert dom.images == 0 and dom.title.strip() == "mockllm inspector"

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "inspector.png"
    screenshot.unlink(missing_ok=True)
    run_chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={screenshot}",
        "--window-size=1280,900",
        "--hide-scrollbars",
        f"{mockllm.inspector_url}#seq={generator_seq}",
    )
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000


def test_inspector_shows_what_a_stream_said(mockllm: MockLLM, chromium: str, tmp_path: Path) -> None:
    """The detail pane of a stream shows the text sent: here up to a disconnect's cut, not the rest."""
    mockllm.on(user="story", name="cut-story").fault(
        "disconnect", after_chunks=4, content="Once upon a time there was a mock server that never lied."
    )
    received = ""
    stream = mockllm.client().chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "story"}], stream=True
    )
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received += chunk.choices[0].delta.content or ""
    [entry] = mockllm.requests
    assert received and entry.content == received

    dump = run_chromium(chromium, tmp_path / "profile", "--dump-dom", f"{mockllm.inspector_url}#seq={entry.seq}")
    dom = Dom()
    dom.feed(dump.stdout)
    detail = " ".join(dom.detail_text)
    assert "streamed until the cut" in detail and "cut short" in detail
    assert received in detail
    assert "never lied" not in detail.replace(f"#{entry.seq}", "").split("Raw journal entry")[0]
