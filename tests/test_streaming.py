"""``tierscope watch`` and the one-writer rule (docs/streaming.md), end to end: real processes, file appends, SIGKILL.

Every test compares what reached the database (calls, distinct ids, token sums) with what was written, exactly.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.streaming_support import (
    TIERSCOPE,
    RotatingLog,
    Running,
    dashboard_owner,
    database_free,
    expected,
    ledger_duplicates,
    lines,
    litellm_record,
    post,
    records,
    serve,
    stored,
    wait_until,
    watch,
    watch_once,
)
from tierscope.cli import dashboard_process
from tierscope.dashboard import ingester as ingester_module
from tierscope.dashboard.gate import ReaderGate
from tierscope.dashboard.ingester import Ingester
from tierscope.dashboard.live import freshness_text
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.spool import Spool, spool_dir
from tierscope.ingest.stream import read_batch
from tierscope.queries import api
from tierscope.queries.db import connect
from tierscope.queries.owner import advert_path, pid_alive, read_advert

CHROMIUM = Path("/usr/bin/chromium")
# Holds a database the way any other process can: open, and no spool loading, no endpoint.
HOLD_DATABASE = (
    "import sys, duckdb, threading\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('held', flush=True)\n"
    "threading.Event().wait()\n"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((dashboard_process.ADDRESS, 0))
        return int(probe.getsockname()[1])


def write(path: Path, batch: list[dict[str, Any]]) -> Path:
    path.write_bytes(lines(batch))
    return path


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as handle:
        handle.write(data)
        handle.flush()


def test_watch_follows_growing_and_new_files_and_resumes_from_committed_offsets(tmp_path: Path) -> None:
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    first, second = records("a", 30), records("b", 20)
    append(logs / "a.jsonl", lines(first[:10]))
    watcher = watch(logs, db)
    try:
        wait_until(lambda: watcher.loaded() == 10, what="the first lines")
        # a line arrives in two writes: nothing of it is taken until its line break is written
        tail = lines(first[10:])
        append(logs / "a.jsonl", tail[:-100])
        time.sleep(0.3)  # a few watcher passes see the cut line
        append(logs / "a.jsonl", tail[-100:])
        append(logs / "b.ndjson", lines(second))  # a new file
        (logs / "notes.txt").write_text("not followed\n")
        wait_until(lambda: watcher.loaded() == 50, what="the appended lines and the new file")
    finally:
        assert watcher.stop() == 0
    assert stored(db) == expected(first + second)
    with duckdb.connect(str(db), read_only=True) as con:
        offsets = dict(con.execute("select path, committed_offset from stream_offsets").fetchall())
    assert offsets == {str(logs / name): (logs / name).stat().st_size for name in ("a.jsonl", "b.ndjson")}

    append(logs / "a.jsonl", lines(records("a", 5, start=30)))
    again = watch_once(logs, db)
    loaded = [json.loads(line) for line in again.stdout.splitlines() if '"loaded"' in line]
    assert [(event["path"], event["start"], event["loaded"]) for event in loaded] == [
        (str(logs / "a.jsonl"), offsets[str(logs / "a.jsonl")], 5)
    ]
    assert ledger_duplicates(db) == 0


def test_rotation_and_truncation_restart_from_zero_and_lose_nothing(tmp_path: Path) -> None:
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    app, other = logs / "app.jsonl", logs / "other.jsonl"
    before, late, after = records("r", 10), records("late", 3), records("n", 6)
    append(app, lines(before))
    append(other, lines(records("t", 5)))
    watch_once(logs, db)

    # logrotate: the file is renamed, the writer finishes its last lines into it, a new file takes the name
    os.rename(app, logs / "app.jsonl.1")
    append(logs / "app.jsonl.1", lines(late))
    append(app, lines(after))
    # copytruncate: same file, emptied, then written again
    with other.open("r+b") as handle:
        handle.truncate(0)
    truncated = records("u", 2)
    append(other, lines(truncated))
    rotated = watch_once(logs, db)

    events = [json.loads(line) for line in rotated.stdout.splitlines()]
    assert {(event["path"], event["reason"]) for event in events if event["event"] == "restart"} == {
        (str(other), "truncated")
    }
    assert stored(db, "r-") == expected(before)
    assert stored(db, "late-") == expected(late)
    assert stored(db, "n-") == expected(after)
    assert stored(db, "u-") == expected(truncated)
    assert ledger_duplicates(db) == 0


def test_a_replaced_file_on_a_reused_identity_is_read_from_zero(tmp_path: Path) -> None:
    """The offset belongs to the file whose first bytes it was committed with, not to an inode number."""
    path = tmp_path / "app.jsonl"
    path.write_bytes(lines(records("old", 4)))
    first = read_batch(path, {}, 1 << 20)
    assert first is not None and first.start == 0 and first.end == path.stat().st_size
    path.write_bytes(lines(records("new", 6)))  # rewritten in place: same inode, other content
    again = read_batch(path, {first.identity: first.offset()}, 1 << 20)
    assert again is not None and (again.start, again.restarted) == (0, "replaced")


def events_of(done: subprocess.CompletedProcess[str], kind: str) -> list[dict[str, Any]]:
    return [event for event in map(json.loads, done.stdout.splitlines()) if event["event"] == kind]


def test_a_file_renamed_out_of_the_patterns_while_the_watcher_is_down_is_still_read(tmp_path: Path) -> None:
    """The watcher saw app.jsonl (only half a line in it yet) and stopped; the file got its lines and was renamed
    to a name no pattern matches. It is followed by identity: 4,000 of 4,000 lines loaded."""
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    sent = records("old", 4000)
    data = lines(sent)
    app = logs / "app.jsonl"
    append(app, data[:100])
    assert events_of(watch_once(logs, db), "loaded") == []
    append(app, data[100:])
    os.rename(app, logs / "app.old")
    again = watch_once(logs, db)
    assert [(event["path"], event["loaded"]) for event in events_of(again, "loaded")] == [(str(logs / "app.old"), 4000)]
    assert stored(db) == expected(sent)


def test_a_tail_rotated_into_a_compressed_file_is_reported_unread_once(tmp_path: Path) -> None:
    """1,000 lines appended after the last commit, then the file is rotated and gzipped (the original removed)
    while the watcher is down: compressed files are not followed, so the watcher names the file and the exact
    bytes it did not load, once; so for a compressed file written since the folder is watched that it never saw,
    but not for one that was there before."""
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    app, first, tail = logs / "app.jsonl", records("read", 10), records("tail", 1000)
    (logs / "archive.jsonl.gz").write_bytes(gzip.compress(lines(records("archived", 5))))  # before any watching
    append(app, lines(first))
    watch_once(logs, db)
    append(app, lines(tail))
    with app.open("rb") as source, gzip.open(logs / "app.jsonl.1.gz", "wb") as target:
        shutil.copyfileobj(source, target)
    app.unlink()
    unseen = lines(records("unseen", 7))  # written and compressed while no watcher ran: nothing known of it
    (logs / "other.jsonl.gz").write_bytes(gzip.compress(unseen))
    unread, whole = sorted(events_of(watch_once(logs, db), "unread"), key=lambda event: event["path"])
    assert (whole["path"], whole["start"], whole["end"]) == (str(logs / "other.jsonl.gz"), 0, len(unseen))
    content = gzip.decompress((logs / "app.jsonl.1.gz").read_bytes())
    assert (unread["path"], unread["start"], unread["end"]) == (
        str(logs / "app.jsonl.1.gz"),
        len(lines(first)),
        len(content),
    )
    assert unread["bytes"] == len(lines(tail))
    assert content[unread["start"] : unread["end"]] == lines(tail)
    assert stored(db) == expected(first)
    assert events_of(watch_once(logs, db), "unread") == []  # reported once


def test_a_file_rewritten_with_the_same_first_kib_is_read_again_from_the_start(tmp_path: Path) -> None:
    """Truncated and written again: the same first lines (more than a KiB), then other ones, longer than the
    committed offset. The bytes before the offset differ, so the file is read from 0, and all 985 new lines load."""
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    app, kept, before, after = logs / "app.jsonl", records("same", 15), records("before", 985), records("after", 985)
    assert len(lines(kept)) > 1024
    append(app, lines(kept + before))
    watch_once(logs, db)
    committed = app.stat().st_size
    with app.open("r+b") as handle:
        handle.truncate(0)
    append(app, lines(kept + [{**record, "id": f"rewritten-{record['id']}"} for record in after]))
    assert app.stat().st_size > committed
    again = watch_once(logs, db)
    assert [(event["path"], event["reason"]) for event in events_of(again, "restart")] == [(str(app), "replaced")]
    assert stored(db, "rewritten-") == expected([{**record, "id": f"rewritten-{record['id']}"} for record in after])
    assert stored(db) == expected(kept + before + [{**record, "id": f"rewritten-{record['id']}"} for record in after])


def test_a_copytruncate_copy_continues_where_the_file_was_committed(tmp_path: Path) -> None:
    """copytruncate: the lines not read yet are only in the copy; the copy is read from the offset its original
    was committed at (not from 0), so every line loads once and none is read twice."""
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    app, first, late, new = logs / "app.jsonl", records("c", 20), records("late", 30), records("new", 5)
    append(app, lines(first))
    watch_once(logs, db)
    append(app, lines(late))
    shutil.copyfile(app, logs / "app.jsonl.1")
    with app.open("r+b") as handle:
        handle.truncate(0)
    append(app, lines(new))
    again = watch_once(logs, db)
    assert {(event["path"], event["start"]) for event in events_of(again, "loaded")} == {
        (str(logs / "app.jsonl.1"), len(lines(first))),
        (str(app), 0),
    }
    assert stored(db) == expected(first + late + new)
    assert ledger_duplicates(db) == 0


def test_bytes_seen_but_not_read_when_a_file_is_removed_are_reported(tmp_path: Path) -> None:
    """A running watcher has seen a line being written (no line break yet); the file is removed: the watcher says
    which bytes of which file it never loaded."""
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    app, complete = logs / "app.jsonl", lines(records("w", 3))
    partial = lines(records("cut", 1))[:-40]
    append(app, complete + partial)
    watcher = watch(logs, db)
    try:
        wait_until(lambda: watcher.loaded() == 3, what="the complete lines")
        time.sleep(0.3)  # a few passes see the unfinished line
        app.unlink()
        unread = watcher.wait_for_event(lambda event: event.get("event") == "unread")
    finally:
        assert watcher.stop() == 0
    assert (unread["path"], unread["start"], unread["end"], unread["bytes"]) == (
        str(app),
        len(complete),
        len(complete) + len(partial),
        len(partial),
    )


def kill_after_a_commit(watcher: Running, logs: Path, db: Path) -> Running:
    """SIGKILL the watcher once it has committed something, and start another."""
    wait_until(lambda: watcher.loaded() > 0, what="a committed batch")
    watcher.kill()
    return watch(logs, db, "--batch-bytes", "20000")


def test_sigkill_mid_stream_then_restart_loads_every_line_exactly_once(tmp_path: Path) -> None:
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    sent = records("k", 6000)
    chunks = [sent[start : start + 250] for start in range(0, len(sent), 250)]
    log = logs / "stream.jsonl"
    watcher = watch(logs, db, "--batch-bytes", "20000")
    for index, chunk in enumerate(chunks):
        append(log, lines(chunk))
        if index in (6, 14):  # mid-stream, while batches are being committed
            watcher = kill_after_a_commit(watcher, logs, db)
        time.sleep(0.02)
    watcher.kill()
    watch_once(logs, db)
    assert stored(db) == expected(sent)
    # offsets commit with rows: not one line was loaded twice (a re-read line would show as a duplicate)
    assert ledger_duplicates(db) == 0


def test_ingest_hands_files_to_the_spool_while_a_watcher_holds_the_database(tmp_path: Path) -> None:
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    exported = tmp_path / "export.jsonl"
    exported.write_bytes(lines(records("x", 40)))
    watcher = watch(logs, db)
    try:
        watcher.wait_for_event(lambda event: event.get("event") == "owner")
        handed = subprocess.run(
            [TIERSCOPE, "ingest", str(exported), "--db", str(db)], capture_output=True, text=True, check=True
        ).stdout
        assert "is in use" in handed and "handed 1 file to the spool" in handed
        assert f"tierscope watch (pid {watcher.process.pid}) loads them within about a second" in handed
        wait_until(lambda: watcher.loaded() == 40, what="the watcher to load the spooled file")
        assert Spool(spool_dir(db)).pending() == []
    finally:
        watcher.stop()
    assert stored(db, "x-") == expected(records("x", 40))
    with duckdb.connect(str(db), read_only=True) as con:
        [(source,)] = con.execute("select source from ingests where loaded = 40").fetchall()
    assert source.startswith("spool:") and source.endswith(".auto.file.export.jsonl")


def test_files_handed_over_to_a_holder_that_does_not_load_the_spool_load_with_the_next_command(tmp_path: Path) -> None:
    """A process that is neither a dashboard nor a watcher holds the database: `ingest` says that the next tierscope
    command loads the files, and `report` (a read) does, before it answers."""
    db, first, handed = tmp_path / "calls.duckdb", records("first", 20), records("handed", 30)
    subprocess.run([TIERSCOPE, "ingest", str(write(tmp_path / "first.jsonl", first)), "--db", str(db)], check=True)
    holder = Running([sys.executable, "-c", HOLD_DATABASE, str(db)])
    try:
        wait_until(lambda: "held" in holder.lines, what="the database to be held")
        done = subprocess.run(
            [TIERSCOPE, "ingest", str(write(tmp_path / "handed.jsonl", handed)), "--db", str(db), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        answer = json.loads(done.stdout)
        assert answer["loaded_by"] == {"kind": "next_command", "pid": None, "within_seconds": None}
        assert (answer["loaded"], len(answer["spooled"])) == (0, 1)
        text = subprocess.run(
            [TIERSCOPE, "ingest", str(tmp_path / "handed.jsonl"), "--db", str(db)], capture_output=True, text=True
        ).stdout
        assert f"another process (pid {holder.process.pid}) does not load the spool" in text
        assert "the next tierscope command that opens this database loads them first" in text
    finally:
        holder.kill()
    report = subprocess.run(
        [TIERSCOPE, "report", "--db", str(db), "--json"], capture_output=True, text=True, check=True
    )
    assert sum(row["calls"] for row in json.loads(report.stdout)["rows"]) == 50
    assert "first loaded 2 files waiting in the spool" in report.stderr
    assert Spool(spool_dir(db)).pending() == []
    assert stored(db) == expected(first + handed)


def test_a_dashboard_takes_the_database_over_and_sigkills_lose_nothing(tmp_path: Path) -> None:
    """watch owns the database; a dashboard starts and claims it (watch lets go and hands its batches to the spool,
    which the dashboard's ingester loads); the dashboard is SIGKILLed mid-stream (watch takes the database back and
    loads what is left); then the watcher is SIGKILLed too."""
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    log = logs / "stream.jsonl"
    sent = records("d", 3000)
    chunks = [sent[start : start + 100] for start in range(0, len(sent), 100)]
    watcher = watch(logs, db)
    watcher.wait_for_event(lambda event: event.get("event") == "owner")
    for chunk in chunks[:5]:
        append(log, lines(chunk))
    dashboard = dashboard_owner(db)  # opens only after the watcher lets go
    watcher.wait_for_event(lambda event: event.get("event") == "handoff")
    for chunk in chunks[5:15]:
        append(log, lines(chunk))
        time.sleep(0.02)
    watcher.wait_for_event(lambda event: event.get("event") == "spooled")
    wait_until(lambda: not Spool(spool_dir(db)).pending(), what="the dashboard to load the spooled batches")
    # the watcher keeps the offsets of what it handed over next to the spool while the dashboard holds the database
    assert list(spool_dir(db).glob(".watch-*.offsets.json"))
    dashboard.kill()
    for chunk in chunks[15:25]:
        append(log, lines(chunk))
        time.sleep(0.02)
    wait_until(lambda: [e["event"] for e in watcher.events()].count("owner") == 2, what="the watcher to own again")
    watcher.kill()
    for chunk in chunks[25:]:
        append(log, lines(chunk))
    watch_once(logs, db)
    assert stored(db) == expected(sent)
    assert Spool(spool_dir(db)).pending() == []


def test_freshness_mart(tmp_path: Path) -> None:
    db = tmp_path / "calls.duckdb"
    con = connect(db)
    try:
        assert api.freshness(con).row(0, named=True) == {
            "latest_started_at": None,
            "last_ingest_at": None,
            "latest_ingest_id": 0,
            "calls": 0,
        }
        source = tmp_path / "calls.jsonl"
        source.write_bytes(
            lines([litellm_record("f-1", 10, 1, 1_795_000_000.0), litellm_record("f-2", 10, 1, 1_795_000_060.5)])
        )
        ingest_paths(con, [source])
        fresh = api.freshness(con).row(0, named=True)
        [(finished_at,)] = con.execute("select finished_at from ingests").fetchall()
    finally:
        con.close()
    assert fresh == {
        "latest_started_at": dt.datetime(2026, 11, 18, 11, 7, 40, 500000),
        "last_ingest_at": finished_at,
        "latest_ingest_id": 1,
        "calls": 2,
    }
    now = dt.datetime(2026, 11, 18, 11, 9, 41)
    assert freshness_text(fresh["latest_started_at"], now - dt.timedelta(seconds=7), now) == (
        "Latest call 2026-11-18 11:07:40 UTC (2 min ago) · last ingest 7 s ago"
    )


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
def test_live_dashboard_owns_the_database_and_refreshes_with_filters_kept(tmp_path: Path) -> None:
    """A running dashboard holds the database: `tierscope ingest` hands its file to the spool, the dashboard's
    ingester loads it, and the overview (live, every 2 s, filtered by a task type in the URL) shows the new calls
    without a reload; the filter stays. Then the dashboard is SIGKILLed and nothing is lost."""
    db = tmp_path / "calls.duckdb"
    first, more = records("live", 50), records("more", 30)
    con = connect(db)
    ingest_paths(con, [write(tmp_path / "first.jsonl", first)])
    con.close()
    port = free_port()
    server = subprocess.Popen(
        [TIERSCOPE, "dashboard", "--db", str(db), "--port", str(port), "--no-browser"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{dashboard_process.ADDRESS}:{port}"
    try:
        assert dashboard_process.wait_until_ready(url, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            page = browser.new_page(viewport={"width": 1440, "height": 1600})
            page.goto(f"{url}/?live=true&every=2&task=classification")
            requests_metric = page.get_by_test_id("stMetric").filter(has_text="Requests").first
            expect(requests_metric).to_contain_text("50", timeout=60_000)
            expect(page.get_by_text("Latest call 2026-11-18").first).to_be_visible()

            handed = subprocess.run(
                [TIERSCOPE, "ingest", str(write(tmp_path / "more.jsonl", more)), "--db", str(db), "--json"],
                capture_output=True,
                text=True,
                check=True,
            )
            answer = json.loads(handed.stdout)
            assert len(answer["spooled"]) == 1 and answer["loaded_by"]["kind"] == "dashboard"
            expect(requests_metric).to_contain_text("80", timeout=30_000)  # no reload: the live panel reran
            assert "task=classification" in page.url and "live=true" in page.url
            expect(page.get_by_text("task types: classification").first).to_be_visible()
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    wait_until(lambda: database_free(db), what="the killed dashboard to let go of the database")
    assert stored(db) == expected(first + more)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium")
def test_sigterm_stops_the_dashboard_with_its_streamlit_process_and_frees_the_database(tmp_path: Path) -> None:
    db = tmp_path / "calls.duckdb"
    subprocess.run(
        [TIERSCOPE, "ingest", str(write(tmp_path / "a.jsonl", records("t", 10))), "--db", str(db)], check=True
    )
    port = free_port()
    server = subprocess.Popen(
        [TIERSCOPE, "dashboard", "--db", str(db), "--port", str(port), "--no-browser"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://{dashboard_process.ADDRESS}:{port}"
    try:
        assert dashboard_process.wait_until_ready(url, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            browser.new_page().goto(url)  # the app opens the database for its first session
            wait_until(lambda: read_advert(db) is not None, timeout=60, what="the dashboard to hold the database")
            advert = read_advert(db)
            assert advert is not None and not database_free(db)
            server.send_signal(signal.SIGTERM)  # the tierscope process only, as a service manager would
            assert server.wait(timeout=15) == 0  # Streamlit gets 10 s, then it is killed
            browser.close()
        wait_until(lambda: database_free(db), timeout=3, what="the database to be free")
        assert not pid_alive(advert.pid) and not advert_path(db).exists()
    finally:
        if server.poll() is None or (advert_path(db).exists() and not database_free(db)):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def test_reader_gate_waits_for_page_queries_and_their_linger_but_no_longer_than_asked() -> None:
    gate = ReaderGate(linger=0.2)
    assert gate.wait_turn(5.0) < 0.05  # nobody reads: the writer goes at once
    with gate.reading():
        assert gate.active() == 1
        assert 0.3 <= gate.wait_turn(0.3) < 1.0  # a page query runs: the writer waits out its bound
    waited = gate.wait_turn(5.0)  # the query just ended: the writer still gives the page's next query a moment
    assert 0.1 <= waited < 1.0 and gate.active() == 0
    with gate.reading():
        assert gate.wait_turn(5.0, should_stop=lambda: True) < 0.05  # a stopping ingester does not wait


def test_the_ingester_does_not_drain_while_a_page_query_runs_and_does_after_the_bound(tmp_path: Path) -> None:
    db = tmp_path / "calls.duckdb"
    con = connect(db)
    spool = Spool(spool_dir(db))
    gate = ReaderGate(linger=0.0)
    running = Ingester(con, spool, interval=0.1, gate=gate, max_yield=1.5)
    try:
        # a page query is running: a batch arrives, the ingester starts and waits for at most max_yield
        first = records("g", 20)
        spool.write_batch([lines(first)], "litellm")
        with gate.reading():
            started = time.monotonic()
            running.start()
            time.sleep(1.0)
            assert running.status.rows_loaded == 0 and len(spool.pending()) == 1  # not a statement yet
            wait_until(lambda: running.status.rows_loaded == 20, what="the ingester to go on after its bound")
            assert time.monotonic() - started >= 1.5
        wait_until(lambda: running.status.yielded_seconds >= 1.4, what="the pass to count its wait")
        # the query ends before the bound: the ingester goes as soon as it does
        more = records("h", 10)
        with gate.reading():
            spool.write_batch([lines(more)], "litellm")
            time.sleep(0.5)
            assert running.status.rows_loaded == 20
        released = time.monotonic()
        wait_until(lambda: running.status.rows_loaded == 30, what="the ingester to load after the query")
        assert time.monotonic() - released < 1.4  # sooner than its bound
        running.stop()
        [(calls, distinct)] = con.execute(
            "select count(*), count(distinct request_id) from calls where request_id similar to '[gh]-.*'"
        ).fetchall()
        assert (calls, distinct) == (30, 30) and spool.pending() == []
    finally:
        if running.thread.is_alive():
            running.stop()  # before closing: a connection closed under a running statement aborts the process
        con.close()


def test_the_ingester_checkpoints_itself_instead_of_inside_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "calls.duckdb"
    con = connect(db)
    spool = Spool(spool_dir(db))
    running = Ingester(con, spool, interval=0.1, gate=ReaderGate())
    try:
        # commits no longer checkpoint at DuckDB's 16 MiB: the ingester does, as a statement at the gate
        assert con.execute("select current_setting('checkpoint_threshold')").fetchall() == [("512.0 MiB",)]
        wal = Path(f"{db}.wal")
        spool.write_batch([lines(records("c", 50))], "litellm")
        assert running.drain_once() == 1 and wal.stat().st_size > 0
        assert not running.checkpoint_if_due()  # far below the threshold
        monkeypatch.setattr(ingester_module, "QUIET_CHECKPOINT_WAL_BYTES", 1)
        assert running.checkpoint_if_due()
        assert not wal.exists() or wal.stat().st_size == 0
        assert api.freshness(con).row(0, named=True)["calls"] == 50
    finally:
        con.close()


CRASH_SEED = 20261118
CRASH_STEPS = 30


def unread_ids(events: list[dict[str, Any]]) -> set[str]:
    """The ids of the lines ``unread`` events report in compressed files (which stay in the folder to be read)."""
    reported: set[str] = set()
    for event in events:
        if event.get("event") == "unread" and event["path"].endswith(".gz"):
            content = gzip.decompress(Path(event["path"]).read_bytes())[event["start"] : event["end"]]
            reported |= {json.loads(line)["id"] for line in content.splitlines() if line.strip()}
    return reported


def test_sigkills_of_watch_serve_and_the_dashboard_during_rotations_lose_nothing_silently(tmp_path: Path) -> None:
    """A log is appended, rotated (renamed, or renamed and compressed), copy-truncated and rewritten while LiteLLM
    records are posted to `tierscope serve`; `watch`, `serve` and a dashboard owner (its ingester) are SIGKILLed at
    seeded random moments, each a few times, and restarted. Afterwards every line written and every record posted
    is in the database exactly once (count, distinct ids, token sums), or, for a line, reported by an `unread`
    event (a compressed rotation whose tail the watcher never read); none is lost in silence."""
    rng = random.Random(CRASH_SEED)
    logs, db = tmp_path / "logs", tmp_path / "calls.duckdb"
    logs.mkdir()
    log = RotatingLog(logs, rng)
    posted: list[dict[str, Any]] = []
    kills = {kind: set(rng.sample(range(2, CRASH_STEPS - 2), 3)) for kind in ("watch", "serve")}
    dashboard_steps = {
        start: start + rng.randint(2, 4) for start in (rng.randint(2, 6), rng.randint(11, 15), rng.randint(20, 24))
    }
    runs = [watch(logs, db, "--batch-bytes", "20000")]
    receivers = [serve(db)]
    dashboards: list[Running] = []
    operations = []

    def deliver(batch: list[dict[str, Any]]) -> None:
        """Post until acknowledged: a body without an answer is sent again (to a restarted receiver)."""
        while True:
            receiver, url = receivers[-1]
            try:
                if post(f"{url}/litellm", json.dumps(batch).encode())[0] == 200:
                    posted.extend(batch)
                    return
            except OSError:
                pass
            if receiver.process.poll() is not None:
                receivers.append(serve(db))

    try:
        for step in range(CRASH_STEPS):
            timers = []
            if step in kills["watch"]:
                timers.append(threading.Timer(rng.uniform(0.0, 0.3), runs[-1].kill))
            if step in kills["serve"]:
                timers.append(threading.Timer(rng.uniform(0.0, 0.3), receivers[-1][0].kill))
            if dashboards and step in dashboard_steps.values():
                timers.append(threading.Timer(rng.uniform(0.0, 0.3), dashboards[-1].kill))
            for timer in timers:
                timer.start()
            operations.append(log.step())
            deliver(records(f"post{step}", 30))
            for timer in timers:
                timer.join()
            if runs[-1].process.poll() is not None:
                runs.append(watch(logs, db, "--batch-bytes", "20000"))
            if receivers[-1][0].process.poll() is not None:
                receivers.append(serve(db))
            if step in dashboard_steps:
                dashboards.append(dashboard_owner(db))
            time.sleep(0.1)
    finally:
        for running in [*runs, *(receiver for receiver, _ in receivers), *dashboards]:
            running.settle()
    final = watch_once(logs, db)

    events = [event for run in runs for event in run.events()] + [
        json.loads(line) for line in final.stdout.splitlines()
    ]
    assert {"rotate", "compress", "copytruncate", "rewrite"} <= set(operations)
    assert len(runs) == 4 and len(receivers) >= 4 and len(dashboards) == 3  # every process was killed at least 3 times
    assert any(event["event"] == "spooled" for event in events)  # batches were handed over while a dashboard owned
    assert any(event["event"] == "restart" for event in events)
    sent = {record["id"]: record for record in log.written + posted}
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select request_id, input_tokens, output_tokens from calls").fetchall()
    loaded = {request_id for request_id, _, _ in rows}
    assert len(rows) == len(loaded)  # never twice
    assert loaded <= set(sent)
    missing = set(sent) - loaded
    assert missing <= unread_ids(events)  # never lost without an unread event
    assert not {record["id"] for record in posted} & missing
    assert stored(db) == expected(record for request_id, record in sent.items() if request_id in loaded)
