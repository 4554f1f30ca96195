"""Issue #9: the admin API under /_mockllm/, through real HTTP, including its errors and access rules."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockllm.config import Settings
from mockllm.http.admin import admin_access, is_loopback_host
from mockllm.server import MockServer

ROOT = Path(__file__).resolve().parents[1]
CHAT = "/v1/chat/completions"


def chat(http: httpx.Client, text: str, model: str = "gpt-4o-mini", **extra: object) -> httpx.Response:
    headers = extra.pop("headers", None)
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    return http.post(CHAT, json=body, headers=headers)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def admin_server() -> Iterator[MockServer]:
    """Bundled fixtures (file origin, must survive resets) and an API key the admin API must not ask for."""
    settings = Settings(
        port=0, fixtures=(str(ROOT / "fixtures"),), api_keys=("sk-client-key",), seed=3, freeze_time=1735689600
    )
    with MockServer(settings) as server:
        yield server


@pytest.fixture
def http(admin_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=admin_server.root_url, headers={"Authorization": "Bearer sk-client-key"}) as client:
        assert client.post("/_mockllm/reset").status_code == 200
        yield client


@pytest.fixture
def admin(admin_server: MockServer) -> Iterator[httpx.Client]:
    """A client with no API key: admin routes must work without it."""
    with httpx.Client(base_url=admin_server.root_url) as client:
        yield client


def test_index_lists_routes(admin: httpx.Client) -> None:
    body = admin.get("/_mockllm/").json()
    assert body["access"] == "open"
    assert {"GET /_mockllm/journal", "POST /_mockllm/fixtures", "GET /_mockllm/ui"} <= {
        f"{r['method']} {r['path']}" for r in body["routes"]
    }


def test_admin_needs_no_api_key_but_the_api_does(http: httpx.Client, admin: httpx.Client) -> None:
    assert chat(admin, "x").status_code == 401
    assert admin.get("/_mockllm/fixtures").status_code == 200


def test_config_never_shows_keys(admin: httpx.Client) -> None:
    body = admin.get("/_mockllm/config").json()
    assert body["api_keys"] == 1 and body["admin_token"] is False and body["seed"] == 3
    assert "sk-client-key" not in json.dumps(body)


def test_models_show_every_field_with_prices(admin: httpx.Client) -> None:
    models = {m["id"]: m for m in admin.get("/_mockllm/models").json()["data"]}
    gpt = models["gpt-4o"]
    assert gpt["input_price"] > 0 and gpt["output_price"] > 0
    fields = {"context_window", "max_output_tokens", "vision_policy", "encoding", "tokens_per_second", "extra"}
    assert fields <= set(gpt)
    assert gpt["vision_policy"]["kind"] in ("tile", "patch")


def test_post_json_list_and_delete(http: httpx.Client, admin: httpx.Client) -> None:
    document = {
        "fixtures": [
            {"name": "greet-admin", "priority": 5, "match": {"user": "bonjour"}, "reply": {"content": "salut"}}
        ]
    }
    created = admin.post("/_mockllm/fixtures", json=document)
    assert created.status_code == 201, created.text
    assert created.json()["data"][0]["name"] == "greet-admin"
    assert chat(http, "bonjour!").json()["choices"][0]["message"]["content"] == "salut"

    listed = {f["name"]: f for f in admin.get("/_mockllm/fixtures").json()["data"]}
    assert listed["greet-admin"]["origin"] == "runtime"
    assert listed["greet-admin"]["definition"] == document["fixtures"][0]
    assert listed["greeting"]["origin"] == "file"
    assert next(iter(listed)) == "greet-admin"  # decision order: priority 5 first

    assert admin.delete("/_mockllm/fixtures/greet-admin").json() == {"name": "greet-admin", "deleted": True}
    missing = admin.delete("/_mockllm/fixtures/greet-admin")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "fixture_not_found"


def test_post_yaml_with_models_and_single_fixture_shorthand(http: httpx.Client, admin: httpx.Client) -> None:
    yaml_doc = """
models:
  - id: acme-tiny
    owned_by: acme
    input_price: 4
