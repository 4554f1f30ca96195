"""Embeddings benchmark: retrieval accuracy with plain cosine, and vectors per second over HTTP.

``.venv/bin/python bench/embeddings.py`` (also run by ``bench/run.py`` as the ``embeddings`` section).

Retrieval: a corpus generated here, deterministically (``random.Random(18)``), of short documents on
distinct topics: each is one sentence about a subject, in a place, with an object and a detail, e.g.
"The lighthouse keepers of Lisbon repaired the brass telescope after the winter storms." Every subject,
place and object recurs in several documents, so no single word identifies one; a document is identified
by its combination. Each query paraphrases one document: other function words, another verb, sometimes a
plural or a different case, and only some of its key words (the subject and place, or subject and
object, plus at times one more), e.g. "where in lisbon did a lighthouse keeper fix a telescope?". Every
document and query goes through ``POST /v1/embeddings`` of a real server; ranking is plain cosine over
all documents. Reported: top-1 and top-5 accuracy at native size (1,536) and at ``dimensions: 256``.

Speed: one request of 2,048 short inputs at 1,536 dimensions, base64 (openai-python's default) and
float: wall time through HTTP on loopback from sending the request to reading the last byte of the answer
(median of 3, after one warm-up request), and vectors per second.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODEL = "text-embedding-3-small"

SUBJECTS = (
    "lighthouse keeper", "beekeeper", "glassblower", "violin maker", "astronomer", "cartographer",
    "blacksmith", "falconer", "locksmith", "ferry captain", "cheesemaker", "mountain guide",
    "submarine engineer", "typesetter", "orchid grower", "chess coach", "volcanologist", "puppeteer",
    "clockmaker", "archivist", "surfer", "weaver", "marine biologist", "tailor", "baker", "potter",
    "goalkeeper", "fire lookout", "shepherd", "jeweler", "carpenter", "pharmacist", "radio operator",
    "translator", "dentist", "florist", "geologist", "pilot", "sommelier", "zookeeper",
)  # fmt: skip
PLACES = (
    "Lisbon", "Reykjavik", "Nairobi", "Kyoto", "Valparaiso", "Tromso", "Marrakesh", "Hobart", "Cusco",
    "Tallinn", "Dakar", "Bergen", "Oaxaca", "Tbilisi", "Galway", "Zanzibar", "Quebec", "Hanoi",
    "Antwerp", "Ushuaia", "Windhoek", "Kathmandu", "Palermo", "Vancouver", "Seville", "Manaus",
    "Krakow", "Darwin", "Bruges", "Yerevan", "Fez", "Juneau", "Porto", "Lima", "Riga", "Sapporo",
)  # fmt: skip
OBJECTS = (
    "brass telescope", "copper kettle", "wooden sledge", "silk banner", "leather saddle", "iron anvil",
    "paper lantern", "oak barrel", "glass prism", "wool blanket", "steel compass", "clay furnace",
    "canvas tent", "bronze bell", "marble statue", "rope ladder", "tin whistle", "wax seal",
    "stone oven", "pearl necklace", "rusty bicycle", "velvet curtain", "bamboo raft", "ivory chess set",
    "linen map", "cedar chest", "cobalt vase", "granite sundial", "feather quill", "hemp sail",
)  # fmt: skip
# (document verb, paraphrase verb): the query never reuses the document's verb.
VERBS = (
    ("repaired", "fixed"), ("painted", "decorated"), ("sold", "traded away"), ("polished", "cleaned"),
    ("carried", "hauled"), ("hid", "concealed"), ("found", "discovered"), ("built", "made"),
    ("lost", "misplaced"), ("borrowed", "took"), ("guarded", "protected"), ("measured", "gauged"),
)  # fmt: skip
DETAILS = (
    "after the winter storms", "before the spring festival", "during a long drought", "at dawn every Sunday",
    "for the harbour museum", "while the market was closed", "under a full moon", "for a wedding feast",
    "during the election", "before the tourists arrived", "after the earthquake", "for the royal visit",
)  # fmt: skip
QUERY_FORMS = (
    "in {place}, which {subject} {verb} a {object}?",
    "{Subject} {verb} the {object} in {place}",
    "which {subject} {verb} a {object} in {place}",
    "story of the {place} {subject} who {verb} a {object}",
    "{place}: {subject}, {object}",
    "the {object} that a {subject} {verb}",
    "{subject} in {place} {verb} something",
    "looking for the {subject} from {place}",
)


@dataclass(frozen=True)
class Doc:
    text: str
    subject: str
    place: str
    obj: str
    verb: tuple[str, str]
    detail: str


def plural(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") and last[-2] not in "aeiou" else last + "s"
    return f"{head} {last}".strip()


def corpus(size: int = 240, seed: int = 18) -> tuple[list[Doc], list[tuple[str, int]]]:
    """``size`` documents with distinct (subject, place, object) topics, and one query per document."""
    rng = random.Random(seed)
    combos = [(s, p, o) for s in SUBJECTS for p in PLACES for o in OBJECTS]
    rng.shuffle(combos)
    docs: list[Doc] = []
    used_pairs: set[tuple[str, str]] = set()
    for subject, place, obj in combos:
        # One document per (subject, place) and per (subject, object): a query naming two of the three
        # key words has exactly one right answer.
        if (subject, place) in used_pairs or (subject, obj) in used_pairs:
            continue
        used_pairs |= {(subject, place), (subject, obj)}
        verb, detail = rng.choice(VERBS), rng.choice(DETAILS)
        subj = plural(subject) if rng.random() < 0.3 else subject
        text = f"The {subj} of {place} {verb[0]} the {obj} {detail}."
        docs.append(Doc(text, subject, place, obj, verb, detail))
        if len(docs) == size:
            break
    queries: list[tuple[str, int]] = []
    for index, doc in enumerate(docs):
        form = QUERY_FORMS[index % len(QUERY_FORMS)]
        subject = plural(doc.subject) if rng.random() < 0.3 else doc.subject
        text = form.format(
            place=doc.place if rng.random() < 0.7 else doc.place.lower(),
            subject=subject,
            Subject=subject.capitalize(),
            verb=doc.verb[1],
            object=doc.obj.split()[-1] if rng.random() < 0.5 else doc.obj,
        )
        queries.append((text, index))
    return docs, queries


# ----- HTTP ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockllm", "serve", "--port", str(port), "--max-body-mb", "64"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("mockllm did not start")


def post_raw(port: int, body: dict[str, Any]) -> bytes:
    """The answer's bytes, read to the end (the client's own JSON parsing is not the server's time)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/v1/embeddings", json.dumps(body), {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"{response.status}: {data[:300]!r}")
    return data


