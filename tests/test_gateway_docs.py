"""Issue #10: every code example in the gateways' docs runs unchanged against mockllm.

The examples live verbatim in ``tests/gateway_examples/`` (see its README for which section each one
is). Here each is copied to a temporary folder with only the base URL and the placeholder key swapped,
then run the way a reader would run it: Python scripts and the curl/Node examples as subprocesses (all
at once, so the module stays fast), fragments (parameter lines, payloads, message dicts) evaluated and
sent. Each gateway's examples talk to a server started with that gateway's ``--profile`` and with
``api_keys`` set, so an example that kept its placeholder key would fail with 401.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import runpy
import shutil
import subprocess
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import pytest
import requests

from mockllm.config import Settings
from mockllm.server import MockServer

EXAMPLES = Path(__file__).resolve().parent / "gateway_examples"
NODE_DIR = Path(__file__).resolve().parent / "node"
KEY = "sk-mockllm-docs"
DOC_BASE_URLS = {
    "mytokengate": "https://gateway.mytokengate.com/v1",
    "siliconflow": "https://api.siliconflow.cn/v1",
    "tokensmind": "https://tokensmind.ai/v1",
}
DOC_KEYS = ("YOUR_API_KEY", "YOUR_KEY", "您的 APIKEY", "<Tokensmind_API_KEY>")
UUID_UPPER = re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}")

#: The profile hooks (ids, stream delta defaults, annotations on the finish chunk) live in shaping, render
#: and the pipeline; until those diffs land the examples that depend on them are expected to fail.


def summarize(result: Any) -> dict[str, Any]:
    """What the example's ``response`` / ``completion`` variable holds, for the assertions."""
    summary: dict[str, Any] = {"type": type(result).__name__}
    if hasattr(result, "choices"):
        message = result.choices[0].message
        summary.update(
            id=result.id,
            model=result.model,
            content=message.content,
            reasoning_content=(message.model_extra or {}).get("reasoning_content"),
        )
    elif hasattr(result, "status_code"):
        summary.update(status=result.status_code, body=result.json())
    return summary


def swapped(name: str, base_url: str) -> str:
    """The example's text with the gateway's base URL and placeholder key replaced, nothing else."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    for doc_url in DOC_BASE_URLS.values():
        text = text.replace(doc_url, base_url)
    for placeholder in DOC_KEYS:
        text = text.replace(placeholder, KEY)
    assert not any(url in text for url in DOC_BASE_URLS.values()), f"{name}: a gateway URL survived the swap"
    return text


@dataclass
class Run:
    """One example's outcome: exit status (0, or 1 for an exception in-process), output, summary."""

    name: str
    returncode: int
    stdout: str
    stderr: str
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def printed(self) -> str:
        return self.stdout

    def check(self) -> Run:
        assert self.returncode == 0, (
            f"{self.name} exited {self.returncode}:\n{self.stderr[-3000:]}\nstdout:\n{self.stdout[-1000:]}"
        )
        return self


# ----- servers and runs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, MockServer]]:
    started: dict[str, MockServer] = {}
    try:
        for profile in ("mytokengate", "siliconflow", "tokensmind", "opensearch"):
            started[profile] = MockServer(Settings(port=0, profile=profile, api_keys=(KEY,), seed=10)).start()
        # fetch prints nothing: its own server's journal is how the test sees that it was answered
        started["fetch"] = MockServer(Settings(port=0, profile="tokensmind", api_keys=(KEY,))).start()
        yield started
    finally:
        for server in started.values():
            server.stop()


def _node_modules() -> Path | None:
    """``tests/node/node_modules`` (the openai Node SDK), installed as tests/test_node_sdk.py does."""
    npm = shutil.which("npm")
    if shutil.which("node") is None:
        return None
    modules = NODE_DIR / "node_modules"
    if not (modules / "openai" / "package.json").exists():
        if npm is None:
            return None
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True, timeout=600)
    return modules if (modules / "openai" / "package.json").exists() else None


PYTHON_EXAMPLES = {
    "mytokengate_dialogue.py": "mytokengate",
    "mytokengate_image.py": "mytokengate",
    "mytokengate_json.py": "mytokengate",
    "mytokengate_techdoc.py": "mytokengate",
    "mytokengate_data_analysis.py": "mytokengate",
    "mytokengate_vision_image.py": "mytokengate",
    "mytokengate_vision_multi.py": "mytokengate",
    "siliconflow_dialogue.py": "siliconflow",
    "siliconflow_image.py": "siliconflow",
    "siliconflow_json.py": "siliconflow",
    "siliconflow_techdoc.py": "siliconflow",
    "siliconflow_data_analysis.py": "siliconflow",
    "tokensmind_requests.py": "tokensmind",
    "tokensmind_sdk.py": "tokensmind",
}


