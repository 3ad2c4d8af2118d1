"""All of the dashboard's caching, in one place.

The dashboard process owns the database (docs/architecture.md, "One writer, many readers"): it is opened once,
read-write, by :func:`connection` (``st.cache_resource``), and every thread reads through its own ``cursor()`` of that
connection. Query results are cached with ``st.cache_data``, keyed on the database, the data version (so newly loaded
calls refresh every view), the query function and its arguments (the filters). Pages call the typed functions at the
bottom; none of them sees SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Concatenate, ParamSpec

import duckdb
import polars as pl
import streamlit as st

from tierscope.dashboard import gate, ingester
from tierscope.queries import api, scenario
from tierscope.queries.config import Budgets, PriceBook, Routing, load_budgets, load_price_book, load_routing
from tierscope.settings import settings

Scope = api.Scope


@dataclass(frozen=True)
class Database:
    """Which database and config files this dashboard serves (from TIERSCOPE_DB / _PRICES / _ROUTING / _BUDGETS)."""

    path: str
    prices_path: str
    routing_path: str
    budgets_path: str | None = None


def database() -> Database:
    """The database and config files named by the environment (tierscope dashboard sets it), else the defaults."""
    chosen = settings()
    return Database(
        path=chosen.db if chosen.db == ":memory:" else str(Path(chosen.db).resolve()),
        prices_path=str(chosen.prices.resolve()),
        routing_path=str(chosen.routing.resolve()),
        budgets_path=str(chosen.budgets.resolve()) if chosen.budgets else None,
    )


@st.cache_resource(show_spinner="Opening the database…")
def _connection(db: Database) -> duckdb.DuckDBPyConnection:
    # As the owner (a `tierscope watch` holding the database lets go), with the spool loaded in the background.
    con = ingester.open_database(db.path, db.prices_path, db.routing_path)
    ingester.ensure_started(con, db.path)
    return con


def connection() -> duckdb.DuckDBPyConnection:
    """The process's one read-write connection. Use :func:`cursor` to read; writers take their own cursor."""
    return _connection(database())


def new_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor of its own on the shared connection (temp tables stay on the cursor that made them)."""
    opened = connection().cursor()
    # Long queries still report progress (query_progress) but do not draw a progress bar in the terminal.
    opened.execute("set enable_progress_bar_print = false")
    return opened


_thread = threading.local()


def cursor() -> duckdb.DuckDBPyConnection:
    """This thread's cursor on the shared connection (a DuckDB connection is not shared between threads)."""
    con = connection()
    held = getattr(_thread, "held", None)
    if held is None or held[0] is not con:
        held = (con, new_cursor())
        _thread.held = held
    return held[1]


@st.cache_resource(show_spinner=False)
def _config(db: Database) -> tuple[PriceBook, Routing]:
    return load_price_book(db.prices_path), load_routing(db.routing_path)


@st.cache_resource(show_spinner=False)
def _budgets(db: Database) -> Budgets:
    return load_budgets(db.budgets_path)


def budgets() -> Budgets:
    """The monthly budgets (TIERSCOPE_BUDGETS; none without it), validated."""
    return _budgets(database())


def price_book_config() -> PriceBook:
    """The price book this process priced calls with (validated)."""
    return _config(database())[0]


def routing() -> Routing:
    """The routing map (tiers, task defaults, drift rule) this process uses."""
    return _config(database())[1]


def tier_order() -> list[str]:
    """Tier names, cheapest first, as routing.yaml lists them."""
    return list(routing().tiers)


def data_version() -> int:
    """Changes whenever loaded calls reach the marts; part of every cached result's key."""
    reader = cursor()
    with gate.reading():
        return api.data_version(reader)


P = ParamSpec("P")


def _function_key(function: FunctionType) -> str:
    """A query function in a cached result's key, by its name: st.cache_data cannot hash a function itself."""
    return f"{function.__module__}.{function.__qualname__}"


