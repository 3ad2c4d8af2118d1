"""The derived tables the marts read (rollups, histograms, exception calls), kept current ingest by ingest, always
equal what their definitions compute over every stored call; the trace anchors equal each trace's first call."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import REPO, write_jsonl
from tierscope.ingest.load import ingest_paths
from tierscope.queries.db import SQL_DIR, connect

DERIVED = ("call_rollup", "trace_rollup", "simulator_rollup", "trace_cost_histogram", "call_output_histogram",
           "call_exceptions")  # fmt: skip


def definition(table: str) -> str:
    """The query a derived table is built with (derived/NAME.sql: create or replace table NAME as QUERY)."""
    text = (SQL_DIR / "derived" / f"{table}.sql").read_text()
    match = re.search(rf"create or replace table {table} as\s+(.*?);?\s*$", text, re.DOTALL)
    assert match is not None, table
    return match[1]


def sorted_frame(con: duckdb.DuckDBPyConnection, query: str) -> pl.DataFrame:
    frame = con.sql(query).pl()
    return frame.sort(frame.columns, nulls_last=True)


def assert_derived_current(con: duckdb.DuckDBPyConnection) -> None:
    for table in DERIVED:
        kept = sorted_frame(con, f"select * from {table}")
        assert_frame_equal(kept, sorted_frame(con, definition(table)), rel_tol=1e-9, check_dtypes=False)
    wrong_anchors = """
        select trace_id from calls group by trace_id having min(trace_started_at) is distinct from min(started_at)
        or max(trace_started_at) is distinct from min(started_at)"""
    assert con.sql(wrong_anchors).fetchall() == []


def trace_row(con: duckdb.DuckDBPyConnection, trace_id: str, columns: str) -> list[tuple[object, ...]]:
    return con.execute(
        f"select {columns} from int_traces_in_scope(null, null, null, null, null) where trace_id = $trace_id",
        {"trace_id": trace_id},
    ).fetchall()


def call(request_id: str, trace_id: str, second: int, model: str, **fields: object) -> dict[str, object]:
    return {
        "request_id": request_id,
        "trace_id": trace_id,
        "started_at": f"2026-11-01T10:00:{second:02d}Z",
        "task_type": "extraction",
        "served_model": model,
        "input_tokens": 1000,
        "output_tokens": 100,
        **fields,
    }


def test_derived_tables_follow_ingest_and_config(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    con = connect(db)
    first = write_jsonl(tmp_path / "a.jsonl", [call("a1", "t1", 0, "claude-haiku-4-5"), call("b1", "t2", 1, "gpt-4o")])
    # the second file continues trace t1 with an escalation, and repeats b1
    second = write_jsonl(
        tmp_path / "b.jsonl", [call("a2", "t1", 5, "claude-sonnet-4-6", escalated=True), call("b1", "t2", 1, "gpt-4o")]
    )
    ingest_paths(con, [first])
    assert_derived_current(con)
    assert trace_row(con, "t1", "is_escalated") == [(False,)]
    ingest_paths(con, [second, second])
    assert_derived_current(con)
    assert trace_row(con, "t1", "calls, is_escalated") == [(2, True)]
    before = con.sql("select sum(cost_usd) from call_rollup").fetchall()[0][0]
    con.close()

    # a different price book rebuilds the derived tables on open
    cheaper = tmp_path / "prices.yaml"
    cheaper.write_text(
        (REPO / "tierscope" / "config" / "prices.yaml")
        .read_text()
        .replace(
            "{effective_from: 2024-10-01, input: 2.50, output: 10.00",
            "{effective_from: 2024-10-01, input: 1.25, output: 5.00",
        )
    )
    con = connect(db, prices_path=cheaper)
    assert_derived_current(con)
    after = con.sql("select sum(cost_usd) from call_rollup").fetchall()[0][0]
    # gpt-4o call b1: 1000 x 2.50 + 100 x 10 = 0.0035 before, half after
    assert before - after == pytest.approx(0.0035 / 2)


def test_an_interrupted_refresh_is_caught_up_on_open(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    con = connect(db)
    ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", [call("a1", "t1", 0, "gpt-4o")])], refresh=False)
    # as if the process died after the ingest committed: the marts' tables do not have the call yet
    assert con.sql("select count(*) from call_rollup").fetchall() == [(0,)]
    con.close()
    con = connect(db)
    assert con.sql("select sum(calls) from call_rollup").fetchall() == [(1,)]
    assert con.sql("select through_ingest_id from derived_state").fetchall() == [(1,)]
    assert_derived_current(con)


def test_a_call_earlier_than_its_stored_trace_moves_the_anchor_and_the_day(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    con = connect(db)
    late = {**call("c2", "t3", 0, "gpt-4o"), "started_at": "2026-11-02T00:00:10Z"}
    single = call("d1", "t4", 3, "gpt-4o")
    ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", [late, single])])
    days = "select day, sum(requests) from trace_rollup group by day order by day"
    assert con.sql(days).fetchall() == [(dt.date(2026, 11, 1), 1), (dt.date(2026, 11, 2), 1)]
    # a later file brings the trace's first call, the day before: the trace moves to that day, counted once
    early = {**call("c1", "t3", 0, "gpt-4o-mini"), "started_at": "2026-11-01T23:59:50Z"}
    ingest_paths(con, [write_jsonl(tmp_path / "b.jsonl", [early])])
    assert_derived_current(con)
    assert con.sql(days).fetchall() == [(dt.date(2026, 11, 1), 2)]
    anchors = "select request_id, trace_started_at from calls where trace_id = 't3' order by request_id"
    assert con.sql(anchors).fetchall() == [
        ("c1", dt.datetime(2026, 11, 1, 23, 59, 50)),
        ("c2", dt.datetime(2026, 11, 1, 23, 59, 50)),
    ]
    assert trace_row(con, "t3", "calls, first_served_model") == [(2, "gpt-4o-mini")]
