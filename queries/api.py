"""One typed function per mart, each returning a Polars frame. Values are bound parameters, never SQL text.

Every function takes a :class:`Scope`: a half-open time range ``[start, end)`` in UTC and optional lists of task
types, teams and providers (``None`` = no restriction). Money is USD as DOUBLE; round only for display.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import duckdb
import polars as pl

Dimension = Literal["task_type", "model", "tier", "day", "team"]
DIMENSIONS: tuple[Dimension, ...] = ("task_type", "model", "tier", "day", "team")
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
    return con.sql(f"select * from {mart}({leading}{SCOPE_ARGS})", params={**extra, **scope.params()}).pl()


def task_costs(con: duckdb.DuckDBPyConnection, scope: Scope = ALL) -> pl.DataFrame:
    """Per task type: requests (traces), calls, token sums, cost_usd, unpriced_calls, cost_share, output/input
    ratio, cost per request p50/p95 (USD) and escalation_rate. One row per task type, costliest first."""
    return _mart(con, "mart_task_costs", scope)


def cost_by(con: duckdb.DuckDBPyConnection, dimension: Dimension, scope: Scope = ALL) -> pl.DataFrame:
    """Cost grouped by one dimension (task_type, model, tier, day, team): dimension_value, requests, calls,
    input_tokens, output_tokens, cost_usd (priced calls only), unpriced_calls."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; expected one of {', '.join(DIMENSIONS)}")
    return _mart(con, "mart_cost_by", scope, dimension=dimension)


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


def cost_reconciliation(
    con: duckdb.DuckDBPyConnection, scope: Scope = ALL, tolerance: float = 0.01
) -> pl.DataFrame:
    """Calls whose reported cost differs from the price book's by more than ``tolerance`` (relative), largest
    absolute difference first: reported_cost_usd, computed_cost_usd, difference_usd, relative_difference."""
    return _mart(con, "mart_cost_reconciliation", scope, tolerance=tolerance)


def quarantine(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> pl.DataFrame:
    """The latest quarantined records: source, source_line, reason, raw_text, ingest_id, quarantined_at."""
    return con.sql(
        "select source, source_line, reason, raw_text, ingest_id, quarantined_at from quarantine "
        "order by quarantined_at desc, ingest_id desc, source_line limit $limit",
        params={"limit": limit},
    ).pl()


def ingest_history(con: duckdb.DuckDBPyConnection, limit: int = 1000) -> pl.DataFrame:
    """The ingest ledger, newest first: one row per loaded file with its four accounting numbers."""
    return con.sql(
        "select * from ingests order by ingest_id desc limit $limit", params={"limit": limit}
    ).pl()