def post(port: int, body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(post_raw(port, body))  # type: ignore[no-any-return]


def vectors(answer: dict[str, Any]) -> list[list[float]]:
    out = []
    for item in answer["data"]:
        value = item["embedding"]
        out.append(list(array("f", base64.b64decode(value))) if isinstance(value, str) else value)
    return out


def embed(port: int, texts: list[str], **options: Any) -> list[list[float]]:
    found: list[list[float]] = []
    for start in range(0, len(texts), 2048):
        found.extend(vectors(post(port, {"model": MODEL, "input": texts[start : start + 2048], **options})))
    return found


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def retrieval(port: int, dimensions: int | None = None) -> dict[str, float]:
    docs, queries = corpus()
    options = {"dimensions": dimensions} if dimensions else {}
    doc_vectors = embed(port, [d.text for d in docs], **options)
    query_vectors = embed(port, [q for q, _ in queries], **options)
    top1 = top5 = 0
    misses: list[str] = []
    for (query, right), qv in zip(queries, query_vectors, strict=True):
        scores = sorted(((dot(qv, dv), i) for i, dv in enumerate(doc_vectors)), reverse=True)
        ranked = [i for _, i in scores[:5]]
        top1 += ranked[0] == right
        top5 += right in ranked
        if ranked[0] != right and len(misses) < 3:
            misses.append(f"{query!r} -> {docs[ranked[0]].text!r} (wanted {docs[right].text!r})")
    n = len(queries)
    return {"documents": len(docs), "queries": n, "top1": top1 / n, "top5": top5 / n, "misses": misses}  # type: ignore[dict-item]


def speed(port: int, encoding_format: str, rounds: int = 3) -> dict[str, float]:
    rng = random.Random(7)
    words = [*SUBJECTS, *PLACES, *OBJECTS]
    texts = [f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} number {i}" for i in range(2048)]
    times = []
    body = {"model": MODEL, "input": texts, "encoding_format": encoding_format}
    post_raw(port, body)  # warm-up: the first request also loads the tokenizer
    for _ in range(rounds):
        started = time.perf_counter()
        data = post_raw(port, body)
        times.append(time.perf_counter() - started)
        answer = json.loads(data)
        assert len(answer["data"]) == 2048 and len(vectors(answer)[-1]) == 1536
    seconds = statistics.median(times)
    return {"seconds": seconds, "vectors_per_second": 2048 / seconds, "body_bytes": len(data)}


def run(port: int | None = None) -> dict[str, Any]:
    proc = None
    if port is None:
        port = free_port()
        proc = start_server(port)
    try:
        results: dict[str, Any] = {
            "retrieval_1536": retrieval(port),
            "retrieval_256": retrieval(port, 256),
            "speed_base64": speed(port, "base64"),
            "speed_float": speed(port, "float"),
        }
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return results


def report(results: dict[str, Any], log: Any = print) -> None:
    for key in ("retrieval_1536", "retrieval_256"):
        r = results[key]
        dims = key.rsplit("_", 1)[1]
        ok = "ok" if r["top1"] >= 0.9 else "BELOW GOAL"
        log(
            f"  retrieval at {dims} dims: {r['documents']} documents, {r['queries']} paraphrased queries: "
            f"top-1 {r['top1']:.3f}, top-5 {r['top5']:.3f} (goal top-1 >= 0.9: {ok})"
        )
        for miss in r["misses"]:
            log(f"    miss: {miss}")
    for key in ("speed_base64", "speed_float"):
        s = results[key]
        ok = "ok" if s["seconds"] < 1.0 else "ABOVE GOAL"
        log(
            f"  2,048 inputs x 1,536 dims, {key.split('_')[1]}: {s['seconds'] * 1000:.0f} ms over HTTP, "
            f"{s['vectors_per_second']:,.0f} vectors/s (goal < 1 s: {ok})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="use a running server instead of starting one")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = run(args.port)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report(results)


if __name__ == "__main__":
    main()