@st.cache_data(show_spinner=False, max_entries=2000, hash_funcs={FunctionType: _function_key})
def _frame(
    db: Database,
    version: int,
    query: Callable[..., pl.DataFrame],
    arguments: tuple[object, ...],
    keywords: dict[str, object],
) -> pl.DataFrame:
    reader = cursor()
    with gate.reading():  # the background ingester waits while pages query (dashboard/gate.py)
        return query(reader, *arguments, **keywords)


def _cached(
    query: Callable[Concatenate[duckdb.DuckDBPyConnection, P], pl.DataFrame], *arguments: P.args, **keywords: P.kwargs
) -> pl.DataFrame:
    """``query(cursor, *arguments)`` (a function of queries.api), cached per function, arguments and data version."""
    return _frame(database(), data_version(), query, arguments, keywords)


@st.cache_data(show_spinner="Repricing the traffic…", max_entries=200)
def _whatif(db: Database, version: int, scenarios: tuple[tuple[str, str], ...], scope: Scope) -> pl.DataFrame:
    scenario_maps, reader = {name: Routing.model_validate_json(text) for name, text in scenarios}, cursor()
    with gate.reading():
        return scenario.whatif(reader, scenario_maps, scope)


@st.cache_data(show_spinner=False, max_entries=500)
def _comparison(db: Database, version: int, scope: Scope) -> api.Comparison | None:
    reader = cursor()
    with gate.reading():
        return api.comparison(reader, scope)


@st.cache_data(show_spinner="Pricing the profiling maps…", max_entries=200)
def _projection(db: Database, version: int, routing_json: str, scope: Scope) -> pl.DataFrame:
    reader = cursor()
    with gate.reading():
        return scenario.monthly_projection(
            reader, Routing.model_validate_json(routing_json), api.profiling_recommendation(reader), scope
        )


@st.cache_data(show_spinner=False, max_entries=500)
def _calls(
    db: Database,
    version: int,
    scope: Scope,
    filters: api.CallFilters,
    order: api.CallOrder,
    after: api.Cursor | None,
    limit: int,
) -> api.CallsPage:
    reader = cursor()
    with gate.reading():
        return api.calls_page(reader, scope, filters, order, after, limit)


@st.cache_data(show_spinner=False, max_entries=500)
def _count(db: Database, version: int, scope: Scope, filters: api.CallFilters) -> int | None:
    reader = cursor()
    with gate.reading():
        return api.calls_count(reader, scope, filters)


def clear_results() -> None:
    """Forget every cached result (the next view recomputes from the database)."""
    _frame.clear()
    _calls.clear()
    _count.clear()
    _whatif.clear()
    _comparison.clear()
    _projection.clear()


# One typed function per query the pages use; grain and units are documented on queries.api.


def filter_values() -> pl.DataFrame:
    return _cached(api.filter_values, api.ALL)


def data_quality(scope: Scope) -> pl.DataFrame:
    return _cached(api.data_quality, scope)


def kpis(scope: Scope) -> pl.DataFrame:
    return _cached(api.kpis, scope)


def days_with_data(scope: Scope) -> pl.DataFrame:
    return _cached(api.days_with_data, scope)


def comparison(scope: Scope) -> api.Comparison | None:
    """The period the scope is compared with (as many days with data, just before it); see api.comparison."""
    return _comparison(database(), data_version(), scope)


def cost_by(dimension: api.Dimension, scope: Scope) -> pl.DataFrame:
    return _cached(api.cost_by, dimension, scope)


def daily_cost(scope: Scope) -> pl.DataFrame:
    return _cached(api.daily_cost, scope)


def savings_opportunity(scope: Scope) -> pl.DataFrame:
    return _cached(api.savings_opportunity, scope)


def task_costs(scope: Scope) -> pl.DataFrame:
    return _cached(api.task_costs, scope)


def model_costs(scope: Scope) -> pl.DataFrame:
    return _cached(api.model_costs, scope)


def output_length_histogram(scope: Scope) -> pl.DataFrame:
    return _cached(api.output_length_histogram, scope)