def run_python(path: Path) -> Run:
    """Run one Python example in this process, as ``python path`` would (``__name__ == "__main__"``).

    In-process because each interpreter would spend ~2 s importing the SDK on a small CI machine; an
    exception is the "non-zero exit" here, reported with its traceback.
    """
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            scope = runpy.run_path(str(path), run_name="__main__")
    except BaseException:
        return Run(path.name, 1, out.getvalue(), traceback.format_exc())
    return Run(path.name, 0, out.getvalue(), "", summarize(scope.get("response", scope.get("completion"))))


@pytest.fixture(scope="module")
def runs(servers: dict[str, MockServer], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every script example: curl and Node as subprocesses (started first, they run meanwhile), Python in
    process; each with only its base URL and key swapped."""
    folder = tmp_path_factory.mktemp("gateway-examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}  # the swap alone must do it
    env["NO_COLOR"] = "1"
    commands: dict[str, tuple[list[str], Path]] = {}
    curl = shutil.which("curl")
    if curl is not None:
        (folder / "tokensmind_curl.sh").write_text(swapped("tokensmind_curl.sh", servers["tokensmind"].base_url))
        commands["tokensmind_curl.sh"] = (["bash", str(folder / "tokensmind_curl.sh")], folder)
    if shutil.which("node") is not None:
        (folder / "tokensmind_fetch.js").write_text(swapped("tokensmind_fetch.js", servers["fetch"].base_url))
        commands["tokensmind_fetch.js"] = (["node", str(folder / "tokensmind_fetch.js")], folder)
        modules = _node_modules()
        if modules is not None:
            node_folder = folder / "node-sdk"
            node_folder.mkdir()
            (node_folder / "node_modules").symlink_to(modules, target_is_directory=True)
            script = swapped("tokensmind_sdk.mjs", servers["tokensmind"].base_url)
            (node_folder / "tokensmind_sdk.mjs").write_text(script)
            commands["tokensmind_sdk.mjs"] = (["node", "tokensmind_sdk.mjs"], node_folder)
    processes = {
        name: subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8"
        )
        for name, (command, cwd) in commands.items()
    }
    results: dict[str, Run] = {}
    for name, profile in PYTHON_EXAMPLES.items():
        path = folder / name
        path.write_text(swapped(name, servers[profile].base_url), encoding="utf-8")
        results[name] = run_python(path)
    # The reasoning variant: SiliconFlow's dialogue example on its reasoning model, to see it print
    # reasoning_content (the doc's own model, DeepSeek-V3, has none).
    variant = swapped("siliconflow_dialogue.py", servers["siliconflow"].base_url)
    variant = variant.replace('model="deepseek-ai/DeepSeek-V3"', 'model="deepseek-ai/DeepSeek-R1"')
    (folder / "siliconflow_dialogue_r1.py").write_text(variant, encoding="utf-8")
    results["siliconflow_dialogue_r1.py"] = run_python(folder / "siliconflow_dialogue_r1.py")
    for name, process in processes.items():
        try:
            out, err = process.communicate(timeout=180)  # Node starts slowly on a busy machine
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        results[name] = Run(name, process.returncode, out, err)
    return results


def run_of(runs: dict[str, Run], name: str) -> Run:
    if name not in runs:
        pytest.skip(f"{name}: its interpreter (curl / node / the Node SDK) is not available here")
    return runs[name].check()


# ----- MyTokenGate -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mytokengate_dialogue.py", "mytokengate_vision_image.py"])
def test_mytokengate_streaming_examples_print_the_answer(runs: dict[str, Run], name: str) -> None:
    run = run_of(runs, name)
    assert run.summary["type"] == "Stream"
    assert len(run.printed.split()) >= 6, run.printed


@pytest.mark.parametrize(
    ("name", "images"),
    [("mytokengate_image.py", 1), ("mytokengate_vision_image.py", 1), ("mytokengate_vision_multi.py", 2)],
)
def test_image_examples_answer_about_their_unfetched_images(runs: dict[str, Run], name: str, images: int) -> None:
    run = run_of(runs, name)
    assert run.printed.startswith(f"I see {images} image(s): "), run.printed[:200]


@pytest.mark.parametrize("name", ["mytokengate_json.py", "siliconflow_json.py"])
def test_json_examples_print_a_json_object(runs: dict[str, Run], name: str) -> None:
    printed = run_of(runs, name).printed.strip()
    assert isinstance(json.loads(printed), dict), printed


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("mytokengate_techdoc.py", "claude-sonnet-4-6"),
        ("mytokengate_data_analysis.py", "gemini-2.5-pro"),
        ("siliconflow_techdoc.py", "Qwen/Qwen2.5-Coder-32B-Instruct"),
        ("siliconflow_data_analysis.py", "Qwen/QVQ-72B-Preview"),
    ],
)
def test_case_study_examples_get_an_answer(runs: dict[str, Run], name: str, model: str) -> None:
    summary = run_of(runs, name).summary
    assert summary["type"] == "ChatCompletion" and summary["model"] == model
    assert summary["content"] and len(summary["content"].split()) >= 6


def test_siliconflow_reasoning_model_answers_with_reasoning(runs: dict[str, Run]) -> None:
    """QVQ-72B-Preview (the data-analysis example) is a reasoning model: its answer carries reasoning."""
    summary = run_of(runs, "siliconflow_data_analysis.py").summary
    assert summary["reasoning_content"]


def _client(server: MockServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0)


def _fragment(name: str) -> dict[str, Any]:
    """Parameter lines (``temperature=0.5  # ...``) as keyword arguments; ``true`` is the JSON block's."""
    scope: dict[str, Any] = {"true": True, "false": False}
    exec((EXAMPLES / name).read_text(encoding="utf-8"), scope)
    return {k: v for k, v in scope.items() if not k.startswith("__") and k not in ("true", "false")}


PARAM_SNIPPETS = {
    "mytokengate": ["mytokengate_params_creativity.py", "mytokengate_params_output.py"],
    "siliconflow": ["siliconflow_params_creativity.txt", "siliconflow_params_output.txt"],
}


@pytest.mark.parametrize(
    ("profile", "model", "names"),
    [
        ("mytokengate", "gpt-4o", PARAM_SNIPPETS["mytokengate"]),
        ("siliconflow", "deepseek-ai/DeepSeek-V3", PARAM_SNIPPETS["siliconflow"]),
    ],
)
def test_parameter_snippets_are_accepted_together(
    servers: dict[str, MockServer], profile: str, model: str, names: list[str]
) -> None:
    params: dict[str, Any] = {}
    for name in names:
        params.update(_fragment(name))
    assert params["stream"] is True and params["stop"] == ["\n##", "<|end|>"] and params["temperature"] == 0.5
    stream = _client(servers[profile]).chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Explain recursion."}], **params
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text and "\n##" not in text


@pytest.mark.parametrize(
    ("profile", "name", "model"),
    [
        ("mytokengate", "mytokengate_payload.py", "gpt-4o"),
        ("siliconflow", "siliconflow_payload.py", "Qwen/Qwen2.5-Math-72B-Instruct"),
    ],
)
def test_troubleshooting_payloads_with_top_k_are_accepted(
    servers: dict[str, MockServer], profile: str, name: str, model: str
) -> None:
    payload = _fragment(name)["payload"]
    assert payload["top_k"] == 50
    response = requests.post(
        servers[profile].base_url + "/chat/completions",
        json=payload,
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"].startswith(model) and body["usage"]["completion_tokens"] <= 200


def _jpeg() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(buffer, format="JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("name", "model", "count"),
    [
        ("mytokengate_vision_message_url.py", "gpt-4o", 1),
        ("mytokengate_vision_message_base64.py", "gpt-4o", 1),
        ("mytokengate_vision_message_multi.py", "gemini-2.5-pro", 2),
    ],
)
def test_vision_message_formats(servers: dict[str, MockServer], name: str, model: str, count: int) -> None:
    message = eval((EXAMPLES / name).read_text(encoding="utf-8"), {"base64_image": _jpeg()})
    response = _client(servers["mytokengate"]).chat.completions.create(model=model, messages=[message])
    assert response.choices[0].message.content.startswith(f"I see {count} image(s): ")
    if name.endswith("base64.py"):  # detail "low": gpt-4o charges 85 tokens whatever the size
        text_only = _client(servers["mytokengate"]).chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Describe this image"}]
        )
        assert response.usage.prompt_tokens - text_only.usage.prompt_tokens == 85


# ----- SiliconFlow -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["siliconflow_dialogue.py", "siliconflow_image.py"])
def test_siliconflow_streaming_examples_run(runs: dict[str, Run], name: str) -> None:
    """The examples read ``delta.reasoning_content`` on every chunk: it must be there, null when unused."""
    run = run_of(runs, name)
    assert len(run.printed.split()) >= 6, run.printed


def test_siliconflow_dialogue_prints_reasoning_then_answer(
    runs: dict[str, Run], servers: dict[str, MockServer]
) -> None:
    printed = run_of(runs, "siliconflow_dialogue_r1.py").printed
    full = _client(servers["siliconflow"]).chat.completions.create(
        model="deepseek-ai/DeepSeek-R1",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Write a haiku about recursion in programming."},
        ],
        temperature=0.7,
        max_tokens=1024,
    )
    reasoning = full.choices[0].message.model_extra["reasoning_content"]
    assert reasoning and printed == reasoning + full.choices[0].message.content


# ----- Tokensmind ------------------------------------------------------------------------------------


def test_tokensmind_requests_example(runs: dict[str, Run]) -> None:
    summary = run_of(runs, "tokensmind_requests.py").summary
    assert summary["status"] == 200
    body = summary["body"]
    assert body["object"] == "chat.completion" and body["model"] == "gpt-4o-mini-2024-07-18"
    assert body["choices"][0]["message"]["content"]


def test_tokensmind_curl_example(runs: dict[str, Run]) -> None:
    body = json.loads(run_of(runs, "tokensmind_curl.sh").stdout)
    assert body["object"] == "chat.completion" and body["choices"][0]["message"]["content"]


def test_tokensmind_fetch_example(runs: dict[str, Run], servers: dict[str, MockServer]) -> None:
    run_of(runs, "tokensmind_fetch.js")
    journal = servers["fetch"].pipeline.journal
    deadline = time.monotonic() + 5
    while not journal.entries() and time.monotonic() < deadline:  # the entry lands just after the answer
        time.sleep(0.02)
    (entry,) = journal.entries()
    assert (entry.status, entry.model, entry.outcome) == (200, "gpt-4o-mini", "generator")


def test_tokensmind_python_sdk_example(runs: dict[str, Run]) -> None:
    """``developer`` role, ``seed`` and the sampling parameters, as the doc sends them."""
    run = run_of(runs, "tokensmind_sdk.py")
    assert run.printed.strip() and run.summary["content"] == run.printed.strip()


def test_tokensmind_node_sdk_example(runs: dict[str, Run]) -> None:
    out = run_of(runs, "tokensmind_sdk.mjs").stdout
    assert "role: 'assistant'" in out and "content: '" in out


def _search_options() -> dict[str, Any]:
    """The doc's argument line ``web_search_options={}, # 搜索参数`` as keyword arguments."""
    text = (EXAMPLES / "tokensmind_search_options.py").read_text(encoding="utf-8")
    return eval(f"dict({text}\n)")


@pytest.mark.parametrize("model", ["gpt-4o-search-preview", "gpt-4o-mini-search-preview"])
def test_tokensmind_search_models_take_web_search_options(servers: dict[str, MockServer], model: str) -> None:
    completion = _client(servers["tokensmind"]).chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "What is the meaning of life?"}],
        **_search_options(),
    )
    message = completion.choices[0].message
    assert message.annotations and all(a.type == "url_citation" for a in message.annotations)
    for annotation in message.annotations:
        cited = message.content[annotation.url_citation.start_index : annotation.url_citation.end_index]
        assert (
            cited
            == f"([{annotation.url_citation.url.split('/')[2].removeprefix('www.')}]({annotation.url_citation.url}))"
        )


