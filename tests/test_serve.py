"""``tierscope serve``, end to end: a real receiver process, real HTTP requests, the spool loaded by ``watch``.

Every accepted body must reach the database exactly once (counts and token sums compared with what was sent),
through SIGKILLs and concurrent clients; malformed, oversized, slow and unauthorised requests are refused.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import re
import resource
import select
import socket
import subprocess
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.streaming_support import (
    REPO,
    TIERSCOPE,
    Totals,
    expected,
    health,
    lines,
    litellm_record,
    post,
    records,
    serve,
    stored,
    watch_once,
)
from tierscope.ingest.formats import allowlist
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.serve import is_loopback, require_token
from tierscope.ingest.spool import Spool, spool_dir
from tierscope.queries.db import connect, sql_text
from tierscope.settings import DEFAULT_ROUTING

OTLP_SAMPLE = REPO / "tierscope" / "sample_logs" / "formats" / "otel_genai.jsonl"


def test_litellm_and_otlp_bodies_are_spooled_then_loaded_by_watch(tmp_path: Path) -> None:
    db, empty = tmp_path / "calls.duckdb", tmp_path / "nothing-to-tail"
    empty.mkdir()
    receiver, url = serve(db)
    array, ndjson, single = records("arr", 30), records("nd", 20), records("one", 1)
    for record in array[:5]:  # as LiteLLM logs them unless told to redact: prompt and completion included
        record["messages"] = [{"role": "user", "content": "PROMPT-TEXT"}]
        record["response"] = {"model": "gpt-4o-mini-2024-07-18", "choices": [{"message": {"content": "ANSWER-TEXT"}}]}
    otlp = OTLP_SAMPLE.read_text().splitlines()[:3]
    try:
        # LiteLLM's generic API logger: log_format json_array (default), ndjson and single
        assert post(f"{url}/litellm", json.dumps(array).encode()) == (200, {"accepted": 30})
        assert post(f"{url}/litellm", lines(ndjson), "application/x-ndjson") == (200, {"accepted": 20})
        assert post(f"{url}/litellm", json.dumps(single[0], indent=2).encode()) == (200, {"accepted": 1})
        # OTLP/HTTP JSON, plain and gzip-compressed as the collector's exporter sends it by default
        assert post(f"{url}/v1/traces", otlp[0].encode()) == (200, {})
        assert post(f"{url}/v1/traces", gzip.compress(otlp[1].encode()), headers={"Content-Encoding": "gzip"}) == (
            200,
            {},
        )
        assert post(f"{url}/v1/traces", json.dumps(json.loads(otlp[2]), indent=1).encode()) == (200, {})
        counters = health(url)
        body_bytes = sum(path.stat().st_size for path in spool_dir(db).iterdir() if path.is_file())
        assert {key: counters[key] for key in ("received", "received_records", "rejected", "spooled_files")} == {
            "received": 6,
            "received_records": 54,
            "rejected": 0,
            "spooled_files": 6,
        }
        assert counters["spooled_bytes"] == body_bytes == counters["spool_backlog_bytes"]
        assert counters["spool_backlog_files"] == 6 and counters["uptime_seconds"] > 0
        spooled = b"".join(path.read_bytes() for path in spool_dir(db).iterdir() if path.is_file())
        assert b"PROMPT-TEXT" not in spooled and b"ANSWER-TEXT" not in spooled
    finally:
        assert receiver.stop() == 0
    # serve never opens the database: watch (owning it) drains the spool
    assert not db.exists()
    watch_once(empty, db)
    assert stored(db, "arr-") == expected(array)
    with duckdb.connect(str(db), read_only=True) as con:
        served = con.execute("select distinct served_model from calls where request_id in ('arr-0', 'arr-4')")
        assert served.fetchall() == [("gpt-4o-mini-2024-07-18",)]  # the response's model is kept
    assert stored(db, "nd-") == expected(ndjson)
    assert stored(db, "one-") == expected(single)
    # the spans, loaded straight from a file, give the same calls and tokens
    direct = tmp_path / "otlp.jsonl"
    direct.write_text("\n".join(otlp) + "\n")
    con = connect(tmp_path / "direct.duckdb")
    ingest_paths(con, [direct])
    con.close()
    litellm, spans = expected(array + ndjson + single), stored(tmp_path / "direct.duckdb")
    assert spans.calls > 0
    assert stored(db) == Totals(
        litellm.calls + spans.calls,
        litellm.distinct_ids + spans.distinct_ids,
        litellm.input_tokens + spans.input_tokens,
        litellm.output_tokens + spans.output_tokens,
    )
    assert Spool(spool_dir(db)).pending() == []


@pytest.fixture(scope="module")
def shared_receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One receiver for the tests that only send requests (its URL and database path)."""
    db = tmp_path_factory.mktemp("receiver") / "calls.duckdb"
    receiver, url = serve(db)
    yield url, db
    receiver.stop()


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "reason"),
    [
        ("/litellm", b"not json", "application/json", 400, "not valid JSON"),
        ("/litellm", b"[1, 2]", "application/json", 400, "element 0 of the array: a JSON object expected"),
        ("/litellm", b'{"id": "a"}\n{"id": ', "application/json", 400, "line 2: not valid JSON"),
        ("/litellm", b"[]", "application/json", 400, "no records"),
        ("/litellm", b"", "application/json", 400, "empty body"),
        ("/v1/traces", b'{"spans": []}', "application/json", 400, "resourceSpans"),
        ("/v1/traces", b"\x0a\x02", "application/x-protobuf", 415, "JSON encoding"),
        ("/v1/logs", b"{}", "application/json", 404, "no such endpoint"),
        ("/litellm/", b"[]", "application/json", 404, "no such endpoint"),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(
    shared_receiver: tuple[str, Path], path: str, body: bytes, content_type: str, status: int, reason: str
) -> None:
    url, db = shared_receiver
    before = health(url)
    answer_status, answer = post(f"{url}{path}", body, content_type)
    assert answer_status == status and reason in answer["error"]
    after = health(url)
    assert (after["received"] - before["received"], after["rejected"] - before["rejected"]) == (0, 1)
    assert Spool(spool_dir(db)).pending() == []


def test_body_size_limit_and_slow_clients(tmp_path: Path) -> None:
    receiver, url = serve(tmp_path / "calls.duckdb", "--max-body-bytes", "5000", "--timeout", "0.5")
    try:
        small, large = records("s", 2), records("l", 40)
        assert post(f"{url}/litellm", json.dumps(small).encode())[0] == 200
        status, answer = post(f"{url}/litellm", json.dumps(large).encode())
        assert status == 413 and "5,000-byte limit" in answer["error"]
        # a small gzip body that expands beyond the limit is refused too
        status, _ = post(
            f"{url}/litellm", gzip.compress(json.dumps(large).encode()), headers={"Content-Encoding": "gzip"}
        )
        assert status == 413

        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as slow:
            slow.sendall(
                b"POST /litellm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            started = time.monotonic()
            answer_bytes = slow.recv(4096)  # the receiver gives up on the body and closes the connection
            while answer_bytes and slow.recv(4096):
                pass
            assert time.monotonic() - started < 5
        assert post(f"{url}/litellm", json.dumps(small).encode())[0] == 200  # others are still served
        assert health(url)["received"] == 2
    finally:
        receiver.stop()


def test_a_bearer_token_is_required_beyond_loopback(tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("127.0.0.2") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.10")
    require_token("127.0.0.2", None)
    require_token("0.0.0.0", "secret")
    with pytest.raises(ValueError, match="needs a bearer token"):
        require_token("0.0.0.0", None)
    refused = subprocess.run(
        [TIERSCOPE, "serve", "--db", str(tmp_path / "calls.duckdb"), "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={name: value for name, value in os.environ.items() if name != "TIERSCOPE_TOKEN"},
        cwd=REPO,
    )
    assert refused.returncode == 2 and "needs a bearer token" in refused.stderr

    receiver, url = serve(tmp_path / "calls.duckdb", env={"TIERSCOPE_TOKEN": "s3cret"})
    try:
        body = json.dumps(records("t", 1)).encode()
        status, answer = post(f"{url}/litellm", body)
        assert status == 401 and "Bearer" in answer["error"]
        assert post(f"{url}/litellm", body, headers={"Authorization": "Bearer wrong"})[0] == 401
        assert post(f"{url}/litellm", body, headers={"Authorization": "Bearer s3cret"})[0] == 200
    finally:
        receiver.stop()


def test_concurrent_posts_from_several_clients_lose_nothing(tmp_path: Path) -> None:
    db, empty = tmp_path / "calls.duckdb", tmp_path / "nothing-to-tail"
    empty.mkdir()
    receiver, url = serve(db)
    batches = [records(f"c{client}", 40, start=batch * 40) for client in range(8) for batch in range(15)]
    statuses: list[int] = []

    def client(mine: list[list[dict[str, Any]]]) -> None:
        for batch in mine:
            statuses.append(post(f"{url}/litellm", json.dumps(batch).encode())[0])

    try:
        threads = [threading.Thread(target=client, args=(batches[index::8],)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * len(batches)
        assert health(url)["received_records"] == 8 * 15 * 40
    finally:
        receiver.stop()
    watch_once(empty, db)
    assert stored(db) == expected(record for batch in batches for record in batch)


def test_sigkill_of_the_receiver_and_of_the_loader_mid_stream_loses_nothing(tmp_path: Path) -> None:
    """A client posts batch after batch and retries until it gets a 200 (as a log shipper does); the receiver is
    SIGKILLed twice and restarted, the loader (watch) is SIGKILLed while it drains. Every event lands once (a batch
    sent again because its answer was lost in a kill shows as duplicates in the ledger, never twice in requests)."""
    db, empty = tmp_path / "calls.duckdb", tmp_path / "nothing-to-tail"
    empty.mkdir()
    batches = [records("z", 50, start=batch * 50) for batch in range(60)]
    receiver, url = serve(db)
    current = {"url": url}
    done = threading.Event()
    failed_posts: list[str] = []

    def shipper() -> None:
        for batch in batches:
            while True:
                try:
                    if post(f"{current['url']}/litellm", json.dumps(batch).encode())[0] == 200:
                        break
                except (urllib.error.URLError, ConnectionError, OSError) as error:
                    failed_posts.append(str(error))
                    time.sleep(0.02)
            time.sleep(0.02)
        done.set()

    sender = threading.Thread(target=shipper)
    sender.start()
    loader = subprocess.Popen([TIERSCOPE, "watch", str(empty), "--db", str(db), "--interval", "0.1"], cwd=REPO)
    for _ in range(2):
        time.sleep(0.4)
        receiver.kill()
        receiver, current["url"] = serve(db)
    time.sleep(0.3)
    loader.kill()
    loader.wait()
    sender.join(timeout=120)
    assert done.is_set() and failed_posts  # the kills hit the stream
    receiver.stop()
    watch_once(empty, db)
    assert stored(db) == expected(record for batch in batches for record in batch)
    assert Spool(spool_dir(db)).pending() == []


# Trust: gzip, slow and malformed clients, a burst of connections, Expect: 100-continue ------------------------------


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host.strip("[]"), int(port)


def exchange(url: str, request: bytes, wait: float = 10.0) -> bytes:
    """Send raw request bytes and return everything the receiver answers until it closes (or ``wait`` passes)."""
    with socket.create_connection(address(url), timeout=wait) as connection:
        connection.sendall(request)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def request_head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: tierscope", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_every_gzip_member_is_read(shared_receiver: tuple[str, Path]) -> None:
    """A gzip body may be several members (RFC 1952 2.2); each one is data the client expects to be kept."""
    url, db = shared_receiver
    first, second, third = records("gz1", 3), records("gz2", 4), records("gz3", 5)
    body = gzip.compress(lines(first)) + gzip.compress(lines(second)) + gzip.compress(lines(third))
    before = {path.name for path in spool_dir(db).iterdir()}
    assert post(f"{url}/litellm", body, "application/x-ndjson", {"Content-Encoding": "gzip"}) == (
        200,
        {"accepted": 12},
    )
    [new] = [path for path in spool_dir(db).iterdir() if path.name not in before]
    assert [json.loads(line)["id"] for line in new.read_text().splitlines()] == [
        record["id"] for record in first + second + third
    ]
    # an OTLP request cut in two: only the two members together are the JSON document
    otlp = OTLP_SAMPLE.read_text().splitlines()[1].encode()
    halves = gzip.compress(otlp[:700]) + gzip.compress(otlp[700:])
    assert post(f"{url}/v1/traces", halves, headers={"Content-Encoding": "gzip"}) == (200, {})


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (gzip.compress(b'[{"id": "t"}]', mtime=0)[:-6], 400, "truncated"),
        (b"\x1f\x8b\x08\x00garbage-garbage-garbage", 400, "not valid gzip"),
        (gzip.compress(b'[{"id": "t"}]', mtime=0) + b"trailing bytes", 400, "not valid gzip"),
        (b"", 400, "truncated"),
    ],
)
def test_broken_gzip_is_refused_with_a_reason(
    shared_receiver: tuple[str, Path], body: bytes, status: int, reason: str
) -> None:
    url, db = shared_receiver
    pending = len(Spool(spool_dir(db)).pending())
    answer_status, answer = post(f"{url}/litellm", body, headers={"Content-Encoding": "gzip"})
    assert answer_status == status and reason in answer["error"] and "\n" not in answer["error"]
    assert len(Spool(spool_dir(db)).pending()) == pending


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/litellm", b"[" * 100_000 + b"]" * 100_000, "nested"),
        ("/v1/traces", b'{"resourceSpans": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested"),
        ("/litellm", b'[{"id": "big", "prompt_tokens": 1' + b"0" * 5000 + b"}]", "digits"),
        ("/v1/traces", b'{"resourceSpans": [], "n": 9' + b"9" * 5000 + b"}", "digits"),
        ("/litellm", b'{"id": "nan", "prompt_tokens": NaN}', "NaN"),
        ("/litellm", b'{"id": "half-\\ud800-pair", "prompt_tokens": 1}', "surrogate"),
    ],
)
def test_hostile_json_gets_a_400_and_the_receiver_lives_on(
    shared_receiver: tuple[str, Path], path: str, body: bytes, reason: str
) -> None:
    url, _ = shared_receiver
    status, answer = post(f"{url}{path}", body)
    assert status == 400 and reason in answer["error"]
    assert health(url)["status"] == "ok"


def test_length_and_content_type_are_required(shared_receiver: tuple[str, Path]) -> None:
    url, _ = shared_receiver
    no_length = exchange(url, request_head("/litellm", {"Content-Type": "application/json"}) + b"[]")
    assert no_length.startswith(b"HTTP/1.1 411") and b"Content-Length" in no_length
    chunked = exchange(
        url,
        request_head("/litellm", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        + b"2\r\n[]\r\n0\r\n\r\n",
    )
    assert chunked.startswith(b"HTTP/1.1 411")
    status, answer = post(f"{url}/litellm", b"[]", "application/xml")
    assert status == 415 and "Content-Type 'application/xml'" in answer["error"]
    status, answer = post(f"{url}/litellm", b"[]", headers={"Content-Encoding": "br"})
    assert status == 415 and "gzip" in answer["error"]


def test_gzip_members_count_together_against_the_size_limit(tmp_path: Path) -> None:
    receiver, url = serve(tmp_path / "calls.duckdb", "--max-body-bytes", "5000")
    try:
        batch = records("m", 10)  # about 4,000 bytes as NDJSON: one member fits, two do not
        one = gzip.compress(lines(batch))
        assert post(f"{url}/litellm", one, headers={"Content-Encoding": "gzip"})[0] == 200
        status, answer = post(f"{url}/litellm", one + one, headers={"Content-Encoding": "gzip"})
        assert status == 413 and "decompressed" in answer["error"]
        assert health(url)["received"] == 1
    finally:
        receiver.stop()


def test_slow_clients_meet_one_deadline_for_the_whole_request(tmp_path: Path) -> None:
    """A client trickling header bytes (each one well within any per-read timeout) is cut off when the request's
    time is up, as is one trickling its body; other clients are served meanwhile."""
    receiver, url = serve(tmp_path / "calls.duckdb", "--timeout", "1")
    try:
        for head, body in (
            (b"POST /litellm HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200, b""),
            (request_head("/litellm", {"Content-Type": "application/json", "Content-Length": "300"}), b" " * 300),
        ):
            with socket.create_connection(address(url), timeout=10) as slow:
                started = time.monotonic()
                slow.sendall(head if body else head[:10])
                answer = b""
                for byte in (body or head[10:])[:80]:  # 80 bytes, one per 0.1 s: 8 s if nothing cuts it off
                    try:
                        slow.sendall(bytes([byte]))
                    except (BrokenPipeError, ConnectionResetError):
                        break
                    if select.select([slow], [], [], 0.1)[0]:
                        answer = slow.recv(4096)
                        break
                elapsed = time.monotonic() - started
                assert answer.startswith(b"HTTP/1.1 408"), answer
                assert elapsed < 3, elapsed
                assert post(f"{url}/litellm", json.dumps(records("fast", 1)).encode())[0] == 200
    finally:
        receiver.stop()


def test_a_burst_of_a_thousand_connections_is_answered(shared_receiver: tuple[str, Path]) -> None:
    url, _ = shared_receiver
    host, port = address(url)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1500:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))

    async def one() -> str:
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            await writer.drain()
            answer = await reader.read()
            writer.close()
            return answer.split(b"\r\n", 1)[0].decode()
        except OSError as error:
            return type(error).__name__

    async def burst() -> list[str]:
        return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(1000))), 90)

    assert Counter(asyncio.run(burst())) == {"HTTP/1.1 200 OK": 1000}


