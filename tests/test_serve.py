"""``tierscope serve``, end to end: a real receiver process, real HTTP requests, the spool loaded by ``watch``.

Every accepted body must reach the database exactly once (counts and token sums compared with what was sent),
through SIGKILLs and concurrent clients; malformed, oversized, slow and unauthorised requests are refused.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.streaming_support import (
    REPO,
    TIERSCOPE,
    Totals,
    expected,
    health,
    lines,
    post,
    records,
    serve,
    stored,
    watch_once,
)
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.serve import is_loopback, require_token
from tierscope.ingest.spool import Spool, spool_dir
from tierscope.queries.db import connect

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
