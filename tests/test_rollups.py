"""The daily rollups (issue 7): marts read them for whole days and the calls / traces themselves for partial days,
so every sum and count equals the one over the raw rows. Checked after an ingest, after files that continue traces
of earlier files, after a re-ingest, and after a price change and its rebuild; percentiles within their bound."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import REPO, write_jsonl
from tierscope.cli import main
from tierscope.ingest.load import ingest_paths
from tierscope.queries import api, scenario
from tierscope.queries.config import load_routing
from tierscope.queries.db import connect
from tierscope.queries.scenario import with_task_tiers

MODELS = ["gpt-4o-mini", "claude-haiku-4-5", "gpt-4o", "claude-sonnet-4-6", "claude-opus-4-7", "house-model-7b"]
TASKS = ["classification", "extraction", "summarization", "rag_answer", "reasoning", "code_generation"]


def traffic(seed: int, first_day: int, days: int, traces: int, prefix: str) -> list[dict[str, object]]:
    """Calls over `days` days of May 2026 from `first_day`: one to three calls per trace (a retry, an escalation to
    a bigger model), cached / reasoning tokens, batch calls, inputs over every guard, a model with no price."""
    rng = random.Random(seed)
    records: list[dict[str, object]] = []
    for number in range(traces):
        trace_id = f"{prefix}-t{number}"
        start = dt.datetime(2026, 5, first_day, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(days * 86400))
        task = rng.choice(TASKS)
        model_index = rng.randrange(len(MODELS))
        for attempt in range(rng.choice([1, 1, 1, 2, 3])):
            input_tokens = rng.choice([200, 3_000, 40_000, 150_000, 170_000, 900_000])
            output_tokens = rng.randrange(1, 4_000)
            records.append(
                {
                    "request_id": f"{trace_id}-c{attempt}",
                    "trace_id": trace_id,
                    "started_at": (start + dt.timedelta(seconds=30 * attempt)).isoformat(),
                    "task_type": task,
                    "requested_model": rng.choice(["tier1", "tier2", MODELS[model_index]]),
                    "served_model": MODELS[min(model_index + attempt, len(MODELS) - 1)],
                    "input_tokens": input_tokens,
                    "cached_input_tokens": rng.choice([0, input_tokens // 2]),
                    "output_tokens": output_tokens,
                    "reasoning_tokens": rng.choice([0, output_tokens // 3]),
                    "escalated": attempt > 0 and rng.random() < 0.5,
                    "service_tier": rng.choice([None, None, "batch"]),
                    "team": rng.choice(["search", "support", None]),
                    "feature": rng.choice(["triage", "digest"]),
                    "provider": rng.choice(["openai", "anthropic"]),
                    "status": rng.choice(["success"] * 9 + ["error"]),
                }
            )
    return records


ALL_TRACES = "int_traces_in_scope(null, null, null, null, null)"

SCOPES = {
    "all time": api.Scope(),
    "whole days": api.Scope(start=dt.date(2026, 5, 3), end=dt.date(2026, 5, 9)),
    "partial days at both edges": api.Scope(
        start=dt.datetime(2026, 5, 2, 7, 30), end=dt.datetime(2026, 5, 9, 16, 45), teams=("search", "(none)")
    ),
    "inside one day": api.Scope(
        start=dt.datetime(2026, 5, 4, 6), end=dt.datetime(2026, 5, 4, 18), task_types=("extraction", "reasoning")
    ),
    "open start, partial end": api.Scope(end=dt.datetime(2026, 5, 5, 12), providers=("openai",)),
}


def raw_by_task(con: duckdb.DuckDBPyConnection, scope: api.Scope) -> pl.DataFrame:
    """Per task type, straight from the calls and traces (no rollup): what mart_task_costs must equal."""
    return con.sql(
        """
        with calls as (
            select task_type, count(*) as calls, sum(input_tokens) as input_tokens,
                   sum(cached_input_tokens) as cached_input_tokens, sum(reasoning_tokens) as reasoning_tokens,
                   sum(cost_usd) as cost_usd, count(*) filter (where not is_priced) as unpriced_calls
            from int_calls_in_scope($start_at, $end_at, $task_types, $teams, $providers)
            group by task_type
        ),
        traces as (
            select task_type, count(*) as requests, avg(is_escalated::int) as escalation_rate,
                   quantile_cont(cost_usd, 0.5) as p50, quantile_cont(cost_usd, 0.95) as p95
            from int_traces_in_scope($start_at, $end_at, $task_types, $teams, $providers)
            group by task_type
        )
        select * from calls full join traces using (task_type) order by task_type
        """,
        params=scope.params(),
    ).pl()


def assert_marts_equal_raw_rows(con: duckdb.DuckDBPyConnection) -> None:
    for name, scope in SCOPES.items():
        raw = raw_by_task(con, scope)
        assert raw.height > 0, name
        mart = api.task_costs(con, scope).sort("task_type")
        columns = [
            "task_type", "calls", "input_tokens", "cached_input_tokens", "reasoning_tokens", "cost_usd",
            "unpriced_calls", "requests", "escalation_rate",
        ]  # fmt: skip
        assert_frame_equal(mart.select(columns), raw.select(columns), check_dtypes=False, rel_tol=1e-9)
        # percentiles from the cost histogram: within 3.7% of quantile_cont over the traces
        for estimate, exact in zip(
            mart.select("cost_per_request_p50_usd", "cost_per_request_p95_usd").rows(),
            raw.select("p50", "p95").rows(),
            strict=True,
        ):
            for approximate, value in zip(estimate, exact, strict=True):
                assert approximate == pytest.approx(value, rel=0.037, abs=1e-12), name

        kpis = api.kpis(con, scope).row(0, named=True)
        assert kpis["calls"] == raw["calls"].sum()
        assert kpis["requests"] == raw["requests"].sum()
        assert kpis["cost_usd"] == pytest.approx(raw["cost_usd"].sum(), rel=1e-9)

        raw_days = con.sql(
            "select strftime(started_at::date, '%Y-%m-%d') as dimension_value, count(*) as calls, "
            "sum(cost_usd) as cost_usd from int_calls_in_scope($start_at, $end_at, $task_types, $teams, $providers) "
            "group by 1 order by 1",
            params=scope.params(),
        ).pl()
        days = api.cost_by(con, "day", scope).select("dimension_value", "calls", "cost_usd")
        assert_frame_equal(days, raw_days, check_dtypes=False, rel_tol=1e-9)

        raw_flow = con.sql(
            "select requested_tier, final_served_tier as served_tier, count(*) as requests, sum(cost_usd) as cost "
            "from int_traces_in_scope($start_at, $end_at, $task_types, $teams, $providers) group by all",
            params=scope.params(),
        ).pl()
        mix = (
            api.tier_mix(con, scope)
            .group_by("requested_tier", "served_tier")
            .agg(pl.col("requests").sum())
            .filter(pl.col("requests") > 0)
        )
        assert_frame_equal(
            mix.sort("requested_tier", "served_tier"),
            raw_flow.select("requested_tier", "served_tier", "requests").sort("requested_tier", "served_tier"),
            check_dtypes=False,
        )


def assert_rollups_equal_a_rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """The incrementally merged rollups hold exactly what grouping every call and trace afresh gives."""
    every_trace = "with all_traces as (select * from int_trace_slice()) select * from "
    for table, fresh in [
        ("call_rollup", "select * from int_call_groups()"),
        ("trace_rollup", every_trace + "int_trace_groups('all_traces')"),
        # the fold of trace_rollup, just compared
        ("simulator_rollup", "select * from int_simulator_groups('trace_rollup', true)"),
        ("trace_cost_histogram", every_trace + "int_trace_cost_buckets('all_traces')"),
        ("call_output_histogram", "select * from int_call_output_buckets()"),
        ("call_exceptions", "select * from int_call_exceptions(null, null)"),
    ]:
        kept = con.sql(f"select * from {table}").pl()
        rebuilt = con.sql(fresh).pl()
        keys = [name for name, dtype in kept.schema.items() if not dtype.is_float()]
        assert kept.height == rebuilt.height > 0, table
        assert_frame_equal(
            kept.sort(keys, nulls_last=True), rebuilt.select(kept.columns).sort(keys, nulls_last=True), rel_tol=1e-9
        )


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    first = traffic(1, first_day=1, days=6, traces=900, prefix="a")
    second = traffic(2, first_day=5, days=6, traces=900, prefix="b")
    # the second file continues 40 traces of the first (a later retry served by a bigger model): those traces move
    # group in the trace rollup, which must take their old version out
    for record in first[:40]:
        later = dt.datetime.fromisoformat(str(record["started_at"])) + dt.timedelta(minutes=5)
        second.append({**record, "request_id": f"{record['request_id']}-late", "started_at": later.isoformat(),
                       "served_model": "claude-opus-4-7", "escalated": True})  # fmt: skip
    return [write_jsonl(tmp_path / "first.jsonl", first), write_jsonl(tmp_path / "second.jsonl", second)]


def test_rollups_match_raw_rows_after_ingests_and_a_reingest(tmp_path: Path, files: list[Path]) -> None:
    con = connect(tmp_path / "rollups.duckdb")
    ingest_paths(con, files[:1])
    assert_rollups_equal_a_rebuild(con)
    assert_marts_equal_raw_rows(con)

    [result] = ingest_paths(con, files[1:])
    assert result.loaded > 0
    [(continued,)] = con.execute(
        f"select count(*) from {ALL_TRACES} "
        "where calls > 1 and trace_id like 'a-%' and final_served_model = 'claude-opus-4-7'"
    ).fetchall()
    assert continued >= 40
    assert_rollups_equal_a_rebuild(con)
    assert_marts_equal_raw_rows(con)

    before = con.sql("select * from trace_rollup").pl()
    [again] = ingest_paths(con, files)[1:]
    assert again.loaded == 0 and again.duplicates == again.rows_read
    assert_frame_equal(con.sql("select * from trace_rollup").pl(), before, check_row_order=False)
    assert_rollups_equal_a_rebuild(con)


def test_whatif_through_the_rollup_equals_the_edges_read_raw(tmp_path: Path, files: list[Path]) -> None:
    """The same traces through whole-day rollup rows and through the raw edge path give the same scenario."""
    con = connect(tmp_path / "whatif.duckdb")
    ingest_paths(con, files)
    current = load_routing(REPO / "tierscope" / "config" / "routing.yaml")
    all_on_tier1 = with_task_tiers(current, {task: "tier1" for task in current.tasks})
    whole_days = api.Scope(start=dt.date(2026, 5, 2), end=dt.date(2026, 5, 8))
    # the same traces as a scope whose edges are partial days: May 1 23:59:59.999999 holds no trace
    edges = api.Scope(start=dt.datetime(2026, 5, 1, 23, 59, 59, 999999), end=dt.datetime(2026, 5, 8, 0, 0, 0, 1))
    [(edge_traces,)] = con.execute(
        f"select count(*) from {ALL_TRACES} where started_at in ('2026-05-01 23:59:59.999999', '2026-05-08 00:00:00')"
    ).fetchall()
    assert edge_traces == 0
    columns = ["task_type", "requests", "baseline_cost_usd", "scenario_cost_usd", "guarded_calls",
               "expected_escalations", "unpriced_traces"]  # fmt: skip
    through_rollup = scenario.whatif(con, {"s": all_on_tier1}, whole_days).select(columns).sort("task_type")
    through_edges = scenario.whatif(con, {"s": all_on_tier1}, edges).select(columns).sort("task_type")
    assert through_rollup["guarded_calls"].sum() > 0
    assert through_rollup["scenario_cost_usd"].sum() < through_rollup["baseline_cost_usd"].sum()
    assert_frame_equal(through_rollup, through_edges, rel_tol=1e-9)
    # requests per task equal the raw traces in scope
    raw = con.sql(
        "select task_type, count(*) as requests "
        "from int_traces_in_scope($start_at, $end_at, $task_types, $teams, $providers) group by 1 order by 1",
        params=whole_days.params(),
    ).pl()
    assert_frame_equal(through_rollup.select("task_type", "requests"), raw, check_dtypes=False)


def test_price_change_rebuilds_the_rollups(
    tmp_path: Path, files: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "prices.duckdb"
    con = connect(db)
    ingest_paths(con, files)
    [(old_cost,)] = con.execute("select sum(cost_usd) from call_rollup").fetchall()
    con.close()

    prices = tmp_path / "prices.yaml"
    shutil.copy(REPO / "tierscope" / "config" / "prices.yaml", prices)
    text = prices.read_text()
    # gpt-4o-mini doubles its input price for every call (the same effective date, a new price)
    assert "input: 0.15, output: 0.60" in text
    prices.write_text(text.replace("input: 0.15, output: 0.60", "input: 0.30, output: 0.60"))
    con = connect(db, prices_path=prices)
    [(new_cost,)] = con.execute("select sum(cost_usd) from call_rollup").fetchall()
    [(raw_cost,)] = con.execute("select sum(cost_usd) from int_priced_calls").fetchall()
    assert new_cost == pytest.approx(raw_cost, rel=1e-12)
    assert new_cost > old_cost
    assert_rollups_equal_a_rebuild(con)
    assert_marts_equal_raw_rows(con)
    con.close()

    status = main(["rebuild", "--db", str(db), "--prices", str(prices), "--json"])
    assert status == 0
    out = capsys.readouterr().out
    assert '"calls": ' in out and '"trace_rollup_rows": ' in out