def test_expect_100_continue_is_answered_401_without_a_token(tmp_path: Path) -> None:
    receiver, url = serve(tmp_path / "calls.duckdb", env={"TIERSCOPE_TOKEN": "s3cret"})
    body = json.dumps(records("e", 2)).encode()
    head = {"Content-Type": "application/json", "Content-Length": str(len(body)), "Expect": "100-continue"}
    try:
        refused = exchange(url, request_head("/litellm", head))  # the body is never sent
        assert refused.startswith(b"HTTP/1.1 401") and b"100 Continue" not in refused
        with socket.create_connection(address(url), timeout=10) as client:
            client.sendall(request_head("/litellm", {**head, "Authorization": "Bearer s3cret"}))
            assert client.recv(4096).startswith(b"HTTP/1.1 100 Continue")
            client.sendall(body)
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        assert health(url)["received_records"] == 2
    finally:
        receiver.stop()


# Privacy: the spool keeps what the readers read --------------------------------------------------------------------

LITELLM_SAMPLE = REPO / "tierscope" / "sample_logs" / "formats" / "litellm.jsonl"
MARKER = "MARKER-c0ntent-7f3a9"
BOOKKEEPING = ("source", "source_line", "ingest_id", "ingested_at")


def calls_rows(db: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        # attribute_keys last, where the tests read it
        query = f"select * exclude ({', '.join(BOOKKEEPING)}, attribute_keys), attribute_keys from calls order by 1"
        return con.execute(query).fetchall()


def served_and_ingested(tmp_path: Path, files: list[tuple[Path, str]]) -> tuple[list[Any], list[Any]]:
    """The calls rows of the files loaded by `ingest`, and of their lines posted one by one to serve and loaded from
    the spool by `watch` (a line that is not JSON is quarantined by one, refused by the other)."""
    direct = tmp_path / "direct.duckdb"
    con = connect(direct)
    ingest_paths(con, [path for path, _ in files])
    con.close()
    db, empty = tmp_path / "served.duckdb", tmp_path / "nothing-to-tail"
    empty.mkdir()
    receiver, url = serve(db)
    try:
        for sample, endpoint in files:
            for line in sample.read_text().splitlines():
                try:
                    json.loads(line)
                    readable = True
                except json.JSONDecodeError:
                    readable = False
                status, answer = post(f"{url}{endpoint}", line.encode())
                assert status == (200 if readable else 400), answer
    finally:
        receiver.stop()
    watch_once(empty, db)
    return calls_rows(db), calls_rows(direct)


def test_sample_files_posted_to_serve_load_as_ingest_loads_them(tmp_path: Path) -> None:
    served, direct = served_and_ingested(tmp_path, [(LITELLM_SAMPLE, "/litellm"), (OTLP_SAMPLE, "/v1/traces")])
    assert served == direct
    task_types, attribute_keys = {row[3] for row in served}, [row[-1] for row in served]
    assert len(served) >= 15 and any(attribute_keys)  # custom attributes' keys made it, as task-type hints
    assert {"rag_answer", "summarization", "classification"} <= task_types  # some from attribute rules


def test_custom_attributes_keep_what_the_readers_use(tmp_path: Path) -> None:
    """Keys offered as task-type hints and the values of task_type rule keys come out as `ingest` gives them, through
    every kind of custom value: short and long text, numbers, null, objects, lists, repeated keys, metadata merged
    from two objects (one sent as a JSON string), resource attributes under span attributes."""
    long_text = "x" * 65
    litellm_path = tmp_path / "litellm.jsonl"
    litellm_path.write_text(
        "".join(
            json.dumps(record) + "\n"
            for record in (
                {
                    **litellm_record("attr-1", 10, 2),
                    "request_tags": [],
                    "metadata": {
                        "spend_logs_metadata": {"a": "short", "b": long_text, "c": 5, "d": "kept?", "e": {"x": "y"}},
                        "requester_metadata": json.dumps({"d": None, "f": "x" * 64, "g": ["list"], "h": ""}),
                    },
                },
                {
                    **litellm_record("attr-2", 10, 2),
                    "request_tags": [],
                    "metadata": {"spend_logs_metadata": {"app.task_type": "from-app"}, "requester_metadata": {"z": 1}},
                },
                {
                    **litellm_record("attr-3", 10, 2),
                    "request_tags": '["task_type:from-tag", 7]',
                    "metadata": {"requester_metadata": {"task_type": "not-this", "y": "short"}},
                },
            )
        )
    )

    def attribute(key: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"key": key, "value": value}

    span = {
        "traceId": "t1",
        "spanId": "s1",
        "startTimeUnixNano": "1795507200100000000",
        "endTimeUnixNano": "1795507200740000000",
        "attributes": [
            attribute("gen_ai.request.model", {"stringValue": "gpt-4o-mini"}),
            attribute("shared", {"stringValue": long_text}),
            attribute("count", {"intValue": "7"}),
            attribute("flag", {"boolValue": True}),
            attribute("ratio", {"doubleValue": 0.25}),
            attribute("short_list", {"arrayValue": {"values": [{"stringValue": "a"}]}}),
            attribute("long_list", {"arrayValue": {"values": [{"stringValue": long_text}]}}),
            attribute("empty", {}),
            attribute("map", {"kvlistValue": {"values": []}}),
            attribute("count", {"stringValue": long_text}),
            attribute("server.address", {"stringValue": "api"}),
        ],
    }
    ruled = {**span, "spanId": "s2", "attributes": [*span["attributes"], attribute("app.task_type", {"intValue": 42})]}
    resource = {
        "attributes": [attribute("service.name", {"stringValue": "svc"}), attribute("shared", {"stringValue": "r"})]
    }
    otel_path = tmp_path / "otel.jsonl"
    otel_path.write_text(
        json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span, ruled]}]}]})
    )
    served, direct = served_and_ingested(tmp_path, [(litellm_path, "/litellm"), (otel_path, "/v1/traces")])
    assert served == direct
    by_id = {row[0]: (row[3], row[-1]) for row in served}  # task_type, attribute_keys (last: calls_rows)
    assert by_id["attr-1"] == ("unknown", ["a", "f"]) and by_id["attr-2"] == ("from-app", None)
    assert by_id["attr-3"] == ("from-tag", None) and by_id["s2"] == ("42", None)
    assert by_id["s1"][0] == "unknown" and set(by_id["s1"][1]) == {
        "service.name",
        "count",
        "flag",
        "ratio",
        "short_list",
    }


