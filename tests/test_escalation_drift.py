"""Escalation per trace (docs/concepts.md) and drift flags, on tiny fixtures computed by hand."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import BuildDb
from tierscope.cli import main
from tierscope.queries import api

ROUTING = """
tiers:
  tier1: [small]
  tier2: [mid]
  tier3: [big]
default_tier: tier2
drift: {threshold: 0.15, mode: relative, window: 1d, min_requests: 10, baseline_days: 1}
tasks:
  cls: {tier: tier1, baseline_escalation_rate: 0.03}
  ext: {tier: tier1}
"""


def call(
    request_id: str,
    task: str,
    model: str,
    day: int,
    trace: str | None = None,
    second: int = 0,
    **fields: object,
) -> dict[str, object]:
    return {
        "request_id": request_id,
        "trace_id": trace or request_id,
        "started_at": f"2026-01-{day:02d}T10:00:{second:02d}Z",
        "task_type": task,
        "served_model": model,
        "input_tokens": 100,
        "output_tokens": 10,
        **fields,
    }


def single_call_traces(task: str, day: int, total: int, escalated: int) -> list[dict[str, object]]:
    return [call(f"{task}-{day}-{index}", task, "small", day, escalated=index < escalated) for index in range(total)]


TRACE_CASES = {
    # trace -> (calls, expected is_escalated)
    "stays_on_tier1": ([call("a1", "cls", "small", 1)], False),
    "marked_escalation": (
        [
            call("b1", "cls", "small", 1, "b", 0, quality_passed=False),
            call("b2", "cls", "mid", 1, "b", 5, escalated=True),
        ],
        True,
    ),
    "fallback_to_higher_tier": (
        [call("c1", "cls", "small", 1, "c", 0, status="error"), call("c2", "cls", "mid", 1, "c", 5)],
        True,
    ),
    "served_above_default": ([call("d1", "cls", "mid", 1)], True),
    "retry_marked_on_same_tier": ([call("e1", "cls", "small", 1, escalated=True)], True),
    "ends_back_on_default": (
        [call("f1", "cls", "mid", 1, "f", 0), call("f2", "cls", "small", 1, "f", 5)],
        False,
    ),
    "unconfigured_task_uses_default_tier": ([call("g1", "misc", "big", 1)], True),
    "unconfigured_task_on_default": ([call("h1", "misc", "mid", 1)], False),
}


@pytest.fixture
def routing_path(tmp_path: Path) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(ROUTING)
    return path


@pytest.fixture
def traces_db(build_db: BuildDb, routing_path: Path) -> duckdb.DuckDBPyConnection:
    records = [record for calls, _ in TRACE_CASES.values() for record in calls]
    return build_db(records, routing_path=routing_path)


def test_trace_escalation(traces_db: duckdb.DuckDBPyConnection) -> None:
    got = dict(
        traces_db.execute(
            "select trace_id, is_escalated from int_traces_in_scope(null, null, null, null, null)"
        ).fetchall()
    )
    expected = {calls[0]["trace_id"]: escalated for calls, escalated in TRACE_CASES.values()}
    assert got == expected


@pytest.fixture
def drift_db(build_db: BuildDb, routing_path: Path) -> duckdb.DuckDBPyConnection:
    records = (
        single_call_traces("cls", 2, 2000, 69)  # 69/2000 = 0.0345: exactly at the limit 0.03 x 1.15
        + single_call_traces("cls", 3, 2000, 70)  # 0.035: above it
        + single_call_traces("cls", 4, 9, 9)  # 100% but only 9 traces: below min_requests, not judged
        + single_call_traces("ext", 1, 20, 2)  # no baseline in routing.yaml: day 1 is the baseline, 0.10
        + single_call_traces("ext", 2, 20, 3)  # 0.15 > 0.10 x 1.15
    )
    return build_db(records, routing_path=routing_path)


def test_escalation_by_window(drift_db: duckdb.DuckDBPyConnection) -> None:
    frame = api.escalation_by_window(drift_db)
    got = {
        (row["task_type"], row["window_start"].day): (
            row["requests"],
            row["escalated"],
            row["is_judged"],
            row["is_flagged"],
            row["baseline_source"],
        )
        for row in frame.iter_rows(named=True)
    }
    assert got == {
        ("cls", 2): (2000, 69, True, False, "routing.yaml"),
        ("cls", 3): (2000, 70, True, True, "routing.yaml"),
        ("cls", 4): (9, 9, False, False, "routing.yaml"),
        ("ext", 1): (20, 2, True, False, "observed"),
        ("ext", 2): (20, 3, True, True, "observed"),
    }
    limits = dict(frame.select("task_type", "limit_rate").unique().rows())
    assert limits == {"cls": pytest.approx(0.0345), "ext": pytest.approx(0.115)}


def test_drift_flags_latest_judged_window(drift_db: duckdb.DuckDBPyConnection) -> None:
    flags = api.drift_flags(drift_db)
    assert flags.select("task_type", "window_start", "is_flagged").rows() == [
        ("cls", dt.datetime(2026, 1, 3), True),
        ("ext", dt.datetime(2026, 1, 2), True),
    ]
    # scoped to day 2 only: cls sits exactly at its limit and is not flagged
    day_two = api.drift_flags(drift_db, api.Scope(start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 3)))
    assert dict(day_two.select("task_type", "is_flagged").rows()) == {"cls": False, "ext": True}


def test_absolute_mode(build_db: BuildDb, tmp_path: Path) -> None:
    routing = tmp_path / "absolute.yaml"
    routing.write_text(
        ROUTING.replace("mode: relative", "mode: absolute").replace("threshold: 0.15", "threshold: 0.01")
    )
    con = build_db(
        single_call_traces("cls", 3, 2000, 70) + single_call_traces("cls", 4, 2000, 81), routing_path=routing
    )
    flags = {row["window_start"].day: row["is_flagged"] for row in api.escalation_by_window(con).iter_rows(named=True)}
    assert flags == {3: False, 4: True}  # limit 0.03 + 0.01 = 0.04: 0.035 is under it, 0.0405 over


def test_drift_cli_exit_status_and_json(
    drift_db: duckdb.DuckDBPyConnection, routing_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [(db_path,)] = drift_db.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    drift_db.close()
    status = main(["drift", "--db", db_path, "--routing", str(routing_path), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert status == 1
    assert payload["checked"] == 2
    assert [item["task_type"] for item in payload["flagged"]] == ["cls", "ext"]
    assert set(payload["flagged"][0]) == {
        "task_type",
        "window_start",
        "requests",
        "escalation_rate",
        "baseline_rate",
        "limit_rate",
    }
    assert payload["flagged"][0]["requests"] == 2000
    assert payload["flagged"][0]["escalation_rate"] == pytest.approx(0.035)
    status = main(
        [
            "drift",
            "--db",
            db_path,
            "--routing",
            str(routing_path),
            "--json",
            "--until",
            "2026-01-02",
            "--task-type",
            "cls",
        ]
    )
    assert status == 0
    assert json.loads(capsys.readouterr().out) == {"flagged": [], "checked": 1}
