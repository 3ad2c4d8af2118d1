"""Profiling: pass rates with Wilson intervals, the recommendation rule at its boundaries, the cost projection."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import SAMPLE_LOGS, write_jsonl
from tierscope.cli import main
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.profiling import load_profiling
from tierscope.queries import api
from tierscope.queries.db import connect

PRICES = """
models:
  small: {context_window: 100000, prices: [{effective_from: 2025-01-01, input: 1.0, output: 2.0}]}
  mid: {context_window: 100000, prices: [{effective_from: 2025-01-01, input: 10.0, output: 20.0}]}
  big: {context_window: 100000, prices: [{effective_from: 2025-01-01, input: 100.0, output: 200.0}]}
"""

ROUTING = """
tiers: {tier1: [small], tier2: [mid], tier3: [big]}
default_tier: tier2
tasks:
  at_route: {tier: tier2, requests_per_day: 100}
  at_monitor: {tier: tier2, requests_per_day: 10}
  below: {tier: tier2}
  risky: {tier: tier3, blast_radius: high}
  gated: {tier: tier3, blast_radius: high, quality_gate: schema check}
"""


def results(task: str, tier: str, passed: int, total: int = 20, tokens: tuple[int, int] = (1000, 100)) -> list[dict]:
    return [
        {
            "prompt_id": f"{task}-{i}",
            "task_type": task,
            "tier": tier,
            "passed": i < passed,
            "input_tokens": tokens[0],
            "output_tokens": tokens[1],
            "latency_ms": 100,
        }
        for i in range(total)
    ]


@pytest.fixture
def profiled(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    (tmp_path / "prices.yaml").write_text(PRICES)
    (tmp_path / "routing.yaml").write_text(ROUTING)
    con = connect(tmp_path / "p.duckdb", tmp_path / "prices.yaml", tmp_path / "routing.yaml")
    rows = (
        results("at_route", "tier1", 19)
        + results("at_route", "tier2", 20)  # 95% exactly: route
        + results("at_monitor", "tier1", 17)
        + results("at_monitor", "tier2", 20)  # 85% exactly: monitor
        + results("below", "tier1", 16)
        + results("below", "tier2", 18)
        + results("below", "tier3", 20)
        + results("risky", "tier1", 20)
        + results("risky", "tier2", 20)  # kept off tier1: no quality gate
        + results("gated", "tier1", 20)
        + [{"prompt_id": "x", "task_type": "below", "tier": "tier1", "passed": "maybe"}]
    )
    load = load_profiling(con, write_jsonl(tmp_path / "profiling.jsonl", rows))
    assert (load.rows_read, load.loaded, load.quarantined) == (len(rows), len(rows) - 1, 1)
    return con


def test_recommendation_boundaries(profiled: duckdb.DuckDBPyConnection) -> None:
    got = {
        row[0]: row[1:]
        for row in api.profiling_recommendation(profiled).select("task_type", "recommended_tier", "decision").rows()
    }
    assert got == {
        "at_route": ("tier1", "route"),
        "at_monitor": ("tier1", "route with monitoring"),
        "below": ("tier2", "route with monitoring"),  # tier1 80% < 85%; tier2 90%
        "risky": ("tier2", "route"),
        "gated": ("tier1", "route"),
    }
    reasons = dict(api.profiling_recommendation(profiled).select("task_type", "reason").rows())
    assert reasons["below"] == "tier1 80.0% (n=20) < 85%; tier2 90.0% (n=20) >= 85%"
    assert reasons["risky"].startswith("tier1 100.0% (n=20): skipped, high blast radius without a quality gate")


def test_wilson_interval_matches_known_values(tmp_path: Path) -> None:
    con = connect(tmp_path / "w.duckdb")
    load_profiling(con, write_jsonl(tmp_path / "w.jsonl", results("a", "tier1", 8, 10) + results("b", "tier1", 0, 10)))
    rates = {
        row[0]: row[1:]
        for row in api.profiling_pass_rates(con)
        .select("task_type", "pass_rate", "pass_rate_low", "pass_rate_high")
        .rows()
    }
    # Wilson score interval, 95%: 8/10 -> (0.4902, 0.9433); 0/10 -> (0, 0.2775)
    assert rates["a"] == (pytest.approx(0.8), pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert rates["b"] == (0.0, pytest.approx(0.0, abs=1e-12), pytest.approx(0.2775, abs=1e-4))


def test_cost_projection(profiled: duckdb.DuckDBPyConnection) -> None:
    projection = {(row["task_type"], row["map_name"]): row for row in api.cost_projection(profiled).to_dicts()}
    # at_route on tier1 (small): 1000 x 1 + 100 x 2 = 0.0012 per attempt, plus 5% x the tier2 attempt 0.012
    recommended = projection[("at_route", "recommended")]
    assert recommended["cost_per_request_usd"] == pytest.approx(0.0012 + 0.05 * 0.012)
    assert recommended["monthly_cost_usd"] == pytest.approx(30 * 100 * (0.0012 + 0.05 * 0.012))
    assert recommended["traffic_source"] == "routing.yaml"
    # current map: tier2, 100% pass there, nothing to escalate
    assert projection[("at_route", "current")]["monthly_cost_usd"] == pytest.approx(30 * 100 * 0.012)
    # no profiling on tier3 for at_route: the all-frontier cost is unknown, not zero
    assert projection[("at_route", "all_frontier")]["monthly_cost_usd"] is None
    # a task with no requests_per_day and no traffic in the database has no projection
    assert projection[("below", "current")]["requests_per_day"] is None


def test_profile_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, scenario = str(tmp_path / "cli.duckdb"), tmp_path / "recommended.yaml"
    status = main(
        [
            "profile",
            str(SAMPLE_LOGS / "profiling_results.jsonl"),
            "--db",
            db,
            "--json",
            "--save-scenario",
            str(scenario),
        ]
    )
    payload = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (payload["rows_read"], payload["loaded"]) == (1440, 1440)
    assert len(payload["pass_rates"]) == 18
    recommended = {row["task_type"]: row["recommended_tier"] for row in payload["recommendation"]}
    assert yaml.safe_load(scenario.read_text())["tasks"]["reasoning"]["tier"] == recommended["reasoning"]
    # loading the same file again reuses the run
    main(["profile", str(SAMPLE_LOGS / "profiling_results.jsonl"), "--db", db, "--json"])
    assert json.loads(capsys.readouterr().out)["run_id"] == payload["run_id"]


def test_task_audit_warnings(tmp_path: Path) -> None:
    (tmp_path / "prices.yaml").write_text(PRICES)
    (tmp_path / "routing.yaml").write_text(ROUTING.replace("risky: {tier: tier3", "risky: {tier: tier1"))
    con = connect(tmp_path / "a.duckdb", tmp_path / "prices.yaml", tmp_path / "routing.yaml")
    calls = [
        # at_route on tier2 (mid, window 100k -> guard 80k): one call above it; output is 2/3 of the cost
        {
            "request_id": "a1",
            "started_at": "2025-02-01",
            "task_type": "at_route",
            "served_model": "mid",
            "input_tokens": 90_000,
            "output_tokens": 100,
        },
        {
            "request_id": "a2",
            "started_at": "2025-02-01",
            "task_type": "at_route",
            "served_model": "mid",
            "input_tokens": 1000,
            "output_tokens": 100_000,
        },
        {
            "request_id": "n1",
            "started_at": "2025-02-01",
            "task_type": "not_audited",
            "served_model": "mid",
            "input_tokens": 1000,
            "output_tokens": 10,
        },
    ]
    ingest_paths(con, [write_jsonl(tmp_path / "calls.jsonl", calls)])
    audit = {row["task_type"]: row for row in api.task_audit(con).to_dicts()}
    assert audit["not_audited"]["warnings"][0] == "seen in the logs but missing from the audit (routing.yaml tasks)"
    assert "high blast radius on the first tier without a quality gate" in audit["risky"]["warnings"]
    assert "high blast radius on the first tier without a quality gate" not in audit["gated"]["warnings"]
    at_route = audit["at_route"]
    assert at_route["calls_over_guard"] == 1
    # output: 100 x 20 + 100,000 x 20 per 1M = 2.002 of 2.912 (inputs 0.9 + 0.01) -> 69%
    assert at_route["output_cost_share"] == pytest.approx(2.002 / 2.912)
    assert at_route["warnings"] == [
        "output-heavy: output tokens are 69% of its cost; route by expected output length too",
        "1 call exceeds the context guard (80% of the window) of mid or of the model that served them",
        "no quality oracle declared",
    ]


def test_a_run_with_no_usable_result_is_refused_and_the_latest_run_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "refused.duckdb")
    assert main(["profile", str(SAMPLE_LOGS / "profiling_results.jsonl"), "--db", db, "--json"]) == 0
    good = json.loads(capsys.readouterr().out)
    unusable = write_jsonl(
        tmp_path / "unusable.jsonl",
        [{"prompt_id": "p1", "task_type": "reasoning", "tier": "tier1", "passed": "maybe"}, {"prompt_id": "p2"}],
    )
    assert main(["profile", str(unusable), "--db", db]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0
    assert f"{unusable}: no usable profiling result (2 read; line 1: passed: 'maybe' is not true or false" in error
    con = connect(Path(db))
    try:
        assert con.execute("select count(*), max(run_id) from profiling_runs").fetchall() == [(1, good["run_id"])]
        assert con.execute("select count(*) from quarantine where ingest_id < 0").fetchall() == [(0,)]
        assert api.profiling_pass_rates(con).height == len(good["pass_rates"])
    finally:
        con.close()