def cost_by_team_feature(scope: Scope) -> pl.DataFrame:
    return _cached(api.cost_by_team_feature, scope)


def tier_mix(scope: Scope) -> pl.DataFrame:
    return _cached(api.tier_mix, scope)


def model_flow(scope: Scope) -> pl.DataFrame:
    return _cached(api.model_flow, scope)


def escalation_by_window(scope: Scope) -> pl.DataFrame:
    return _cached(api.escalation_by_window, scope)


def drift_flags(scope: Scope) -> pl.DataFrame:
    return _cached(api.drift_flags, scope)


def router_audit(scope: Scope) -> pl.DataFrame:
    return _cached(api.router_audit, scope)


def unpriced_models(scope: Scope) -> pl.DataFrame:
    return _cached(api.unpriced_models, scope)


def unattributed_calls(scope: Scope) -> pl.DataFrame:
    return _cached(api.unattributed_calls, scope)


def unknown_task_hints(scope: Scope) -> pl.DataFrame:
    return _cached(api.unknown_task_hints, scope)


def reconciliation_summary(scope: Scope) -> pl.DataFrame:
    return _cached(api.reconciliation_summary, scope)


def cost_reconciliation(scope: Scope) -> pl.DataFrame:
    return _cached(api.cost_reconciliation, scope)


def ingest_history() -> pl.DataFrame:
    return _cached(api.ingest_history)


def quarantine() -> pl.DataFrame:
    return _cached(api.quarantine)


def price_book() -> pl.DataFrame:
    return _cached(api.price_book)


def task_audit(scope: Scope) -> pl.DataFrame:
    return _cached(api.task_audit, scope)


def profiling_pass_rates() -> pl.DataFrame:
    return _cached(api.profiling_pass_rates)


def profiling_recommendation() -> pl.DataFrame:
    return _cached(api.profiling_recommendation)


def monthly_projection(scope: Scope) -> pl.DataFrame:
    """The profiling maps' monthly cost on the traffic in scope (scenario.monthly_projection), on the one basis."""
    return _projection(database(), data_version(), routing().model_dump_json(), scope)


def whatif(scenarios: Mapping[str, Routing], scope: Scope) -> pl.DataFrame:
    """scenario.whatif for these scenarios, cached on each scenario's JSON (a stable serialisation of the map)."""
    serialised = tuple((name, routing.model_dump_json()) for name, routing in scenarios.items())
    return _whatif(database(), data_version(), serialised, scope)


def freshness() -> pl.DataFrame:
    return _cached(api.freshness)


def month_forecast(scope: Scope) -> pl.DataFrame:
    """The newest call's month: to date and forecast (api.month_forecast), with the scope's filters, not its dates."""
    return _cached(api.month_forecast, None, scope)


def budget_status() -> pl.DataFrame:
    """Every budget against the newest call's month (api.budget_status); empty without budgets."""
    return _cached(api.budget_status, budgets().rows())


def spend_anomalies(scope: Scope) -> pl.DataFrame:
    return _cached(api.spend_anomalies, scope)


def cost_by_user(scope: Scope) -> pl.DataFrame:
    return _cached(api.cost_by_user, scope)


def model_performance(scope: Scope) -> pl.DataFrame:
    return _cached(api.model_performance, scope)


def cache_savings(scope: Scope) -> pl.DataFrame:
    return _cached(api.cache_savings, scope)


def calls_count(scope: Scope, filters: api.CallFilters) -> int | None:
    """How many calls the explorer lists, when the rollups can tell (api.calls_count); cached like the marts."""
    return _count(database(), data_version(), scope, filters)


def calls_page(
    scope: Scope, filters: api.CallFilters, order: api.CallOrder, after: api.Cursor | None, limit: int = api.PAGE_SIZE
) -> api.CallsPage:
    """One page of the explorer (api.calls_page), cached per cursor."""
    return _calls(database(), data_version(), scope, filters, order, after, limit)