def marked_litellm(request_id: str) -> dict[str, Any]:
    """A payload with the marker in every field that may carry prompt, completion or other free text."""
    record = litellm_record(request_id, 120, 30)
    record.update(
        messages=[
            {"role": "system", "content": MARKER},
            {"role": "user", "content": [{"type": "text", "text": MARKER}]},
        ],
        response={
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"message": {"content": MARKER, "tool_calls": [{"function": {"arguments": MARKER}}]}}],
            "output_text": MARKER,
            "output": [{"content": [{"text": MARKER}]}],
        },
        model_parameters={"service_tier": "default", "tools": [{"description": MARKER}], "system": MARKER},
        error_str=MARKER,
        error_information={"error_message": MARKER, "traceback": MARKER},
        input=MARKER,
        prompt=MARKER,
        hidden_params={"additional_headers": {"x-echo": MARKER}},
        guardrail_information={"guardrail_response": MARKER},
        standard_built_in_tools_params={"web_search_options": {"query": MARKER}},
        request_tags=["task_type:classification", {"note": MARKER}],
    )
    record["metadata"].update(
        requester_custom_headers={"x-note": MARKER},
        user_api_key_auth_metadata={"note": MARKER},
        spend_logs_metadata={"note": MARKER, "long_note": MARKER * 5, "gen_ai.prompt": MARKER},
        requester_metadata=json.dumps({"question": MARKER, "nested": {"deep": MARKER}}),
    )
    return record


