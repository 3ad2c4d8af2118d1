"""One typed function per mart, each returning a Polars frame. Values are bound parameters, never SQL text.

Every function takes a :class:`Scope`: a half-open time range ``[start, end)`` in UTC and optional lists of task
types, teams and providers (``None`` = no restriction). Money is USD as DOUBLE; round only for display.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Literal

import duckdb
import polars as pl

from tierscope.queries.db import frame

Dimension = Literal["task_type", "model", "tier", "day", "team", "user", "router_tier"]
DIMENSIONS: tuple[Dimension, ...] = ("task_type", "model", "tier", "day", "team", "user", "router_tier")
SCOPE_ARGS = "$start_at, $end_at, $task_types, $teams, $providers"


@dataclass(frozen=True)
class Scope:
    """Which calls a mart looks at. ``end`` is exclusive; dates mean midnight UTC."""

    start: dt.datetime | dt.date | None = None
    end: dt.datetime | dt.date | None = None
    task_types: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None
    providers: tuple[str, ...] | None = None

    def params(self) -> dict[str, object]:
        return {
            "start_at": _timestamp(self.start),
            "end_at": _timestamp(self.end),
            "task_types": list(self.task_types) if self.task_types is not None else None,
            "teams": list(self.teams) if self.teams is not None else None,
            "providers": list(self.providers) if self.providers is not None else None,
        }


ALL = Scope()


def _timestamp(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    return dt.datetime.combine(value, dt.time())


def _mart(con: duckdb.DuckDBPyConnection, mart: str, scope: Scope, **extra: object) -> pl.DataFrame:
    leading = "".join(f"${name}, " for name in extra)
    return frame(con, f"select * from {mart}({leading}{SCOPE_ARGS})", {**extra, **scope.params()})


def task_costs(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type: requests (traces), calls, token sums, cost_usd, unpriced_calls, cost_share, output/input
    ratio, cost per request p50/p95 (USD) and escalation_rate. One row per task type, costliest first."""
    return _mart(con, "mart_task_costs", scope)


def cost_by(con: duckdb.DuckDBPyConnection, dimension: Dimension, scope: Scope = ALL) -> pl.DataFrame:
    """Cost grouped by one dimension (task_type, model, tier, day, team, user, router_tier): dimension_value,
    requests, calls, input_tokens, output_tokens, cost_usd (priced calls only), unpriced_calls. ``user`` and
    ``router_tier`` (the tier a content-based router chose, NULL for calls without a router decision) read the calls
    themselves; the others the daily rollups."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {', '.join(DIMENSIONS)}")
    if dimension == "user":
        return cost_by_user(con, scope)
    if dimension == "router_tier":
        return _mart(con, "mart_cost_by_router_tier", scope)
    return _mart(con, "mart_cost_by", scope, dimension=dimension)


def cost_by_user(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per user ('(none)' without one), in cost_by's shape: dimension_value, requests (distinct traces of the
    user's calls), calls, tokens, cost_usd, unpriced_calls; costliest first. Reads the calls of the scope."""
    return _mart(con, "mart_cost_by_user", scope)


