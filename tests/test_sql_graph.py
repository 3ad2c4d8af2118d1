"""The SQL layer's run order and rebuild triggers come from the SQL itself (queries/graph.py): an unknown reference or
a cycle is an error, each derived table is rebuilt only when the SQL or config it reads changes, and opening an
unchanged database redoes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, write_jsonl
from tierscope.ingest.load import ingest_paths
from tierscope.queries import graph
from tierscope.queries.db import connect, on_rebuilt

DERIVED_TABLES = {Path(path).stem for path in graph.current().derived()}


def test_graph_json_is_fresh() -> None:
    """sql/graph.json (the parsed references) matches the SQL files: `python -m tierscope.queries.graph` rewrites it."""
    assert graph.CACHE_PATH.read_text(encoding="utf-8") == graph.cache_text(graph.build(use_cache=False))


def test_every_model_comes_after_what_it_reads() -> None:
    layers = graph.current()
    position = {path: index for index, path in enumerate(layers.order)}
    assert set(position) == set(layers.models)
    for path, reads in layers.reads.items():
        assert all(position[read] < position[path] for read in reads), path
    # what the derived tables are read through is in the graph, not in a hand list
    files, externals = layers.closure("derived/simulator_rollup.sql")
    assert {"derived/trace_rollup.sql", "intermediate/int_traces.sql", "staging/stg_calls.sql"} <= files
    assert "cfg_prices" in externals and "cfg_drift" not in externals
    files, externals = layers.closure("marts/mart_escalation_by_window.sql")
    assert "cfg_drift" in externals and "derived/trace_rollup.sql" in files


def _layer(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return tmp_path


def test_an_unknown_reference_is_an_error(tmp_path: Path) -> None:
    sql_dir = _layer(
        tmp_path,
        {"schema/tables.sql": "create table if not exists calls (a int);", "marts/mart_x.sql": "select * from callz"},
    )
    with pytest.raises(graph.GraphError, match=r"marts/mart_x.sql: reads callz, which no SQL file defines"):
        graph.build(sql_dir)


def test_a_cycle_is_an_error(tmp_path: Path) -> None:
    sql_dir = _layer(
        tmp_path,
        {
            "schema/tables.sql": "create table if not exists calls (a int);",
            "staging/stg_a.sql": "select * from stg_b",
            "staging/stg_b.sql": "-- params: x\nselect * from query_table('stg_a')",
        },
    )
    with pytest.raises(graph.GraphError, match="cycle"):
        graph.build(sql_dir)


def test_a_cte_named_like_a_table_still_reads_it(tmp_path: Path) -> None:
    sql_dir = _layer(
        tmp_path,
        {
            "schema/tables.sql": "create table if not exists calls (a int);",
            "staging/stg_calls.sql": "with calls as (select * from calls) select * from calls",
            "intermediate/int_x.sql": "-- params: relation\nselect * from query_table(relation)",
            "marts/mart_y.sql": "select * from int_x('stg_calls')",
        },
    )
    layers = graph.build(sql_dir)
    assert layers.reads["staging/stg_calls.sql"] == {"schema/tables.sql"}
    assert layers.reads["marts/mart_y.sql"] == {"intermediate/int_x.sql", "staging/stg_calls.sql"}


def _routing(tmp_path: Path, old: str, new: str) -> Path:
    text = (REPO / "tierscope" / "config" / "routing.yaml").read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "routing.yaml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_each_derived_table_is_rebuilt_only_when_what_it_reads_changes(tmp_path: Path) -> None:
    db = tmp_path / "d.duckdb"
    rebuilt: list[str] = []
    stop = on_rebuilt(lambda table, _seconds: rebuilt.append(table))
    try:
        con = connect(db)
        assert set(rebuilt) == DERIVED_TABLES  # a new database builds them all
        record = {"request_id": "r1", "started_at": "2026-11-01T10:00:00Z", "task_type": "extraction",
                  "served_model": "gpt-4o", "input_tokens": 10, "output_tokens": 5}  # fmt: skip
        ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", [record])])
        con.close()

        rebuilt.clear()
        connect(db).close()
        assert rebuilt == []  # unchanged: nothing rebuilt

        # the drift threshold is read by the drift mart only: no derived table reads it
        drift = _routing(tmp_path, "threshold: 0.15", "threshold: 0.9")
        con = connect(db, routing_path=drift)
        assert rebuilt == []
        [(threshold,)] = con.execute("select drift_threshold from cfg_drift").fetchall()
        assert threshold == 0.9
        con.close()

        # the default tier is read by pricing: every derived table is rebuilt
        tiers = _routing(tmp_path, "default_tier: tier2", "default_tier: tier1")
        connect(db, routing_path=tiers).close()
        assert set(rebuilt) == DERIVED_TABLES
    finally:
        stop()