def marked_otlp() -> dict[str, Any]:
    def attribute(key: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"key": key, "value": value}

    text = {"stringValue": MARKER}
    content_keys = (
        "gen_ai.prompt",
        "gen_ai.completion",
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.prompt.0.content",
        "gen_ai.content.completion",
        "llm.input_messages",
        "input.value",
        "app.note",
    )
    span_attributes = [
        attribute("gen_ai.operation.name", {"stringValue": "chat"}),
        attribute("gen_ai.request.model", {"stringValue": "gpt-4o-mini"}),
        attribute("gen_ai.usage.input_tokens", {"intValue": "900"}),
        attribute("gen_ai.usage.output_tokens", {"intValue": 45}),
        attribute("app.task_type", {"stringValue": "extraction"}),
        *(attribute(key, text) for key in content_keys),
        attribute("app.long_note", {"stringValue": MARKER * 5}),
        attribute("app.list", {"arrayValue": {"values": [text]}}),
        attribute("app.map", {"kvlistValue": {"values": [attribute("inner", text)]}}),
        attribute("gen_ai.request.model", text),  # a repeated key: the reader keeps the first value
    ]
    span = {
        "traceId": "5b8efff798038103d269b633813fc6aa",
        "spanId": "eee19b7ec3c1b1aa",
        "name": f"chat {MARKER}",
        "startTimeUnixNano": "1795507200100000000",
        "endTimeUnixNano": "1795507200740000000",
        "attributes": span_attributes,
        "events": [{"name": "gen_ai.content.prompt", "attributes": [attribute("gen_ai.prompt", text)]}],
        "links": [{"traceId": "aa", "spanId": "bb", "attributes": [attribute("note", text)]}],
        "status": {"code": 2, "message": MARKER},
    }
    return {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [attribute("service.name", {"stringValue": "api"}), attribute("note", text)]
                },
                "scopeSpans": [{"scope": {"name": MARKER, "attributes": [attribute("n", text)]}, "spans": [span]}],
            }
        ]
    }


