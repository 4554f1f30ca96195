"""Issue #5: the official openai Node SDK streams from mockllm and sees what the Python SDK sees.

``tests/node/stream.mjs`` streams one completion (with ``include_usage``) and prints a JSON summary; this
test installs its pinned dependency once (``npm install`` into ``tests/node/node_modules``), runs it
against the session server, and compares with the same request made through openai-python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openai
import pytest

from mockllm.server import MockServer

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "stream.mjs"


@pytest.fixture(scope="session")
def node_sdk() -> Path:
    """``tests/node`` with its dependencies installed (skips only when node/npm are absent)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: the Node SDK check needs both")
    if not (NODE_DIR / "node_modules" / "openai" / "package.json").exists():
        lock = NODE_DIR / "package-lock.json"
        command = [npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund"]
        done = subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0 and command[1] == "ci":  # an out-of-date lock file: fall back to install
            command[1] = "install"
            done = subprocess.run(command, cwd=NODE_DIR, capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return NODE_DIR


def run_node(node_dir: Path, base_url: str, request: dict[str, Any]) -> dict[str, Any]:
    return run_script(node_dir, SCRIPT, base_url, json.dumps(request))


def run_script(node_dir: Path, script: Path, *args: str) -> dict[str, Any]:
    """Run a Node script of tests/node with no OPENAI_* variables leaking in; its last stdout line is JSON."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENAI_")}
    env["NO_COLOR"] = "1"
    done = subprocess.run(
        ["node", str(script), *args],
        cwd=node_dir,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_python(base_url: str, request: dict[str, Any]) -> dict[str, Any]:
    client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0)
    stream = client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True})
    choices: dict[int, dict[str, Any]] = {}
    chunks = 0
    ids, created = set(), set()
    usage = None
    for chunk in stream:
        chunks += 1
        ids.add(chunk.id)
        created.add(chunk.created)
        if chunk.usage is not None:
            usage = chunk.usage.model_dump(exclude_unset=True)
        for c in chunk.choices:
            acc = choices.setdefault(
                c.index, {"index": c.index, "text": "", "reasoning": "", "tool_calls": [], "finish_reason": None}
            )
            acc["text"] += c.delta.content or ""
            acc["reasoning"] += (c.delta.model_extra or {}).get("reasoning_content") or ""
            for call in c.delta.tool_calls or []:
                if call.index == len(acc["tool_calls"]):
                    acc["tool_calls"].append({"id": None, "name": "", "arguments": ""})
                slot = acc["tool_calls"][call.index]
                slot["id"] = call.id or slot["id"]
                slot["name"] += (call.function.name or "") if call.function else ""
                slot["arguments"] += (call.function.arguments or "") if call.function else ""
            acc["finish_reason"] = c.finish_reason or acc["finish_reason"]
    ordered = [choices[i] for i in sorted(choices)]
    return {"text": ordered[0]["text"], "chunks": chunks, "usage": usage, "ids": ids, "created": created,
            "choices": ordered}  # fmt: skip


CASES = {
    "generator": {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Tell me about the history of Rome."}],
    },
    "chinese-n2": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "请介绍一下长城的历史。"}], "n": 2},
    "reasoning": {"model": "deepseek-ai/DeepSeek-R1", "messages": [{"role": "user", "content": "9.11 or 9.9?"}]},
    "tool-call": {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "What's the weather like in Paris?"}],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_node_sdk_stream_matches_python_sdk(node_sdk: Path, server: MockServer, case: str) -> None:
    request = CASES[case]
    node = run_node(node_sdk, server.base_url, request)
    py = run_python(server.base_url, request)

    # One stream, one id and one `created` on every chunk, in both SDKs.
    assert len(node["ids"]) == 1 and node["ids"][0].startswith("chatcmpl-")
    assert len(node["created"]) == 1 and len(py["created"]) == 1
    assert node["usage_chunks"] == 1
    # Same answer, same chunking, same usage. (Tool-call ids and completion ids are per request.)
    assert node["chunks"] == py["chunks"]
    assert node["text"] == py["text"]
    assert node["usage"] == py["usage"]
    for n_choice, p_choice in zip(node["choices"], py["choices"], strict=True):
        assert n_choice["text"] == p_choice["text"]
        assert n_choice["reasoning"] == p_choice["reasoning"]
        assert n_choice["finish_reason"] == p_choice["finish_reason"]
        assert [(c["name"], c["arguments"]) for c in n_choice["tool_calls"]] == [
            (c["name"], c["arguments"]) for c in p_choice["tool_calls"]
        ]
        assert all(c["id"].startswith("call_") for c in n_choice["tool_calls"])

    full = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0).chat.completions.create(**request)
    assert node["usage"] == full.usage.model_dump(exclude_unset=True)
    assert [c["text"] for c in node["choices"]] == [c.message.content or "" for c in full.choices]
    if case == "reasoning":
        assert node["choices"][0]["reasoning"] == full.choices[0].message.model_extra["reasoning_content"]
    if case == "tool-call":
        assert node["choices"][0]["finish_reason"] == "tool_calls"
        assert json.loads(node["choices"][0]["tool_calls"][0]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    if case == "chinese-n2":
        assert len(node["choices"]) == 2 and node["choices"][0]["text"] != node["choices"][1]["text"]
