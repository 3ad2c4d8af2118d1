"""The FinOps pages run headless (Streamlit's AppTest) on the demo month: the overview's month, forecast and budget
bars, the drill-down from a clicked bar to the calls explorer (the rows it lists add up to the bar), the explorer's
pages, users and models, spend anomalies. Each number is compared with ``queries.api`` for the same scope."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl
import pytest

from tests.conftest import SAMPLE_LOGS
from tests.test_dashboard_pages import OpenApp, default_scope, figures, metrics, open_app, shown_table, texts
from tierscope.dashboard import drill, filters
from tierscope.format import count, money
from tierscope.queries import api
from tierscope.queries.api import Scope

__all__ = ["open_app"]  # the fixture, shared with the other page tests

BUDGETS = SAMPLE_LOGS / "budgets.yaml"


def test_overview_shows_the_month_its_forecast_and_the_budgets(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, budgets=BUDGETS)
    total = api.month_forecast(sample_db).row(0, named=True)
    shown = metrics(app)
    assert shown["Month to date"].value == money(total["month_to_date_usd"])
    assert shown["Month to date"].delta == f"{total['days_elapsed']} of {total['days_in_month']} days"
    assert shown["Forecast, month end"].value == money(total["forecast_usd"])
    assert shown["Forecast, month end"].delta == (
        f"95%: {money(total['forecast_low_usd'])} – {money(total['forecast_high_usd'])}"
    )
    flagged = api.spend_anomalies(sample_db, default_scope(sample_db)).filter(pl.col("is_flagged"))
    assert shown["Spend anomalies in view"].value == count(flagged.height)

    from tierscope.queries.config import load_budgets

    status = api.budget_status(sample_db, load_budgets(BUDGETS).rows())
    assert set(status["status"]) == {"ok", "forecast_over", "over"}, "the demo budgets show every status"
    bars = figures(app)[2]
    spent, rest = bars["data"][0], bars["data"][1]
    assert spent["y"] == ["total", "team data-science", "team search", "task type summarization", "provider openai"]
    assert spent["x"] == pytest.approx([100 * share for share in status["spent_share"]])
    assert [a + b for a, b in zip(spent["x"], rest["x"], strict=True)] == pytest.approx(
        [100 * max(share, spent) for share, spent in zip(status["forecast_share"], status["spent_share"], strict=True)]
    )
    assert "5 budgets, 3 not on track" in texts(app)


def test_without_budgets_the_overview_says_how_to_set_them(sample_db_path: Path, open_app: OpenApp) -> None:
    app = open_app(sample_db_path)
    assert "No budgets: give `tierscope dashboard --budgets budgets.yaml`" in texts(app)
    assert len(figures(app)) == 2


def point_of(spec: dict[str, Any], curve: int, index: int) -> tuple[go.Figure, dict[str, Any]]:
    """A chart as the page drew it and one of its points as Plotly's selection names it."""
    trace = spec["data"][curve]
    point = {"curve_number": curve, "point_index": index, "x": trace["x"][index], "y": trace["y"][index]}
    if "customdata" in trace:
        point["customdata"] = trace["customdata"][index]
    return go.Figure(spec), point


def calls_caption(app: Any) -> str:
    return next(str(caption.value) for caption in app.caption if " · page " in str(caption.value))