def test_tokensmind_search_models_refuse_the_sdk_examples_sampling(servers: dict[str, MockServer]) -> None:
    """ "注意搜索模型暂不支持 temperature 等细节参数": the SDK example's parameters on a search model."""
    with pytest.raises(openai.BadRequestError) as info:
        _client(servers["tokensmind"]).chat.completions.create(
            model="gpt-4o-search-preview",
            messages=[{"role": "user", "content": "What is the meaning of life?"}],
            temperature=0.8,
            top_p=1,
            frequency_penalty=0,
            presence_penalty=0,
            **_search_options(),
        )
    assert info.value.body["message"] == (
        "Model incompatible request arguments supplied: frequency_penalty, presence_penalty, temperature, top_p"
    )


# ----- OpenSearch ------------------------------------------------------------------------------------


def test_opensearch_request_example(servers: dict[str, MockServer]) -> None:
    """The request table's example values, with its ``messages`` example, answer as its response table says."""
    messages = json.loads((EXAMPLES / "opensearch_messages.json").read_text(encoding="utf-8"))
    response = _client(servers["opensearch"]).chat.completions.with_raw_response.create(
        model="ops-qwen-turbo",
        messages=messages,
        max_tokens=1024,
        temperature=1,
        top_p=0.8,
        presence_penalty=0,
        frequency_penalty=0,
        stop=None,
        stream=False,
    )
    body = response.http_response.json()
    assert body["object"] == "chat.completion" and body["model"] == "ops-qwen-turbo"
    assert type(body["created"]) is int
    (choice,) = body["choices"]
    assert choice["index"] == 0 and choice["message"]["role"] == "assistant" and choice["message"]["content"]
    assert choice["finish_reason"] in ("stop", "length")
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_opensearch_ids_are_bare_uppercase_uuids(servers: dict[str, MockServer]) -> None:
    """The response table's example id is ``2244F3A8-4201-4F37-BF86-42013B1026D6``."""
    completion = _client(servers["opensearch"]).chat.completions.create(
        model="ops-qwen-turbo", messages=[{"role": "user", "content": "What is the capital of Henan?"}]
    )
    assert UUID_UPPER.fullmatch(completion.id), completion.id
