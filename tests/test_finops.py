"""The FinOps loop (docs/finops.md) on small databases built through the real load path, every expectation computed
by hand: the month-end forecast of a known run-rate, budgets crossed by spend and by forecast only, spend anomalies
planted by volume and by a tier shift (and none on steady traffic with weekly seasonality), the call listing's
pages adding up to the aggregate they came from, cost by user, latency and errors per model, cache savings.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from tests.conftest import BuildDb
from tierscope.cli import main
from tierscope.cli.commands import calls as calls_command
from tierscope.queries import api, export
from tierscope.queries.api import CallFilters, Scope
from tierscope.queries.config import ConfigError, load_budgets

# USD per 1M tokens: a call of 100,000 input tokens costs $1 on mid and $10 on big.
PRICES = """
models:
  mid:
    provider: anthropic
    prices:
      - {effective_from: 2025-01-01, input: 10.0, output: 20.0, cached_input: 1.0, cache_write: 12.5}
  big:
    provider: openai
    prices:
      - {effective_from: 2025-01-01, input: 100.0, output: 200.0}
"""
ROUTING = """
tiers:
  tier2: [mid]
  tier3: [big]
default_tier: tier2
"""
DOLLAR = 100_000  # input tokens that cost $1 on mid
PROVIDERS = {"mid": "anthropic", "big": "openai"}


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Path]:
    prices, routing = tmp_path / "prices.yaml", tmp_path / "routing.yaml"
    prices.write_text(PRICES)
    routing.write_text(ROUTING)
    return {"prices_path": prices, "routing_path": routing}


def call(request_id: str, day: dt.date, task: str, model: str = "mid", **fields: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "trace_id": fields.pop("trace_id", request_id),
        "started_at": f"{day:%Y-%m-%d}T{fields.pop('time', '12:00:00')}Z",
        "task_type": task,
        "team": fields.pop("team", "search"),
        "served_model": model,
        "provider": PROVIDERS[model],
        "input_tokens": DOLLAR,
        "output_tokens": 0,
        **fields,
    }


def calls_on(prefix: str, day: dt.date, task: str, count: int, **fields: Any) -> list[dict[str, Any]]:
    return [call(f"{prefix}-{day:%m%d}-{index}", day, task, **fields) for index in range(count)]


def cli_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    status = main(args)
    return status, json.loads(capsys.readouterr().out)


def cli_args(con: duckdb.DuckDBPyConnection, config: dict[str, Path]) -> list[str]:
    [(path,)] = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
    return ["--db", path, "--prices", str(config["prices_path"]), "--routing", str(config["routing_path"])]


# --- 1. month to date and forecast ---------------------------------------------------------------------------------

APRIL = [dt.date(2026, 4, day) for day in range(1, 11)]


@pytest.fixture
def april_db(build_db: BuildDb, config: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    """April 1-10, 2026: task a spends $1 every day; task b $1 on odd days and $3 on even days. One call on
    March 31 (task a, $1): the logs start before April, so every April day up to the 10th is observed."""
    records = [call("march", dt.date(2026, 3, 31), "a")]
    for day in APRIL:
        records += calls_on("a", day, "a", 1) + calls_on("b", day, "b", 1 if day.day % 2 else 3)
    return build_db(records, **config)


T_975_9 = 2.2622  # Student's t, 97.5th percentile, 9 degrees of freedom


def test_forecast_of_a_known_run_rate(april_db: duckdb.DuckDBPyConnection) -> None:
    rows = api.month_forecast(april_db)
    total = rows.row(0, named=True)
    # the newest call is on April 10: 10 of 30 days elapsed, whatever the wall clock says
    assert (total["month"], total["days_elapsed"], total["days_in_month"], total["days_observed"]) == (
        "2026-04",
        10,
        30,
        10,
    )
    # $2 on odd days, $4 on even days: $30 so far, $3 a day, 20 days to go
    assert total["month_to_date_usd"] == pytest.approx(30.0)
    assert total["forecast_usd"] == pytest.approx(30.0 + 3.0 * 20)
    # sample sd of ten days at 3 +- 1: sqrt(10 / 9); the 95% prediction interval of the 20 remaining days' sum
    half = T_975_9 * math.sqrt(10 / 9) * math.sqrt(20 + 20**2 / 10)
    assert total["forecast_low_usd"] == pytest.approx(90.0 - half, abs=1e-6)
    assert total["forecast_high_usd"] == pytest.approx(90.0 + half, abs=1e-6)
    by_task = {
        row["value"]: (row["month_to_date_usd"], row["forecast_usd"], row["forecast_low_usd"], row["forecast_high_usd"])
        for row in rows.filter(pl.col("dimension") == "task_type").iter_rows(named=True)
    }
    # task a never varies: a zero-width interval
    assert by_task["a"] == pytest.approx((10.0, 30.0, 30.0, 30.0))
    assert by_task["b"][:2] == pytest.approx((20.0, 60.0))


def test_a_past_month_forecasts_what_it_spent(april_db: duckdb.DuckDBPyConnection) -> None:
    march = api.month_forecast(april_db, dt.date(2026, 3, 1)).row(0, named=True)
    # all 31 days elapsed, one observed (the logs start on the 31st): the forecast is the spend, no interval left
    assert (march["days_elapsed"], march["days_observed"], march["days_remaining"]) == (31, 1, 0)
    assert (march["month_to_date_usd"], march["forecast_usd"]) == pytest.approx((1.0, 1.0))


def test_forecast_command_json(
    april_db: duckdb.DuckDBPyConnection, config: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = cli_args(april_db, config)
    april_db.close()
    status, payload = cli_json(["forecast", *args, "--json"], capsys)
    assert status == 0
    assert set(payload) == {
        "month",
        "days_elapsed",
        "days_in_month",
        "month_to_date_usd",
        "forecast_usd",
        "forecast_low_usd",
        "forecast_high_usd",
        "by_task",
    }
    assert (payload["month"], payload["days_elapsed"], payload["days_in_month"]) == ("2026-04", 10, 30)
    assert payload["forecast_usd"] == pytest.approx(90.0)
    assert payload["by_task"] == [
        {"task_type": "b", "month_to_date_usd": pytest.approx(20.0), "forecast_usd": pytest.approx(60.0)},
        {"task_type": "a", "month_to_date_usd": pytest.approx(10.0), "forecast_usd": pytest.approx(30.0)},
    ]
    # filtered to task a, and March by name
    _, only_a = cli_json(["forecast", *args, "--task-type", "a", "--json"], capsys)
    assert only_a["forecast_usd"] == pytest.approx(30.0)
    _, march = cli_json(["forecast", *args, "--month", "2026-03", "--json"], capsys)
    assert (march["month"], march["forecast_usd"]) == ("2026-03", pytest.approx(1.0))
    assert main(["forecast", *args, "--month", "2026-06"]) == 2
    assert "--month 2026-06: the calls cover 2026-03-31 → 2026-04-10" in capsys.readouterr().err


# --- 2. budgets ----------------------------------------------------------------------------------------------------

BUDGETS = """
budgets:
  total: 100
  task_type: {b: 50, a: 8}
  provider: {anthropic: 95}
  team: {growth: 10}
