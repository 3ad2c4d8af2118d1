"""A call's time says where it came from (issue 15.1): the record (log), the file's modification time (file: batch
results carry none) or `tierscope ingest --started-at` (given). The demo gives its batch file a time inside the
sample month, so its numbers are the same whatever day the files were cloned."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO
from tierscope.cli import main
from tierscope.ingest.load import ingest_paths
from tierscope.queries import api
from tierscope.queries.db import connect
from tierscope.settings import SAMPLE_LOGS

BATCH = SAMPLE_LOGS / "formats" / "anthropic_batch_results.jsonl"
LOGGED = SAMPLE_LOGS / "formats" / "litellm.jsonl"
ANOTHER_YEAR = 1_577_880_000  # 2020-01-01T12:00:00Z


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _approx(value: object) -> object:
    if isinstance(value, float):
        return pytest.approx(value, rel=1e-9)
    if isinstance(value, dict):
        return {key: _approx(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_approx(item) for item in value]
    return value


def _demo_numbers(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> list[object]:
    db = str(tmp_path / f"{name}.duckdb")
    assert main(["demo", "--no-dashboard", "--db", db]) == 0
    tier_map = str(REPO / "tierscope" / "config" / "routing.yaml")
    whatif = _json(capsys, ["whatif", "--db", db, "--tier-map", tier_map, "--json"])
    return [
        _json(capsys, ["report", "--db", db, "--json"]),
        _json(capsys, ["report", "--db", db, "--by", "day", "--json"]),
        whatif,
    ]


def test_the_demo_does_not_depend_on_the_batch_files_mtime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = BATCH.stat()
    try:
        first = _demo_numbers(tmp_path, "first", capsys)
        os.utime(BATCH, (ANOTHER_YEAR, ANOTHER_YEAR))
        second = _demo_numbers(tmp_path, "second", capsys)
    finally:
        os.utime(BATCH, ns=(original.st_atime_ns, original.st_mtime_ns))
    # equal up to the last bits of float sums (DuckDB adds them in parallel, in no fixed order)
    assert first == _approx(second)
    days = [row["day"] for row in first[1]["rows"]]  # type: ignore[index]
    assert all(day.startswith("2026-1") for day in days), days


def test_time_source_and_freshness(tmp_path: Path) -> None:
    batch = tmp_path / BATCH.name
    batch.write_bytes(BATCH.read_bytes())
    later = 3_786_912_000  # 2090-01-01: a download time after every logged call
    os.utime(batch, (later, later))
    con = connect(tmp_path / "t.duckdb")
    ingest_paths(con, [LOGGED, batch])
    [(logged_newest,)] = con.execute("select max(started_at) from calls where time_source = 'log'").fetchall()
    sources = dict(con.execute("select time_source, count(*) from calls group by all").fetchall())
    assert set(sources) == {"log", "file"}
    # the batch's file time is not the data's freshness: the newest logged call is
    assert api.freshness(con)["latest_started_at"][0] == logged_newest
    con.close()

    # given a time, batch results take it, and it counts as the data's own
    given = dt.datetime(2026, 11, 20, 12, 0)
    con = connect(tmp_path / "given.duckdb")
    ingest_paths(con, [LOGGED, batch], started_at=given)
    batch_times = con.execute(
        "select distinct started_at, time_source from calls where source = $source", {"source": str(batch)}
    ).fetchall()
    assert batch_times == [(given, "given")]
    assert api.freshness(con)["latest_started_at"][0] == max(logged_newest, given)
    con.close()
