"""Bugs found while walking through the README as a first-time user, now regression tests."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockllm.cli import build_parser
from mockllm.config import Settings
from mockllm.record import make_record_app
from mockllm.server import MockServer

ROOT = Path(__file__).resolve().parents[1]
CHAT = "/v1/chat/completions"
FRANCE = {"model": "gpt-4o", "messages": [{"role": "user", "content": "What is the capital of France?"}]}


@pytest.fixture(scope="module")
def bundled() -> Iterator[MockServer]:
    with MockServer(Settings(port=0, fixtures=(str(ROOT / "fixtures"),))) as server:
        yield server


def test_reset_restores_a_file_fixture_replaced_at_runtime(bundled: MockServer) -> None:
    with httpx.Client(base_url=bundled.root_url) as http:
        replaced = http.post(
            "/_mockllm/fixtures?replace=1",
            json={"name": "capital-of-france", "match": {"user": "capital of France"}, "reply": {"content": "Lyon."}},
        )
        assert replaced.status_code == 201
        assert http.post(CHAT, json=FRANCE).json()["choices"][0]["message"]["content"] == "Lyon."
        assert http.post("/_mockllm/reset").status_code == 200
        answer = http.post(CHAT, json=FRANCE).json()["choices"][0]["message"]["content"]
        names = [f["name"] for f in http.get("/_mockllm/fixtures").json()["data"]]
    assert "capital-of-france" in names
    assert answer == "The capital of France is Paris."


def test_record_unreachable_upstream_is_a_json_gateway_error(tmp_path: Path) -> None:
    async def go() -> tuple[int, str, str]:
        app = make_record_app("http://127.0.0.1:1/v1", tmp_path, timeout_s=5)
        async with TestClient(TestServer(app)) as client:
            response = await client.post(CHAT, json=FRANCE)
            return response.status, response.content_type, await response.text()

    status, content_type, text = asyncio.run(go())
    assert status in (502, 503, 504), (status, text)
    assert content_type == "application/json" and '"error"' in text


@pytest.mark.mockllm(freeze_time="2025-01-01T00:00:00Z")
def test_marker_freeze_time_accepts_the_iso_form(mockllm) -> None:
    body = httpx.post(mockllm.base_url + "/chat/completions", json=FRANCE).json()
    assert body["created"] == 1735689600


@pytest.mark.mockllm(rpm="2")
def test_marker_setting_of_the_wrong_type_is_not_a_500(mockllm) -> None:
    assert httpx.post(mockllm.base_url + "/chat/completions", json=FRANCE).status_code == 200


def test_fail_times_without_a_following_reply_stops_failing(mockllm) -> None:
    mockllm.on(user="checkout").fail("rate_limit", times=1)
    url = mockllm.base_url + "/chat/completions"
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "checkout"}]}
    assert httpx.post(url, json=body).status_code == 429
    assert httpx.post(url, json=body).status_code == 200


def test_out_of_range_port_is_a_one_line_error() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockllm", "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.startswith("mockllm: error:")


@pytest.mark.parametrize("flag", [["--chunk-tokens", "0"], ["--ttft-ms", "-5"]])
def test_pacing_flags_are_checked_like_fixture_pacing(flag: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["serve", *flag])
    assert exit_info.value.code == 2


def test_typos_in_chaos_kinds_and_fault_headers_get_a_suggestion() -> None:
    from mockllm.core.errors import ApiError
    from mockllm.core.pipeline import fault_from_header

    done = subprocess.run(
        [sys.executable, "-m", "mockllm", "serve", "--chaos", "rate=0.1,kinds=rate_limitt"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "did you mean 'rate_limit'?" in done.stderr
    with pytest.raises(ApiError) as info:
        fault_from_header("disconect")
    assert "did you mean 'disconnect'?" in info.value.body()["error"]["message"]


def test_admin_config_shows_the_bound_port() -> None:
    with MockServer(Settings(port=0)) as srv, httpx.Client(base_url=srv.root_url) as http:
        assert http.get("/_mockllm/config").json()["port"] == srv.port


def test_refusal_and_content_together_are_refused_by_check(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(
        'fixtures:\n  - name: both\n    match: {user: "x"}\n    reply: {content: "Sure!", refusal: "No."}\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "mockllm", "check", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "refusal cannot be combined with content" in done.stdout


def test_plugin_add_accepts_a_single_fixture_mapping(mockllm) -> None:
    names = mockllm.add({"name": "one", "match": {"user": "single"}, "reply": {"content": "Just one."}})
    assert names == ["one"]
    answer = mockllm.client().chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "a single fixture"}]
    )
    assert answer.choices[0].message.content == "Just one."


def test_a_misspelt_condition_fails_at_on_with_a_suggestion(mockllm) -> None:
    with pytest.raises(ValueError, match=r"unknown condition 'usr' \(did you mean 'user'\?\)"):
        mockllm.on(usr="x")
    with pytest.raises(ValueError, match=r"mockllm.on\(\): image_count"):
        mockllm.on(image_count=-1)


def test_a_route_without_a_reply_warns_at_the_end_of_the_test(mockllm) -> None:
    from mockllm.pytest_plugin import UnusedRouteWarning

    mockllm.on(user="forgotten")
    with pytest.warns(UnusedRouteWarning, match="forgotten"):
        mockllm.reset()


def test_record_passes_a_400_through_without_recording_it(tmp_path: Path) -> None:
    with MockServer(Settings(port=0)) as upstream:

        async def go() -> int:
            app = make_record_app(upstream.base_url, tmp_path, timeout_s=10)
            async with TestClient(TestServer(app)) as client:
                response = await client.post(CHAT, json={**FRANCE, "temperature": 5})
                return response.status

        assert asyncio.run(go()) == 400
    assert not list(tmp_path.glob("*.yaml"))  # the replay validates requests itself