def test_a_clicked_bar_opens_the_calls_behind_it(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    overview = open_app(sample_db_path)
    daily_chart = figures(overview)[0]
    tier2 = next(index for index, trace in enumerate(daily_chart["data"]) if trace["name"] == "tier2")
    figure, point = point_of(daily_chart, tier2, -1)
    keys = drill.day_and_tier(figure, point)
    day = dt.date.fromisoformat(keys[filters.DATES][0])
    assert keys == {filters.DATES: [f"{day}", f"{day}"], drill.SERVED_TIER: ["tier2"]}

    # the explorer as the click leaves it: the filters set to the clicked keys
    app = open_app(sample_db_path, "views/calls.py", query=keys)
    bar = api.daily_cost(sample_db, Scope(day, day + dt.timedelta(days=1))).filter(pl.col("served_tier") == "tier2")
    assert f"{count(bar['calls'].sum(), 'call')} · page 1 of " in calls_caption(app)
    rows = shown_table(app)
    assert rows.height == api.PAGE_SIZE and all(tiers.endswith("tier2") for tiers in rows["tiers"])
    assert {time[:5] for time in rows["time"]} == {f"{day:%m-%d}"}
    assert app.multiselect(key=drill.SERVED_TIER).value == ["tier2"]

    # the next page continues where the first ended: 50 more, none repeated
    app.button[1].click().run()
    assert not app.exception
    second = shown_table(app)
    assert "page 2 of" in calls_caption(app)
    everything = api.calls_page(
        sample_db, Scope(day, day + dt.timedelta(days=1)), api.CallFilters(served_tiers=("tier2",)), limit=100
    ).rows
    assert second["trace_id"].to_list() == everything["trace_id"][50:].to_list()


def test_a_task_type_bar_keeps_the_page_filters(sample_db_path: Path, open_app: OpenApp) -> None:
    overview = open_app(sample_db_path, query={"team": "search"})
    by_task = figures(overview)[1]
    figure, point = point_of(by_task, 0, 0)
    keys = drill.task_and_tier(figure, point)
    assert keys == {filters.TASK_TYPES: [point["y"]], drill.SERVED_TIER: [by_task["data"][0]["name"]]}
    state = drill.widget_state(keys)
    assert state[filters.TASK_TYPES] == [point["y"]] and state[drill.SERVED_TIER] == [by_task["data"][0]["name"]]
    assert filters.TEAMS not in state, "the page's team filter stays as it is"
    assert (state[drill.MODEL], state[drill.USER], state[drill.REQUESTED_TIER]) == ("", "", []), "cleared"


def test_users_and_models_page_equals_the_query_layer(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, "views/breakdown.py")
    scope = default_scope(sample_db)
    users, models, per_task, savings = (shown_table(app, index) for index in range(4))
    expected_users = api.cost_by_user(sample_db, scope)
    assert users["dimension_value"].to_list() == expected_users["dimension_value"].to_list()
    assert users["cost_usd"].to_list() == pytest.approx(expected_users["cost_usd"].to_list())
    performance = api.model_performance(sample_db, scope)
    by_model = performance.filter(pl.col("task_type").is_null()).sort("cost_usd", descending=True, nulls_last=True)
    assert models["served_model"].to_list() == by_model["served_model"].to_list()
    assert models["latency_p95_ms"].to_list() == pytest.approx(by_model["latency_p95_ms"].to_list())
    assert per_task.height == performance.filter(pl.col("task_type").is_not_null()).height
    assert savings["saved_usd"].to_list() == pytest.approx(api.cache_savings(sample_db, scope)["saved_usd"].to_list())
    user_bars, model_bars = figures(app)
    assert user_bars["data"][0]["y"][-1] == expected_users["dimension_value"][0], "costliest user on top"
    assert model_bars["data"][0]["y"][-1] == by_model["served_model"][0]


def test_anomalies_page_lists_the_flagged_days(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, "views/anomalies.py")
    days = api.spend_anomalies(sample_db, default_scope(sample_db))
    flagged = days.filter(pl.col("is_flagged")).sort("day", "task_type", "team", descending=[True, False, False])
    assert not flagged.is_empty(), "the demo month has spend anomalies"
    table = shown_table(app)
    assert table.select("task_type", "team").rows() == flagged.select("task_type", "team").rows()
    assert table["score"].to_list() == pytest.approx(flagged["score"].to_list())
    overview_chart = figures(app)[0]
    drawn = sum(len(trace["x"]) for trace in overview_chart["data"])
    assert drawn == flagged.height
    # a dot opens that task type · team's calls of that day
    curve = next(index for index, trace in enumerate(overview_chart["data"]) if trace["x"])
    figure, point = point_of(overview_chart, curve, 0)
    day, task_type, team = point["customdata"][:3]
    assert drill.day_task_team(figure, point) == {
        filters.DATES: [day, day],
        filters.TASK_TYPES: [task_type],
        filters.TEAMS: [team],
    }
