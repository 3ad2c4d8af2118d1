"""The derived tables the marts read (priced_calls, traces) always equal the live views they materialise."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, write_jsonl
from tierscope.ingest.load import ingest_paths
from tierscope.queries.db import connect

LIVE = {"priced_calls": "select * from int_priced_calls", "traces": "select * from int_traces(null)"}
EXCEPT_QUERIES = {
    table: f"(select * from {table} except all {live}) union all ({live} except all select * from {table})"
    for table, live in LIVE.items()
}


def assert_derived_current(con: duckdb.DuckDBPyConnection) -> None:
    for name, query in EXCEPT_QUERIES.items():
        assert con.sql(query).fetchall() == [], name


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
    assert con.sql("select is_escalated from traces where trace_id = 't1'").fetchall() == [(False,)]
    ingest_paths(con, [second, second])
    assert_derived_current(con)
    assert con.sql("select calls, is_escalated from traces where trace_id = 't1'").fetchall() == [(2, True)]
    before = con.sql("select sum(cost_usd) from priced_calls").fetchall()[0][0]
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
    after = con.sql("select sum(cost_usd) from priced_calls").fetchall()[0][0]
    # gpt-4o call b1: 1000 x 2.50 + 100 x 10 = 0.0035 before, half after
    assert before - after == pytest.approx(0.0035 / 2)


def test_an_interrupted_refresh_is_caught_up_on_open(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    con = connect(db)
    ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", [call("a1", "t1", 0, "gpt-4o")])], refresh=False)
    # as if the process died after the ingest committed: the marts' tables do not have the call yet
    assert con.sql("select count(*) from priced_calls").fetchall() == [(0,)]
    con.close()
    con = connect(db)
    assert con.sql("select count(*) from priced_calls").fetchall() == [(1,)]
    assert con.sql("select through_ingest_id from derived_state").fetchall() == [(1,)]
    assert_derived_current(con)