"""


def test_budget_crossed_by_the_forecast_but_not_by_spend(
    april_db: duckdb.DuckDBPyConnection,
    config: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    budgets_path = tmp_path / "budgets.yaml"
    budgets_path.write_text(BUDGETS)
    status = api.budget_status(april_db, load_budgets(budgets_path).rows())
    assert status.select("scope", "name", "spent_usd", "forecast_usd", "status").rows() == [
        ("total", None, pytest.approx(30.0), pytest.approx(90.0), "ok"),
        ("team", "growth", 0.0, 0.0, "ok"),
        # $20 of $50 spent, but $2 a day for 20 more days makes $60
        ("task_type", "b", pytest.approx(20.0), pytest.approx(60.0), "forecast_over"),
        ("task_type", "a", pytest.approx(10.0), pytest.approx(30.0), "over"),
        ("provider", "anthropic", pytest.approx(30.0), pytest.approx(90.0), "ok"),
    ]
    args = cli_args(april_db, config)
    april_db.close()
    code, payload = cli_json(["budget", *args, "--budgets", str(budgets_path), "--json"], capsys)
    assert code == 1
    assert payload["budgets"][2] == {
        "scope": "task_type",
        "name": "b",
        "limit_usd": 50.0,
        "month": "2026-04",
        "spent_usd": pytest.approx(20.0),
        "forecast_usd": pytest.approx(60.0),
        "status": "forecast_over",
    }
    budgets_path.write_text("budgets:\n  total: 100\n")
    assert main(["budget", *args, "--budgets", str(budgets_path)]) == 0, "every budget ok: exit 0"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("budgets:\n  total: -5\n", "budgets.total"),
        ("budgets:\n  owner: {me: 5}\n", "budgets.owner"),
        ("budgets:\n  team: {search: zero}\n", "budgets.team.search"),
    ],
)
def test_budgets_are_validated(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "budgets.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=said) as raised:
        load_budgets(path)
    assert str(path) in str(raised.value)


def test_a_wrong_budgets_file_stops_the_dashboard_in_one_line(
    april_db: duckdb.DuckDBPyConnection, config: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "budgets.yaml"
    path.write_text("budgets:\n  total: -5\n")
    args = cli_args(april_db, config)
    april_db.close()
    assert main(["dashboard", *args, "--no-browser", "--budgets", str(path)]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and str(path) in said[0] and "budgets.total" in said[0]


# --- 3. spend anomalies --------------------------------------------------------------------------------------------

FIRST_MONDAY = dt.date(2026, 1, 5)
SIX_WEEKS = [FIRST_MONDAY + dt.timedelta(days=offset) for offset in range(42)]  # through Sunday February 15
VOLUME_DAY = dt.date(2026, 2, 11)  # a Wednesday
SHIFT_DAY = dt.date(2026, 2, 15)  # a Sunday, the last day with data
JUDGED_FROM = dt.date(2026, 1, 26)  # from the fourth Monday every weekday has 2 earlier days for its factor
NOISE = (0, 1, -1, 1, -1)  # a 5-day cycle: not aligned with the week


def is_weekend(day: dt.date) -> bool:
    return day.isoweekday() >= 6


@pytest.fixture
def seasonal_db(build_db: BuildDb, config: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    """Six weeks of traffic twice as busy at weekends ($10 a weekday, $20 a weekend day, every call $1 on mid), for
    three task types of team t1: 'steady' with noise, 'vol' with 25 calls instead of 10 on VOLUME_DAY, 'mix' with 4
    of its 20 calls served by big ($10 each) on SHIFT_DAY."""
    records: list[dict[str, Any]] = []
    for index, day in enumerate(SIX_WEEKS):
        level = 20 if is_weekend(day) else 10
        noisy = level + NOISE[index % 5] * level // 10
        records += calls_on("steady", day, "steady", noisy, team="t1")
        records += calls_on("vol", day, "vol", 25 if day == VOLUME_DAY else level, team="t1")
        if day == SHIFT_DAY:
            records += calls_on("mix", day, "mix", 16, team="t1")
            records += calls_on("mixbig", day, "mix", 4, team="t1", model="big")
        else:
            records += calls_on("mix", day, "mix", level, team="t1")
    return build_db(records, **config)


def test_no_anomaly_on_steady_traffic_with_weekly_seasonality(seasonal_db: duckdb.DuckDBPyConnection) -> None:
    days = api.spend_anomalies(seasonal_db, Scope(JUDGED_FROM, None, task_types=("steady",)))
    assert days.height == (SHIFT_DAY - JUDGED_FROM).days + 1 and days["score"].null_count() == 0
    assert not days["is_flagged"].any(), days.filter(pl.col("is_flagged"))
    # the weekday factors carry the season: a weekend day is expected at about twice a weekday
    weekend = days.filter(pl.col("day").dt.weekday() >= 6)["expected_usd"]
    weekday = days.filter(pl.col("day").dt.weekday() < 6)["expected_usd"]
    assert weekend.min() >= 15 and weekday.max() <= 12


def test_an_anomaly_planted_by_volume(seasonal_db: duckdb.DuckDBPyConnection) -> None:
    days = api.spend_anomalies(seasonal_db, Scope(JUDGED_FROM, None, task_types=("vol",)))
    flagged = days.filter(pl.col("is_flagged")).to_dicts()
    assert len(flagged) == 1
    [row] = flagged
    # 14 baseline days all at the weekday level $10 (weekends at factor 2): MAD 0, so the scale is its 10% floor, $1
    assert (row["day"], row["task_type"], row["team"], row["driver"]) == (VOLUME_DAY, "vol", "t1", "volume")
    assert (row["cost_usd"], row["expected_usd"], row["score"], row["flag_above_usd"]) == pytest.approx(
        (25.0, 10.0, 15.0, 13.5)
    )
    assert (row["calls"], row["expected_calls"], row["tokens_per_call"]) == pytest.approx((25, 10.0, DOLLAR))
    saturday_before = days.filter(pl.col("day") == dt.date(2026, 2, 7)).row(0, named=True)
    assert (saturday_before["expected_usd"], saturday_before["score"]) == pytest.approx((20.0, 0.0))


def test_an_anomaly_planted_by_a_tier_shift(
    seasonal_db: duckdb.DuckDBPyConnection, config: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    days = api.spend_anomalies(seasonal_db, Scope(JUDGED_FROM, None, task_types=("mix",)))
    [row] = days.filter(pl.col("is_flagged")).to_dicts()
    # 16 calls at $1 + 4 at $10 against a Sunday's $20; the scale: factor 2 x the $1 floor
    assert (row["day"], row["driver"], row["calls"]) == (SHIFT_DAY, "tier_mix", 20)
    assert (row["cost_usd"], row["expected_usd"], row["score"]) == pytest.approx((56.0, 20.0, 18.0))
    shares = {share["tier"]: (share["share"], share["baseline_share"]) for share in row["tier_shares"]}
    assert shares == {"tier2": pytest.approx((0.8, 1.0)), "tier3": pytest.approx((0.2, 0.0))}
    # the same days from the CLI; exit 1 because the last day with data has one
    args = cli_args(seasonal_db, config)
    seasonal_db.close()
    status, payload = cli_json(["anomalies", *args, "--since", f"{JUDGED_FROM}", "--json"], capsys)
    assert status == 1
    assert [(item["day"], item["task_type"], item["team"], item["driver"]) for item in payload["anomalies"]] == [
        (f"{VOLUME_DAY}", "vol", "t1", "volume"),
        (f"{SHIFT_DAY}", "mix", "t1", "tier_mix"),
    ]
    assert set(payload["anomalies"][0]) >= {"day", "task_type", "team", "cost_usd", "expected_usd", "score", "driver"}
    assert main(["anomalies", *args, "--since", f"{JUDGED_FROM}", "--task-type", "vol"]) == 0


# --- 4. the calls behind a number ----------------------------------------------------------------------------------


def every_page(
    con: duckdb.DuckDBPyConnection, scope: Scope, filters: CallFilters, order: api.CallOrder, limit: int = 50
) -> pl.DataFrame:
    pages, after = [], None
    while True:
        page = api.calls_page(con, scope, filters, order, after, limit)
        pages.append(page.rows)
        if page.next_after is None:
            return pl.concat(pages)
        after = page.next_after


@pytest.mark.parametrize("order", api.CALL_ORDERS)
def test_drill_down_rows_equal_the_aggregate_they_came_from(
    sample_db: duckdb.DuckDBPyConnection, order: api.CallOrder
) -> None:
    daily = api.daily_cost(sample_db)
    # the busiest day x task type x served tier of the demo month: several pages of 50
    cell = daily.sort("calls", descending=True).row(0, named=True)
    scope = Scope(cell["day"], cell["day"] + dt.timedelta(days=1), task_types=(cell["task_type"],))
    filters = CallFilters(served_tiers=(cell["served_tier"],))
    rows = every_page(sample_db, scope, filters, order)
    assert cell["calls"] > 100
    assert rows.height == cell["calls"] == rows["request_id"].n_unique()
    assert rows["cost_usd"].sum() == pytest.approx(cell["cost_usd"])
    assert set(rows["served_tier"]) == {cell["served_tier"]} and set(rows["task_type"]) == {cell["task_type"]}
    assert api.calls_count(sample_db, scope, filters) == cell["calls"]
    key = {"newest": "started_at", "oldest": "started_at", "costliest": "cost_usd", "slowest": "latency_ms"}[order]
    listed = rows[key].fill_null(-1).to_list() if key != "started_at" else rows[key].to_list()
    assert listed == sorted(listed, reverse=order != "oldest")


def test_drill_down_by_user_and_over_days_equals_its_row(sample_db: duckdb.DuckDBPyConnection) -> None:
    scope = Scope(dt.date(2026, 11, 10), dt.date(2026, 11, 20))
    top = api.cost_by_user(sample_db, scope).row(0, named=True)
    rows = every_page(sample_db, scope, CallFilters(users=(top["dimension_value"],)), "newest", limit=500)
    assert rows.height == top["calls"] and rows["trace_id"].n_unique() == top["requests"]
    assert rows["cost_usd"].sum() == pytest.approx(top["cost_usd"])
    assert api.calls_count(sample_db, scope, CallFilters(users=("u",))) is None, "users are not in the rollups"


def test_calls_command_lists_a_page_with_filters(
    seasonal_db: duckdb.DuckDBPyConnection, config: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    args = cli_args(seasonal_db, config)
    seasonal_db.close()
    status, payload = cli_json(
        ["calls", *args, "--since", f"{SHIFT_DAY}", "--served-tier", "tier3", "--order", "costliest", "--json"],
        capsys,
    )
    assert status == 0
    assert [(call["request_id"], call["served_model"], call["cost_usd"]) for call in payload["calls"]] == [
        (f"mixbig-0215-{index}", "big", pytest.approx(10.0)) for index in (3, 2, 1, 0)
    ]
    _, limited = cli_json(["calls", *args, "--task-type", "vol", "--limit", "3", "--json"], capsys)
    # one time for all: ties in request id order, descending
    assert [call["request_id"] for call in limited["calls"]] == [f"vol-0215-{index}" for index in (9, 8, 7)]
    assert calls_command.ORDERS == api.CALL_ORDERS


def test_the_calls_csv_is_formula_safe_and_holds_the_listing(build_db: BuildDb, config: dict[str, Path]) -> None:
    day = dt.date(2026, 5, 4)
    con = build_db(
        [
            call("plain", day, "a", user_id="u1"),
            call("formula", day, "a", user_id='=HYPERLINK("http://x")', time="12:00:01"),
            call("other", day, "b", user_id="u2"),
        ],
        **config,
    )
    text = export.calls_csv(con, Scope(day, day + dt.timedelta(days=1)), CallFilters(), "newest")
    rows = pl.read_csv(io.StringIO(text))
    # newest first; the two calls of the same second by request id, descending
    assert rows["request_id"].to_list() == ["formula", "plain", "other"]
    assert rows.filter(pl.col("request_id") == "formula")["user_id"][0] == '\'=HYPERLINK("http://x")'
    only_a = pl.read_csv(io.StringIO(export.calls_csv(con, Scope(task_types=("a",)), limit=1)))
    assert only_a["request_id"].to_list() == ["formula"]


# --- 5. users, models, latency, errors, cache savings --------------------------------------------------------------


@pytest.fixture
def small_db(build_db: BuildDb, config: dict[str, Path]) -> duckdb.DuckDBPyConnection:
    day = dt.date(2026, 5, 4)
    records = [
        call("r1", day, "a", user_id="u1", latency_ms=100),
        call("r2", day, "a", user_id="u1", latency_ms=200, status="error"),
        call("r3", day, "a", user_id="u2", latency_ms=300),
        call("r4", day, "b", model="big", latency_ms=1000),
        # 100k input tokens, 50k read from the cache and 20k written to it
        call("r5", day, "c", cached_input_tokens=50_000, cache_write_tokens=20_000),
    ]
    return build_db(records, **config)


def test_cost_by_user(small_db: duckdb.DuckDBPyConnection) -> None:
    rows = api.cost_by_user(small_db).select("dimension_value", "requests", "calls", "cost_usd").rows()
    # r5: $0.30 at the input price + $0.05 cached + $0.25 written
    assert rows == [
        ("(none)", 2, 2, pytest.approx(10.6)),
        ("u1", 2, 2, pytest.approx(2.0)),
        ("u2", 1, 1, pytest.approx(1.0)),
    ]


def test_latency_and_errors_next_to_cost_per_task_and_model(small_db: duckdb.DuckDBPyConnection) -> None:
    rows = {
        (row["task_type"], row["served_model"]): row for row in api.model_performance(small_db).iter_rows(named=True)
    }
    task_a = rows[("a", None)]
    assert (task_a["calls"], task_a["cost_usd"], task_a["error_calls"]) == (3, pytest.approx(3.0), 1)
    # exact percentiles with linear interpolation: p95 of 100, 200, 300 is 200 + 0.9 x 100
    assert (task_a["latency_p50_ms"], task_a["latency_p95_ms"], task_a["error_rate"]) == pytest.approx(
        (200.0, 290.0, 1 / 3)
    )
    # per model over every task type: mid served a (3 calls) and c (1, no latency)
    mid = rows[(None, "mid")]
    assert (mid["calls"], mid["cost_usd"], mid["latency_p50_ms"], mid["error_rate"]) == pytest.approx(
        (4, 3.6, 200.0, 0.25)
    )
    assert rows[(None, "big")]["cost_per_call_usd"] == pytest.approx(10.0)


def test_cache_savings_per_task_and_provider(small_db: duckdb.DuckDBPyConnection) -> None:
    rows = {(row["task_type"], row["provider"]): row for row in api.cache_savings(small_db).iter_rows(named=True)}
    cached = rows[("c", "anthropic")]
    # paid $0.60; at the plain input price the 100k tokens cost $1.00; reads saved 50k x $9/1M, writes cost 20k x
    # $2.50/1M more
    assert (cached["cost_usd"], cached["uncached_cost_usd"]) == pytest.approx((0.6, 1.0))
    assert (cached["read_savings_usd"], cached["write_premium_usd"], cached["saved_usd"]) == pytest.approx(
        (0.45, 0.05, 0.4)
    )
    assert cached["saved_share"] == pytest.approx(0.4) and cached["cached_share"] == pytest.approx(0.5)
    assert rows[("a", "anthropic")]["saved_usd"] == 0.0 and rows[("b", "openai")]["saved_usd"] == 0.0
    assert next(iter(rows)) == ("c", "anthropic"), "most saved first"