fixtures:
  - name: acme
    match: {model: "acme-*"}
    reply: {content: "from acme"}
"""
    response = admin.post("/_mockllm/fixtures", content=yaml_doc, headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text
    assert response.json()["models"][0]["input_price"] == 4
    assert chat(http, "who are you?", model="acme-tiny").json()["choices"][0]["message"]["content"] == "from acme"
    single = admin.post("/_mockllm/fixtures", content="match: {user: zebra}\nreply: {content: stripes}\n")
    assert single.status_code == 201
    assert single.json()["data"][0]["name"].startswith("admin-")
    assert chat(http, "a zebra").json()["choices"][0]["message"]["content"] == "stripes"


def test_invalid_fixture_names_fixture_and_field(admin: httpx.Client) -> None:
    bad = {"fixtures": [{"name": "typo", "match": {"usr": "x"}, "reply": {"content": "y"}}]}
    response = admin.post("/_mockllm/fixtures", json=bad)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["code"] == "invalid_fixture"
    assert error["param"] == "fixtures[0].match.usr"
    assert "(typo)" in error["message"] and "did you mean 'user'" in error["message"]

    unknown_preset = [{"name": "p", "error": "rate_limited"}]
    error = admin.post("/_mockllm/fixtures", json=unknown_preset).json()["error"]
    assert error["param"] == "fixtures[0].error.preset" and "did you mean 'rate_limit'" in error["message"]
    # nothing of a rejected document is installed
    assert "typo" not in {f["name"] for f in admin.get("/_mockllm/fixtures").json()["data"]}


@pytest.mark.parametrize(
    ("body", "content_type", "needle"),
    [
        (b"", "application/json", "Empty body"),
        (b"{not json", "application/json", "Invalid JSON at line 1"),
        (b'{"fixtures": [], "fixtures": []}', "application/json", "duplicate key"),
        (b"fixtures: [\n", "application/yaml", "Invalid YAML"),
        (b"42", "application/json", "expected a mapping"),
    ],
)
def test_undecodable_documents(admin: httpx.Client, body: bytes, content_type: str, needle: str) -> None:
    response = admin.post("/_mockllm/fixtures", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert needle in response.json()["error"]["message"]


def test_duplicate_name_then_replace(admin: httpx.Client, http: httpx.Client) -> None:
    fixture = {"name": "dup", "match": {"user": "dup"}, "reply": {"content": "one"}}
    assert admin.post("/_mockllm/fixtures", json=[fixture]).status_code == 201
    again = admin.post("/_mockllm/fixtures", json=[{**fixture, "reply": {"content": "two"}}])
    assert again.status_code == 400 and "duplicate fixture name 'dup'" in again.json()["error"]["message"]
    replaced = admin.post("/_mockllm/fixtures?replace=1", json=[{**fixture, "reply": {"content": "two"}}])
    assert replaced.status_code == 201
    assert chat(http, "dup").json()["choices"][0]["message"]["content"] == "two"
    clash_with_file = admin.post("/_mockllm/fixtures", json=[{**fixture, "name": "greeting"}])
    assert clash_with_file.status_code == 400


def test_scripted_error_then_answer_and_fault(admin: httpx.Client, http: httpx.Client) -> None:
    document = [
        {
            "name": "flaky",
            "match": {"user": "flaky"},
            "replies": [{"error": {"preset": "rate_limit", "headers": {"retry-after-ms": "50"}}}, {"content": "ok"}],
        },
        {
            "name": "cut",
            "match": {"user": "cut me", "stream": True},
            "fault": {"kind": "disconnect", "after_chunks": 2},
        },
    ]
    assert admin.post("/_mockllm/fixtures", json=document).status_code == 201
    first = chat(http, "flaky call")
    assert first.status_code == 429 and first.headers["retry-after-ms"] == "50"
    assert first.json()["error"]["code"] == "rate_limit_exceeded"
    assert chat(http, "flaky call").json()["choices"][0]["message"]["content"] == "ok"
    with pytest.raises(httpx.RemoteProtocolError):
        chat(http, "cut me", stream=True)
    entries = admin.get("/_mockllm/journal").json()["data"]
    assert [(e["status"], e["source"], e["fault"]) for e in entries] == [
        (429, "flaky", None),
        (200, "flaky", None),
        (200, "cut", "disconnect"),
    ]


def test_journal_filters_and_paging(admin: httpx.Client, http: httpx.Client) -> None:
    before = time.time()
    chat(http, "hi there", headers={"x-mockllm-session": "alpha"})
    chat(http, "capital of France?", model="gpt-4o", headers={"x-mockllm-session": "beta"})
    chat(http, "what now", model="gpt-4o")
    chat(http, "bad", model="no-such-model")

    def get(**params: object) -> dict:
        response = admin.get("/_mockllm/journal", params=params)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        return response.json()

    everything = get()
    assert everything["total"] == 4 and everything["totals"]["requests"] == 4 and everything["totals"]["errors"] == 1
    seqs = [e["seq"] for e in everything["data"]]
    assert seqs == sorted(seqs) and everything["last_seq"] == seqs[-1]
    assert [e["model"] for e in get(session="alpha")["data"]] == ["gpt-4o-mini"]
    assert [e["session"] for e in get(model="gpt-4o")["data"]] == ["beta", None]
    assert [e["request"]["model"] for e in get(status=404)["data"]] == ["no-such-model"]
    assert get(since=before - 1)["total"] == 4 and get(since=time.time() + 60)["total"] == 0
    assert [e["seq"] for e in get(since_seq=seqs[1])["data"]] == seqs[2:]
    page = get(limit=2, offset=1)
    assert [e["seq"] for e in page["data"]] == seqs[1:3] and page["has_more"] is True
    assert get(limit=2, offset=2)["has_more"] is False

    one = admin.get(f"/_mockllm/journal/{seqs[1]}").json()
    assert one["source"] == "capital-of-france" and one["request"]["messages"][0]["content"] == "capital of France?"
    assert admin.get("/_mockllm/journal/999999").status_code == 404


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"status": "abc"}, "status"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_journal_bad_parameters(admin: httpx.Client, params: dict, param: str) -> None:
    response = admin.get("/_mockllm/journal", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_journal_keeps_near_misses_and_sdk_headers(admin: httpx.Client, http: httpx.Client) -> None:
    chat(http, "no fixture wants this", headers={"x-stainless-retry-count": "0", "x-other": "dropped"})
    entry = admin.get("/_mockllm/journal").json()["data"][-1]
    assert entry["outcome"] == "generator"
    assert {m["fixture"] for m in entry["near_misses"]} and entry["info"]["headers"] == {"x-stainless-retry-count": "0"}


def test_streamed_answer_is_journaled_when_the_client_has_it(admin: httpx.Client, http: httpx.Client) -> None:
    for _ in range(5):
        assert chat(http, "stream please", stream=True).status_code == 200
        assert admin.get("/_mockllm/journal").json()["data"][-1]["stream"] is True
    assert admin.get("/_mockllm/journal").json()["total"] == 5


def test_delete_journal_bumps_epoch(admin: httpx.Client, http: httpx.Client) -> None:
    chat(http, "one")
    before = admin.get("/_mockllm/journal").json()
    assert admin.delete("/_mockllm/journal").json() == {"deleted": 1}
    after = admin.get("/_mockllm/journal").json()
    assert after["total"] == 0 and after["epoch"] == before["epoch"] + 1
    chat(http, "two")
    assert admin.get("/_mockllm/journal").json()["data"][0]["seq"] > before["last_seq"]  # seq never restarts


def test_usage_report(admin: httpx.Client, http: httpx.Client) -> None:
    chat(http, "count my tokens", model="gpt-4o")
    chat(http, "and mine", model="gpt-4o")
    report = admin.get("/_mockllm/usage").json()
    (row,) = report["rows"]
    assert row["model"] == "gpt-4o" and row["requests"] == 2 and row["api_key"].startswith("sk-clien")
    assert report["totals"]["total_tokens"] == row["prompt_tokens"] + row["completion_tokens"] > 0
    assert report["totals"]["cost_usd"] > 0


def test_reset_restores_the_server_as_started(admin: httpx.Client, http: httpx.Client) -> None:
    fresh = chat(http, "tell me a story").content
    document = {
        "models": [{"id": "acme-x"}],
        "fixtures": [{"name": "seq", "replies": [{"content": "a"}, {"content": "b"}]}],
    }
    assert admin.post("/_mockllm/fixtures", json=document).status_code == 201
    assert chat(http, "anything").json()["choices"][0]["message"]["content"] == "a"
    reset = admin.post("/_mockllm/reset").json()["reset"]
    assert reset == {"fixtures": 1, "journal": 2}
    assert "seq" not in {f["name"] for f in admin.get("/_mockllm/fixtures").json()["data"]}
    assert "greeting" in {f["name"] for f in admin.get("/_mockllm/fixtures").json()["data"]}
    assert "acme-x" not in {m["id"] for m in admin.get("/_mockllm/models").json()["data"]}
    assert admin.get("/_mockllm/usage").json()["rows"] == []
    assert admin.get("/_mockllm/journal").json()["total"] == 0
    assert chat(http, "tell me a story").content == fresh  # ids restart too: byte for byte as fresh


def test_reset_restarts_sequences(admin: httpx.Client, http: httpx.Client) -> None:
    headers = {"x-test-case": "flaky"}
    assert chat(http, "x", headers=headers).status_code == 429
    admin.post("/_mockllm/reset")
    assert chat(http, "x", headers=headers).status_code == 429


def test_inspector_assets(admin: httpx.Client) -> None:
    page = admin.get("/_mockllm/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/_mockllm/ui/inspector.js" in page.text and "http" not in page.text.split("<body>")[1].split("</body>")[0]
    script = admin.get("/_mockllm/ui/inspector.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert admin.get("/_mockllm/ui/inspector.css").headers["content-type"].startswith("text/css")
    for path in ("/_mockllm/ui/missing.js", "/_mockllm/ui/..%2Fadmin.py", "/_mockllm/ui/admin.py"):
        assert admin.get(path).status_code == 404, path


def test_browser_guards(admin: httpx.Client, admin_server: MockServer) -> None:
    rebinding = admin.get("/_mockllm/journal", headers={"Host": f"evil.example:{admin_server.port}"})
    assert rebinding.status_code == 403
    assert admin.get("/_mockllm/journal", headers={"Host": f"localhost:{admin_server.port}"}).status_code == 200
    cross_site = admin.post("/_mockllm/reset", headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    same_site = admin.post("/_mockllm/reset", headers={"Origin": admin_server.root_url})
    assert same_site.status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.5", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_admin_access_rule() -> None:
    assert admin_access("127.0.0.1", None) == "open"
    assert admin_access("0.0.0.0", None) == "off"
    assert admin_access("0.0.0.0", "s3cret") == "token"
    assert admin_access("127.0.0.1", "s3cret") == "token"


def test_beyond_loopback_without_token_is_off() -> None:
    with MockServer(Settings(host="0.0.0.0", port=0)) as server, httpx.Client() as client:
        root = f"http://127.0.0.1:{server.port}"
        for path in ("/_mockllm/", "/_mockllm/journal", "/_mockllm/ui"):
            response = client.get(root + path)
            assert response.status_code == 404, path
            assert "error" in response.json()
        with httpx.Client(base_url=root) as api:
            assert chat(api, "hi").status_code == 200


def test_beyond_loopback_with_token() -> None:
    with MockServer(Settings(host="0.0.0.0", port=0, admin_token="s3cret")) as server, httpx.Client() as client:
        root = f"http://127.0.0.1:{server.port}/_mockllm"
        journal = f"{root}/journal"
        token = {"x-mockllm-admin-token": "s3cret"}
        missing = client.get(journal)
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_admin_token"
        assert client.get(journal, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get(journal, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.get(journal, headers=token).status_code == 200
        # Any Host is fine once a token guards the API; the static page carries no data and needs none.
        assert client.get(journal, headers={**token, "Host": "mock.internal"}).status_code == 200
        assert client.get(f"{root}/ui").status_code == 200
        config = client.get(f"{root}/config", headers=token)
        assert config.json()["admin_token"] is True and "s3cret" not in config.text