def test_no_content_reaches_the_spool_or_the_database(tmp_path: Path) -> None:
    """The marker sits in every content field of LiteLLM and OTLP payloads, and in a custom attribute that a
    task_type rule names although it is a content attribute (gen_ai.prompt): its bytes are found nowhere after."""
    routing = yaml.safe_load(DEFAULT_ROUTING.read_text())
    routing["task_type_from"] = [{"attribute": "gen_ai.prompt"}, *routing["task_type_from"]]
    routing_file = tmp_path / "routing.yaml"
    routing_file.write_text(yaml.safe_dump(routing))
    db, empty = tmp_path / "calls.duckdb", tmp_path / "nothing-to-tail"
    empty.mkdir()
    receiver, url = serve(db, "--routing", str(routing_file))
    litellm = [marked_litellm("mk-1"), {**marked_litellm("mk-2"), "response": MARKER, "messages": MARKER}]
    try:
        assert post(f"{url}/litellm", json.dumps(litellm).encode()) == (200, {"accepted": 2})
        body = gzip.compress(json.dumps(marked_otlp()).encode())
        assert post(f"{url}/v1/traces", body, headers={"Content-Encoding": "gzip"}) == (200, {})
    finally:
        receiver.stop()
    spooled = b"".join(path.read_bytes() for path in spool_dir(db).iterdir() if path.is_file())
    assert b"mk-1" in spooled and b"eee19b7ec3c1b1aa" in spooled and MARKER.encode() not in spooled
    watch_once(empty, db, "--routing", str(routing_file))
    with duckdb.connect(str(db), read_only=True) as con:
        calls = con.execute(
            "select request_id, task_type, served_model, input_tokens, output_tokens, attribute_keys from calls "
            "order by request_id"
        ).fetchall()
        tables = [name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        hits = {
            name: con.execute(
                f"select count(*) from {name} t where contains(to_json(t)::varchar, ?)", [MARKER]
            ).fetchall()[0][0]
            for name in tables
        }
    assert calls == [
        ("eee19b7ec3c1b1aa", "extraction", None, 900, 45, None),
        ("mk-1", "classification", "gpt-4o-mini-2024-07-18", 120, 30, None),  # the response's model
        ("mk-2", "classification", "gpt-4o-mini", 120, 30, None),
    ]
    assert set(hits.values()) == {0} and "calls" in hits
    stored_bytes = b"".join(path.read_bytes() for path in tmp_path.glob("calls.duckdb*") if path.is_file())
    assert MARKER.encode() not in stored_bytes


def declared_paths(shape: Any, prefix: str = "") -> set[str]:
    """The leaf paths of a reader's from_json shape ('a.b', lists as 'a[].b')."""
    if isinstance(shape, list):
        return declared_paths(shape[0], prefix + "[]")
    if isinstance(shape, dict):
        return {
            path for key, inner in shape.items() for path in declared_paths(inner, f"{prefix}.{key}" if prefix else key)
        }
    return {prefix}


def reader_shape(sql_file: str) -> Any:
    """The from_json structure a reader declares: given to reader_records(shape), or to from_json itself."""
    found = re.search(r"(?:reader_records\(|from_json\([^']*?, )'(\{.*?)'\)", sql_text(sql_file), re.DOTALL)
    assert found, sql_file
    return json.loads(found.group(1))


def test_the_allow_lists_follow_what_the_readers_read() -> None:
    """The allow-lists are written out in allowlist.py; a reader that starts reading another field fails this."""
    assert declared_paths(reader_shape("ingest/read_litellm.sql")) == declared_paths(allowlist.LITELLM)
    otel = reader_shape("ingest/read_otel.sql")["resourceSpans"][0]
    span = otel["scopeSpans"][0]["spans"][0]
    value_fields = {*allowlist.OTEL_SCALAR_VALUES, allowlist.OTEL_ARRAY_VALUE}
    assert set(otel["resource"]["attributes"][0]["value"]) == set(span["attributes"][0]["value"]) == value_fields
    # declared by read_otel.sql but read into no column: name, status.message
    unused = {"name", "status.message"}
    assert (
        declared_paths({k: v for k, v in span.items() if k != "attributes"})
        == declared_paths(allowlist.OTEL_SPAN) | unused
    )
    sql = sql_text("ingest/read_otel.sql")
    assert set(re.findall(r"span_attributes\['([^']+)'\]", sql)) == allowlist.OTEL_SPAN_FIELDS
    assert set(re.findall(r"resource_map\['([^']+)'\]", sql)) == allowlist.OTEL_RESOURCE_FIELDS
    assert f"'{allowlist.OTEL_UNREAD.pattern}'" in sql
    hint = allowlist.HINT_CHARS
    assert f"between {hint.start} and {hint.stop - 1}" in sql_text("ingest/format_macros.sql")