def router_audit(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type x router tier over the calls a content-based router decided (docs/router.md): calls, cost_usd
    (with the classifier's cost), classifier_cost_usd, baseline_cost_usd (the calls' tokens at the router's savings
    baseline model), claimed_savings_usd (what the router logged), net_savings_usd (baseline - cost),
    unpriced_calls, escalation_rate, router_escalation_rate, served_tiers, min_pass_rate, is_risk (served on a tier
    whose profiling pass rate is under the monitor floor), risk_calls, map_tier, risk_cost_usd and map_cost_usd
    (those calls as routed and priced at the task type's map tier)."""
    return _mart(con, "mart_router_audit", scope)


def daily_cost(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per UTC day x task type x served tier: calls, tokens, cost_usd, unpriced_calls."""
    return _mart(con, "mart_daily_cost", scope)


def tier_mix(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type x requested tier x served tier (with the task's default tier): calls, requests, cost_usd."""
    return _mart(con, "mart_tier_mix", scope)


def escalation_by_window(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type x drift window: requests (traces), escalated, escalation_rate, baseline_rate and its source,
    limit_rate, is_judged (enough traces and a baseline) and is_flagged."""
    return _mart(con, "mart_escalation_by_window", scope)


def drift_flags(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type: its latest judged window with is_flagged; flagged task types first."""
    return _mart(con, "mart_drift_flags", scope)


def unpriced_models(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per model name as logged that has no price in effect: reason, calls, tokens, first/last seen."""
    return _mart(con, "mart_unpriced_models", scope)


def data_quality(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """One row of counters: calls, unknown_task_calls, unattributed_calls, unpriced_calls, untiered_calls,
    error_calls, time span, and from the ingest ledger: ingests, rows_read, duplicates, quarantined."""
    return _mart(con, "mart_data_quality", scope)


def cost_reconciliation(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, tolerance: float = 0.01) -> pl.DataFrame:
    """Calls whose reported cost differs from the price book's by more than ``tolerance`` (relative), largest
    absolute difference first: reported_cost_usd, computed_cost_usd, difference_usd, relative_difference."""
    return _mart(con, "mart_cost_reconciliation", scope, tolerance=tolerance)


def quarantine(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> pl.DataFrame:
    """The latest quarantined records: source, source_line, byte_offset, byte_length, record_sha256, reason,
    known_fields, ingest_id, quarantined_at (never a record's text)."""
    return frame(con, "select * from mart_quarantine($row_limit)", {"row_limit": limit})


def ingest_history(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> pl.DataFrame:
    """The ingest ledger, newest first: one row per loaded file with its four accounting numbers."""
    return frame(con, "select * from mart_ingest_history($row_limit)", {"row_limit": limit})


def days_with_data(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """The UTC days of the scope that have calls: day (a date) and calls, oldest first (mart_cost_by per day)."""
    return (
        cost_by(con, "day", scope)
        .filter(pl.col("calls") > 0)
        .select(pl.col("dimension_value").str.to_date("%Y-%m-%d").alias("day"), "calls")
        .sort("day")
    )


@dataclass(frozen=True)
class Comparison:
    """What a period is compared with: the same number of days with data just before it (``previous``, None when
    no day before it has data), and how many days with data each holds."""

    previous: Scope | None
    days_with_data: int
    previous_days_with_data: int

    @property
    def is_partial(self) -> bool:
        """The comparison period has fewer days with data than the period: a change would compare unlike spans."""
        return self.previous_days_with_data < self.days_with_data


def comparison(con: duckdb.DuckDBPyConnection, scope: Scope) -> Comparison | None:
    """The period to compare ``scope`` with: the latest days with data before its start, as many as ``scope`` has
    (gaps without data are skipped, so a week with a quiet weekend is not compared with five busy days), with the
    same filters. None for a scope with an open end or no data."""
    start = _timestamp(scope.start)
    if start is None or scope.end is None:
        return None
    current = days_with_data(con, scope).height
    if not current:
        return None
    before = days_with_data(con, Scope(None, start, scope.task_types, scope.teams, scope.providers)).tail(current)
    previous = Scope(before["day"][0], start, scope.task_types, scope.teams, scope.providers) if before.height else None
    return Comparison(previous, current, before.height)


def previous_period(scope: Scope) -> Scope | None:
    """The scope of equal length that ends where ``scope`` starts, with the same filters; None when ``scope`` has
    an open end (there is no previous period of equal length)."""
    start, end = _timestamp(scope.start), _timestamp(scope.end)
    if start is None or end is None:
        return None
    return Scope(start - (end - start), start, scope.task_types, scope.teams, scope.providers)


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest ingest the derived tables (what every mart reads) take in, 0 before the first: it changes exactly
    when new calls become visible to the marts, so cached results can be keyed on it."""
    rows = con.sql("select coalesce(max(through_ingest_id), 0) from derived_state").fetchall()
    return int(rows[0][0])


def filter_values(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """The values of each filter dimension (task_type, team, provider; NULL as '(none)') with their calls.
    One row per dimension x value, most calls first within a dimension."""
    return _mart(con, "mart_filter_values", scope)


def kpis(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """One row of headline numbers: requests (traces), calls, cost_usd (priced calls only),
    cost_per_1k_requests_usd, unpriced_calls, unattributed_calls and flagged_task_types (drift)."""
    return _mart(con, "mart_kpis", scope)


def savings_opportunity(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type with calls served above its default tier: calls and cost_usd (USD) in total, above the
    default, and above it because the caller requested a higher tier; most spend above default first."""
    return _mart(con, "mart_savings_opportunity", scope)


def model_costs(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type x served model x served tier: requests (traces), calls, tokens, cost_usd (USD, NULL when
    the model is unpriced) and unpriced_calls."""
    return _mart(con, "mart_model_costs", scope)


def cost_by_team_feature(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per team x feature ('(none)' when missing): requests (traces), calls, tokens, cost_usd (USD, priced calls
    only) and unpriced_calls; costliest first."""
    return _mart(con, "mart_cost_by_team_feature", scope)


def output_length_histogram(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, bins: int = 30) -> pl.DataFrame:
    """Per task type x non-empty bin of output tokens per call: bin_start_tokens, bin_end_tokens (NULL for the
    overflow bin above the 99th percentile), calls, and routing.yaml's expected_output_tokens."""
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    return _mart(con, "mart_output_length_histogram", scope, bins=bins)


def model_flow(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Escalated or fallen-back traffic: per requested model (or tier alias) x final served model, with their
    tiers: requests (traces), escalated_requests and cost_usd (USD); most requests first."""
    return _mart(con, "mart_model_flow", scope)


def unattributed_calls(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Calls with no served model, per requested model x task type: calls, cost_usd (USD, priced by the
    requested model), unpriced_calls, first/last started_at and the source files."""
    return _mart(con, "mart_unattributed_calls", scope)


def reconciliation_summary(con: duckdb.DuckDBPyConnection, scope: Scope = ALL, tolerance: float = 0.01) -> pl.DataFrame:
    """Per model x price variant, over calls with a reported cost: reported_cost_usd vs computed_cost_usd (USD,
    priced calls), difference_usd, relative_difference, disagreeing_calls (beyond ``tolerance``, relative) and
    the unpriced calls with the cost reported for them."""
    return _mart(con, "mart_reconciliation_summary", scope, tolerance=tolerance)


def price_book(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The active price book as applied: one row per model x effective period x price variant x context band,
    with provider, tier and context window; prices in USD per 1M tokens, effective_to NULL for current prices."""
    return frame(con, "select * from mart_price_book")


def profiling_pass_rates(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Latest profiling run, per task type x tier: prompts, passed_prompts, pass_rate with its 95% Wilson interval
    (pass_rate_low, pass_rate_high), mean tokens, latency (ms) and score, tier_rank."""
    return frame(con, "select * from mart_profiling_pass_rates")


def profiling_recommendation(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per profiled task type: current_tier, recommended_tier, decision (route / route with monitoring / no tier
    meets the bar), the pass rate behind it with its interval and n, blast_radius, quality_gate and the reason."""
    return frame(con, "select * from mart_profiling_recommendation")


def cost_projection(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per task type x map (all_frontier, current, recommended): tier, model, requests_per_day and its source,
    pass_rate, expected_escalation_rate, cost_per_request_usd and monthly_cost_usd (30 days, USD)."""
    return frame(con, "select * from mart_cost_projection")


def task_audit(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """The task profile audit, one row per task type in routing.yaml or the logs: tier, quality_gate, blast_radius,
    expected_output_tokens, baseline_escalation_rate, observed calls / cost_usd / output_cost_share, calls_over_guard
    and warnings (a list of sentences; empty when the task is in order). Tasks with most warnings first."""
    return _mart(con, "mart_task_audit", scope)


def unknown_task_hints(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """For calls with task type unknown, the task_type_from rules (routing.yaml) that would give them one: rule_kind
    (tag_prefix / attribute), rule_key, rule_yaml (the line to add), calls it would reach, share_of_unknown_calls,
    example_values (tag rules only; attribute values are not stored), first/last started_at and sources. Most calls
    first."""
    return _mart(con, "mart_unknown_task_hints", scope)


def focus_daily(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """The priced calls as a FOCUS 1.2 cost and usage dataset at daily grain: one row per UTC day x provider x model x
    price variant x context band x meter (input, cached_input, cache_write, output, reasoning) x unit price x task
    type x team, with FOCUS column names (BilledCost... in USD, ListUnitPrice per 1M tokens, ConsumedQuantity in
    tokens, Tags a JSON object with task_type and team). Unpriced calls are left out."""
    return _mart(con, "mart_focus_daily", scope)


def freshness(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row: latest_started_at (the newest call the marts see, UTC), last_ingest_at (when the newest ingest
    committed, UTC), latest_ingest_id and calls. NULL times before the first ingest."""
    return frame(con, "select * from mart_freshness")


def derived_sizes(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row: calls (priced), traces, call_rollup_rows and trace_rollup_rows the derived tables hold."""
    return frame(con, "select * from mart_derived_sizes")


def latest_call_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The UTC day of the newest call the marts see (FinOps' "today": a loaded history is judged as of its own
    end, not the wall clock); None before the first call."""
    latest = freshness(con)["latest_started_at"][0]
    return None if latest is None else latest.date()


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s calendar month."""
    return day.replace(day=1)


def month_forecast(con: duckdb.DuckDBPyConnection, month: dt.date | None = None, scope: Scope = ALL) -> pl.DataFrame:
    """Month to date and the month-end forecast with its 95% interval (mart_month_forecast), in total and per task
    type, team and provider: dimension, value, month ('YYYY-MM'), days_elapsed, days_in_month, days_observed,
    days_remaining, month_to_date_usd, mean_daily_usd, forecast_usd, forecast_low_usd, forecast_high_usd. ``month``
    is any day of the month (None: the newest call's month); of ``scope`` only the task type, team and provider
    filters apply (the month is the time range). Empty before the first call."""
    latest = latest_call_day(con)
    if latest is None:
        return frame(con, "select * from mart_month_forecast(null, null, null, null, null) limit 0")
    filters = {name: scope.params()[name] for name in ("task_types", "teams", "providers")}
    params = {**filters, "of_month": month_of(month or latest), "latest_day": latest}
    return frame(
        con, "select * from mart_month_forecast($of_month, $latest_day, $task_types, $teams, $providers)", params
    )


def budget_status(
    con: duckdb.DuckDBPyConnection, budgets: list[dict[str, object]], month: dt.date | None = None
) -> pl.DataFrame:
    """Each budget (``Budgets.rows()``: scope, name, limit_usd) against its month (None: the newest call's month):
    scope, name, limit_usd, month, days_elapsed, days_in_month, spent_usd, forecast_usd, forecast_low_usd,
    forecast_high_usd, spent_share, forecast_share and status (ok / forecast_over / over), in the budgets' order."""
    latest = latest_call_day(con)
    params = {"budgets": budgets, "of_month": month_of(month or latest or dt.date.today()), "latest_day": latest}
    return frame(con, "select * from mart_budget_status($budgets, $of_month, $latest_day)", params)


ANOMALY_THRESHOLD = 3.5


def spend_anomalies(
    con: duckdb.DuckDBPyConnection,
    scope: Scope = ALL,
    threshold: float = ANOMALY_THRESHOLD,
    min_excess_usd: float = 0.0,
) -> pl.DataFrame:
    """Every day with calls of every task type x team in scope, judged against its trailing baseline
    (mart_spend_anomalies; days before the scope's start serve as baseline): day, task_type, team, cost_usd,
    expected_usd, flag_above_usd, score (NULL with fewer than 7 baseline days), is_flagged, driver (volume,
    tokens_per_call, tier_mix or price), calls, expected_calls, tokens_per_call, baseline_tokens_per_call,
    cost_per_1m_tokens_usd, baseline_cost_per_1m_tokens_usd, tier_shares (tier, share, baseline_share of tokens),
    baseline_days and the four log effects behind the driver. Oldest first."""
    return _mart(con, "mart_spend_anomalies", scope, threshold=threshold, min_excess_usd=min_excess_usd)


def model_performance(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type (served_model NULL), task type x served model and served model (task_type NULL): calls,
    cost_usd, cost_per_call_usd, unpriced_calls, latency_p50_ms / latency_p95_ms (exact, calls with a latency),
    error_calls and error_rate. Reads the calls of the scope."""
    return _mart(con, "mart_model_performance", scope)


def cache_savings(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type x provider: calls, input / cached / cache-write tokens, cached_share, cost_usd (paid),
    uncached_cost_usd (every cached and cache-written token at the input price), read_savings_usd,
    write_premium_usd, saved_usd and saved_share; most saved first. Priced calls only."""
    return _mart(con, "mart_cache_savings", scope)


CallOrder = Literal["newest", "oldest", "costliest", "slowest"]
CALL_ORDERS: tuple[CallOrder, ...] = ("newest", "oldest", "costliest", "slowest")
PAGE_SIZE = 50
# the explorer's columns, as mart_calls returns them (sort_value apart: the keyset)
CALL_COLUMNS = (
    "started_at",
    "task_type",
    "team",
    "feature",
    "user_id",
    "provider",
    "requested_model",
    "served_model",
    "requested_tier",
    "served_tier",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "latency_ms",
    "status",
    "escalated",
    "trace_id",
    "request_id",
)


@dataclass(frozen=True)
class CallFilters:
    """What narrows the call listing beyond a :class:`Scope` (None = no restriction): user ids ('(none)' for calls
    without one), models (canonical name, requested or served), trace ids, served and requested tiers, statuses
    (success / error) and the call's own escalation mark."""

    users: tuple[str, ...] | None = None
    models: tuple[str, ...] | None = None
    trace_ids: tuple[str, ...] | None = None
    served_tiers: tuple[str, ...] | None = None
    requested_tiers: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    escalated: tuple[bool, ...] | None = None

    def param(self) -> dict[str, list[object] | None]:
        return {name: None if value is None else list(value) for name, value in self.__dict__.items()}

    @property
    def in_rollups(self) -> bool:
        """Whether every filter is a dimension of the daily call rollup, so the calls can be counted from it."""
        return self.users is None and self.models is None and self.trace_ids is None


NO_FILTERS = CallFilters()


@dataclass(frozen=True)
class Cursor:
    """Where a page of calls ends: its last row's sort value and request id (the next page starts after it)."""

    sort_value: float
    request_id: str


@dataclass(frozen=True)
class CallsPage:
    """One page of calls (CALL_COLUMNS) and the cursor of the next page (None on the last page)."""

    rows: pl.DataFrame
    next_after: Cursor | None


def _data_bounds(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[dt.datetime, dt.datetime] | None:
    """The scope's [start, end) with open ends closed at the first and the day after the last day with data."""
    days = days_with_data(con, Scope(None, None, scope.task_types, scope.teams, scope.providers))["day"]
    if days.is_empty():
        return None
    start = _timestamp(scope.start) or dt.datetime.combine(days[0], dt.time())
    end = _timestamp(scope.end) or dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time())
    return start, end


def _calls_in(
    con: duckdb.DuckDBPyConnection,
    window: Scope,
    filters: CallFilters,
    order: CallOrder,
    after: Cursor | None,
    limit: int,
) -> pl.DataFrame:
    return _mart(
        con,
        "mart_calls",
        window,
        filters=filters.param(),
        order_by=order,
        after_value=after.sort_value if after else None,
        after_id=after.request_id if after else None,
        row_limit=limit,
    )


def calls_page(
    con: duckdb.DuckDBPyConnection,
    scope: Scope = ALL,
    filters: CallFilters = NO_FILTERS,
    order: CallOrder = "newest",
    after: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> CallsPage:
    """The calls behind a number, ``limit`` at a time, in ``order``; ``after`` is the previous page's cursor.

    Newest and oldest first walk the scope in time windows from its end (or start), 1 day, then 2, 4, 8..., each
    one query over that range only, until the page is full: a page of the latest calls reads the latest day, not
    the whole scope (DuckDB skips row groups outside a range by their min/max of started_at). Costliest and slowest
    first rank the whole scope (one pass over its calls)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    bounds = _data_bounds(con, scope)
    if bounds is None:
        return CallsPage(_calls_in(con, scope, filters, order, after, 0).select(CALL_COLUMNS), None)
    start, end = bounds
    if order in ("costliest", "slowest"):
        rows = _calls_in(con, dataclasses.replace(scope, start=start, end=end), filters, order, after, limit)
        return _page(rows, limit)
    newest = order == "newest"
    if after is not None:  # the cursor's own time, so calls at that very microsecond are still in range
        at = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=after.sort_value if newest else -after.sort_value)
        end, start = (min(end, at + dt.timedelta(microseconds=1)), start) if newest else (end, max(start, at))
    pages: list[pl.DataFrame] = []
    found, span = 0, dt.timedelta(days=1)
    while start < end and found < limit:
        window_start, window_end = (max(start, end - span), end) if newest else (start, min(end, start + span))
        window = dataclasses.replace(scope, start=window_start, end=window_end)
        rows = _calls_in(con, window, filters, order, after, limit - found)
        pages.append(rows)
        found += rows.height
        end, start = (window_start, start) if newest else (end, window_end)
        span *= 2
    return _page(pl.concat(pages) if pages else _calls_in(con, scope, filters, order, after, 0), limit)


def _page(rows: pl.DataFrame, limit: int) -> CallsPage:
    last = rows.row(-1, named=True) if rows.height == limit else None
    cursor = Cursor(last["sort_value"], last["request_id"]) if last else None
    return CallsPage(rows.select(CALL_COLUMNS), cursor)


def calls_count(con: duckdb.DuckDBPyConnection, scope: Scope, filters: CallFilters = NO_FILTERS) -> int | None:
    """How many calls the listing holds, when the daily rollups can tell (no user, model or trace filter); None
    otherwise: counting those would read every call of the scope."""
    if not filters.in_rollups:
        return None
    return int(_mart(con, "mart_calls_count", scope, filters=filters.param())["calls"][0])
