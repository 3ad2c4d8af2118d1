"""Opening a tierscope database: the stored tables, the config tables and the SQL layer, in that order.

The SQL layer is the files under ``queries/sql``: one view (or, when it takes arguments, one table macro) per file,
registered in dependency order. A file whose first line is ``-- params: a, b`` becomes ``create macro name(a, b)
as table ...``; any other file becomes ``create view name as ...``. Config tables (``cfg_*``) are rewritten from the
YAML files on every open, so a ``--prices`` / ``--routing`` override applies to that process only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from tierscope.queries.config import (
    VARIANTS,
    ConfigError,
    PriceBook,
    PriceEntry,
    PriceVariant,
    Routing,
    load_price_book,
    load_routing,
)
from tierscope.settings import settings

SQL_DIR = Path(__file__).resolve().parent / "sql"

# Dependency order: each file may use only what comes before it.
SQL_LAYERS: tuple[str, ...] = (
    "schema/tables.sql",
    "staging/macros.sql",
    "ingest/macros.sql",
    "staging/stg_calls.sql",
    "staging/stg_model_names.sql",
    "staging/stg_prices.sql",
    "staging/stg_tier_models.sql",
    "staging/stg_profiling_results.sql",
    "staging/stg_input_bands.sql",
    "intermediate/int_priced_calls.sql",
    "intermediate/int_call_exceptions.sql",
    "derived/call_exceptions.sql",
    "intermediate/int_traces.sql",
    "derived/trace_rollup_changes.sql",
    "intermediate/int_call_slice.sql",
    "intermediate/int_trace_slice.sql",
    "intermediate/int_call_groups.sql",
    "intermediate/int_trace_groups.sql",
    "intermediate/int_trace_cost_buckets.sql",
    "intermediate/int_call_output_buckets.sql",
    "derived/call_rollup.sql",
    "derived/trace_rollup.sql",
    "intermediate/int_simulator_groups.sql",
    "derived/simulator_rollup.sql",
    "derived/trace_cost_histogram.sql",
    "derived/call_output_histogram.sql",
    "intermediate/int_calls_in_scope.sql",
    "intermediate/int_traces_in_scope.sql",
    "intermediate/int_scope_days.sql",
    "intermediate/int_call_groups_in_scope.sql",
    "intermediate/int_trace_groups_in_scope.sql",
    "intermediate/int_trace_cost_buckets_in_scope.sql",
    "intermediate/int_call_exceptions_in_scope.sql",
    "intermediate/int_call_output_buckets_in_scope.sql",
    "marts/mart_task_costs.sql",
    "marts/mart_cost_by.sql",
    "marts/mart_daily_cost.sql",
    "marts/mart_tier_mix.sql",
    "marts/mart_escalation_by_window.sql",
    "marts/mart_drift_flags.sql",
    "marts/mart_unpriced_models.sql",
    "marts/mart_data_quality.sql",
    "marts/mart_cost_reconciliation.sql",
    "marts/mart_quarantine.sql",
    "marts/mart_ingest_history.sql",
    "marts/mart_profiling_pass_rates.sql",
    "marts/mart_profiling_recommendation.sql",
    "marts/mart_cost_projection.sql",
    "marts/mart_whatif.sql",
    "marts/mart_task_audit.sql",
    "marts/mart_filter_values.sql",
    "marts/mart_kpis.sql",
    "marts/mart_savings_opportunity.sql",
    "marts/mart_model_costs.sql",
    "marts/mart_cost_by_team_feature.sql",
    "marts/mart_output_length_histogram.sql",
    "marts/mart_model_flow.sql",
    "marts/mart_unattributed_calls.sql",
    "marts/mart_reconciliation_summary.sql",
    "marts/mart_price_book.sql",
    "ingest/format_macros.sql",
    "marts/mart_unknown_task_hints.sql",
    "marts/mart_focus_daily.sql",
    "marts/mart_freshness.sql",
    "marts/mart_derived_sizes.sql",
)


def sql_text(relative_path: str) -> str:
    """The text of one SQL file under queries/sql."""
    return (SQL_DIR / relative_path).read_text(encoding="utf-8")


# frame() runs a query once and copies its (small) result out through Arrow, which DuckDB 2.0 warns about for large
# results; a relation's .pl() instead binds the query once to describe it and again to run it.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning)


def frame(con: duckdb.DuckDBPyConnection, query: str, params: dict[str, object] | None = None) -> pl.DataFrame:
    """A query's result as a Polars frame, planned once: for the marts, whose results are small and whose planning
    is a large part of their time (``con.sql(query).pl()`` plans twice: to describe the relation, then to run it)."""
    return pl.from_arrow(con.execute(query, params or {}).to_arrow_table())  # type: ignore[return-value]


def execute_file(
    con: duckdb.DuckDBPyConnection, relative_path: str, params: dict[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """Run the statements of one SQL file in order, each bound to the named parameters ($name) it uses.

    Returns the connection holding the last statement's result.
    """
    values = params or {}
    for statement in con.extract_statements(sql_text(relative_path)):
        con.execute(statement.query, {name: values[name] for name in statement.named_parameters})
    return con


def _definition(relative_path: str) -> str:
    text = sql_text(relative_path)
    name = Path(relative_path).stem
    if relative_path.startswith("schema/") or relative_path.endswith("macros.sql"):
        return text
    first_line = text.splitlines()[0]
    if first_line.startswith("-- params:"):
        params = first_line.removeprefix("-- params:").strip()
        return f"create or replace macro {name}({params}) as table\n{text}"
    return f"create or replace view {name} as\n{text}"


@dataclass(frozen=True)
class Settings:
    """What a process opened the database with."""

    db_path: str
    price_book: PriceBook
    routing: Routing


def resolve_db_path(db_path: str | os.PathLike[str] | None) -> str:
    return str(db_path or settings().db)


class DatabaseError(ConfigError):
    """A database path tierscope cannot use (not a DuckDB file, a folder, another tool's database) or derived tables
    that an explicit rebuild cannot compute. A ConfigError like the other settings of a run (``--db`` is one), so
    every command reports it as one line naming the file."""


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception as one line for people: its first line, without DuckDB's error-class prefix, truncated."""
    lines = str(error).strip().splitlines()
    text = re.sub(r"^[A-Z][A-Za-z ]*Error: ", "", lines[0] if lines else type(error).__name__)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def connect(
    db_path: str | os.PathLike[str] | None = None,
    prices_path: str | os.PathLike[str] | None = None,
    routing_path: str | os.PathLike[str] | None = None,
    *,
    price_book: PriceBook | None = None,
    routing: Routing | None = None,
    rebuild: bool = False,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database read-write with its config tables and SQL layer in place.

    The derived tables (priced calls, traces, the daily rollups) are rebuilt from the stored calls when the config
    or the derivation SQL changed since they were built, or when ``rebuild`` asks for it; else brought up to date.
    When that fails, the database still opens: the stored calls are intact, the derived tables stay as they were
    (tables missing altogether are created empty), ``derived_state.stale_reason`` says why, a one-line warning goes
    to stderr, and the next open (or ``tierscope rebuild``) tries again. Only an explicit ``rebuild`` that fails is
    an error (:class:`DatabaseError`).
    """
    price_book = price_book or load_price_book(prices_path)
    routing = routing or load_routing(routing_path)
    path = resolve_db_path(db_path)
    con = _without_quarantine_text(_open_file(path), path)
    try:
        # Calls are stored as UTC; timestamps given without a zone are read as UTC in every cursor too.
        con.execute("set global TimeZone = 'UTC'")
        _open_layers(con, price_book, routing, rebuild=rebuild)
    except duckdb.Error as error:
        if rebuild:
            con.close()
            raise DatabaseError(f"{path}: the derived tables cannot be rebuilt: {one_line(error)}") from error
        try:
            _open_stale(con, price_book, routing, one_line(error))
        except duckdb.Error as stale_error:
            con.close()
            raise DatabaseError(f"{path}: cannot open: {one_line(stale_error)}") from stale_error
        warn_stale(path, one_line(error))
    except BaseException:
        con.close()
        raise
    return con


def _open_file(path: str) -> duckdb.DuckDBPyConnection:
    """The database file opened read-write; a path that is not a usable database file, or a database of another tool,
    is a :class:`DatabaseError`. A lock held by another process stays a ``duckdb.IOException`` (the CLI hands files
    to the spool then)."""
    if path == ":memory:":
        return duckdb.connect(path)
    target = Path(path)
    if target.is_dir():
        raise DatabaseError(f"{path}: is a folder, not a database file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(path)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise
        if "not a valid DuckDB database file" in str(error):
            raise DatabaseError(f"{path}: not a DuckDB database file") from error
        raise DatabaseError(f"{path}: cannot open as a database: {one_line(error)}") from error
    except (OSError, duckdb.Error) as error:
        raise DatabaseError(f"{path}: cannot open as a database: {one_line(error)}") from error
    try:
        _refuse_foreign(con, path)
    except BaseException:
        con.close()
        raise
    return con


def _without_quarantine_text(con: duckdb.DuckDBPyConnection, path: str) -> duckdb.DuckDBPyConnection:
    """A database made when quarantine kept each rejected record's raw text (which may carry prompts) is rewritten
    once without it. Dropping the column is not enough: DuckDB leaves a dropped column's bytes in the file's free
    blocks. So the file is copied, table by table, into a new one that never holds the text, which then replaces it
    (an interrupted rewrite leaves the original as it was, to be rewritten on the next open)."""
    [(has_text,)] = con.execute(
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and table_name = 'quarantine' and column_name = 'raw_text'"
    ).fetchall()
    if not has_text:
        return con
    if path == ":memory:":
        con.execute("alter table quarantine drop column raw_text")
        return con
    print(f"tierscope: {path}: rewriting the database once, without the text of quarantined records", file=sys.stderr)
    con.close()
    rewritten = Path(f"{path}.rewrite")
    try:
        _copy_without_quarantine_text(path, rewritten)
    except (duckdb.Error, OSError) as error:
        raise DatabaseError(f"{path}: cannot rewrite it without the quarantine's text: {one_line(error)}") from error
    os.replace(rewritten, path)
    Path(f"{path}.wal").unlink(missing_ok=True)
    return _open_file(path)


def _copy_without_quarantine_text(path: str, rewritten: Path) -> None:
    """The database at ``path`` copied into a new file at ``rewritten``: schema, then every table's rows, the
    quarantine's without its raw_text column."""
    for leftover in (rewritten, Path(f"{rewritten}.wal")):
        leftover.unlink(missing_ok=True)
    target = duckdb.connect(str(rewritten))
    try:
        [(name,)] = target.execute("select current_database()").fetchall()
        target.execute(f"attach {_sql_string(path)} as tierscope_source (read_only)")
        target.execute(f"copy from database tierscope_source to {_sql_name(name)} (schema)")
        target.execute("alter table quarantine drop column raw_text")
        tables = target.execute(
            "select table_name, list(column_name order by column_index) from duckdb_columns() "
            "where (database_name, schema_name, table_name) in (select (database_name, schema_name, table_name) "
            "from duckdb_tables() where database_name = current_database()) group by table_name"
        ).fetchall()
        for table, columns in tables:
            listed = ", ".join(_sql_name(column) for column in columns)
            target.execute(
                f"insert into {_sql_name(table)} ({listed}) select {listed} from tierscope_source.{_sql_name(table)}"
            )
        target.execute("detach tierscope_source")
        target.execute("checkpoint")
    finally:
        target.close()


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _refuse_foreign(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """tierscope writes only into an empty database or one it made (its ledger ``ingests`` is there)."""
    tables = [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() and not temporary "
            "order by table_name"
        ).fetchall()
    ]
    if tables and "ingests" not in tables:
        shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
        raise DatabaseError(
            f"{path}: a DuckDB database of another tool (tables {shown}); tierscope writes only into an empty "
            "database or one it made"
        )


def _open_layers(con: duckdb.DuckDBPyConnection, price_book: PriceBook, routing: Routing, *, rebuild: bool) -> None:
    """One transaction: the stored tables, the config tables, the SQL layer, and the derived tables rebuilt or
    brought up to date."""
    con.execute("begin")
    try:
        con.execute(sql_text("schema/tables.sql"))
        load_config_tables(con, price_book, routing)
        fingerprint = config_fingerprint(price_book, routing)
        rebuild = rebuild or _derived_fingerprint(con) != fingerprint
        if rebuild:
            execute_file(con, "derived/drop_retired.sql")
            execute_file(con, "derived/anchor_missing.sql")
        for relative_path in SQL_LAYERS[1:]:
            if relative_path.startswith("derived/"):
                if rebuild or not _has_table(con, Path(relative_path).stem):
                    con.execute(sql_text(relative_path))
            else:
                con.execute(_definition(relative_path))
        if rebuild:
            execute_file(con, "derived/derived_state.sql", {"fingerprint": fingerprint})
        else:
            refresh_derived(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def _open_stale(con: duckdb.DuckDBPyConnection, price_book: PriceBook, routing: Routing, reason: str) -> None:
    """The open without deriving anything, statement by statement (one that cannot bind, such as a view over a
    derived table from an older tierscope, is left out rather than stopping the open): the stored tables, the
    config tables, the SQL layer over the derived tables as they are (missing ones created empty), the reason in
    derived_state."""
    con.execute(sql_text("schema/tables.sql"))
    load_config_tables(con, price_book, routing)
    for relative_path in SQL_LAYERS[1:]:
        try:
            if not relative_path.startswith("derived/"):
                con.execute(_definition(relative_path))
            elif not _has_table(con, Path(relative_path).stem):
                con.execute(_empty_table(relative_path))
        except duckdb.Error:
            continue
    mark_stale(con, reason)


def _empty_table(relative_path: str) -> str:
    """A derived table's definition (``create or replace table NAME as QUERY``) creating it with no rows: the query
    is planned, never run."""
    match = re.fullmatch(
        r"(?:--[^\n]*\n)*\s*create or replace table (\w+) as\s+(.*?);?\s*", sql_text(relative_path), re.DOTALL
    )
    if match is None:
        raise ValueError(f"{relative_path}: not of the form 'create or replace table NAME as QUERY'")
    return f"create table if not exists {match[1]} as select * from ({match[2]}) limit 0"


def mark_stale(con: duckdb.DuckDBPyConnection, reason: str) -> None:
    """Record in derived_state why the derived tables are behind the stored calls (cleared by the next refresh or
    rebuild that succeeds)."""
    execute_file(con, "derived/mark_stale.sql", {"reason": reason})


def derived_stale_reason(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the derived tables are behind the stored calls, or None when they are current."""
    rows = con.execute("select stale_reason from derived_state where stale_reason is not null").fetchall()
    return str(rows[0][0]) if rows else None


def warn_stale(path: str, reason: str) -> None:
    print(
        f"tierscope: warning: {path}: the derived tables are behind the stored calls ({reason}); reports may miss "
        "the latest ingests until `tierscope rebuild` succeeds",
        file=sys.stderr,
    )


def refresh_derived_or_mark_stale(con: duckdb.DuckDBPyConnection) -> str | None:
    """:func:`refresh_derived` in its own transaction; when it fails, the reason is recorded (:func:`mark_stale`) and
    warned about instead of raised, since the ingests it follows are committed. Returns the reason, or None."""
    con.execute("begin")
    try:
        refresh_derived(con)
        con.execute("commit")
    except duckdb.Error as error:
        con.execute("rollback")
        reason = one_line(error)
        mark_stale(con, reason)
        [(path,)] = con.execute(
            "select coalesce(path, ':memory:') from duckdb_databases() where database_name = current_database()"
        ).fetchall()
        warn_stale(str(path), reason)
        return reason
    except BaseException:
        con.execute("rollback")
        raise
    return None


# The SQL the derived tables are computed with: a change to any of it (a new tierscope) rebuilds them.
DERIVED_FROM = (
    "intermediate/int_priced_calls.sql",
    "intermediate/int_call_slice.sql",
    "intermediate/int_trace_slice.sql",
    "intermediate/int_traces.sql",
    "intermediate/int_call_groups.sql",
    "intermediate/int_trace_groups.sql",
    "intermediate/int_simulator_groups.sql",
    "intermediate/int_trace_cost_buckets.sql",
    "intermediate/int_call_exceptions.sql",
    "intermediate/int_call_output_buckets.sql",
)
DERIVATION_SQL = tuple(path for path in SQL_LAYERS if path.startswith(("staging/", "derived/")) or path in DERIVED_FROM)


def config_fingerprint(price_book: PriceBook, routing: Routing) -> str:
    """What the derived tables depend on: the price book, the routing map and the derivation SQL."""
    digest = hashlib.sha256()
    digest.update(price_book.model_dump_json().encode())
    digest.update(routing.model_dump_json().encode())
    for relative_path in DERIVATION_SQL:
        digest.update(sql_text(relative_path).encode())
    return digest.hexdigest()[:32]


def refresh_derived(con: duckdb.DuckDBPyConnection) -> int:
    """Bring the trace anchors, the exception calls and the daily rollups up to the latest ingest, incrementally;
    returns how many ingests it took in.

    Runs in the caller's transaction: ``ingest_paths`` runs it in each file's load transaction (a loaded file is
    queryable when it commits); a stream, the dashboard's uploads and every open run it after ingests that did not.
    """
    [(through, latest)] = con.execute(
        "select (select through_ingest_id from derived_state), (select coalesce(max(ingest_id), 0) from ingests)"
    ).fetchall()
    if latest <= through:
        return 0
    params = {"after_ingest_id": through, "through_ingest_id": latest}
    execute_file(con, "derived/anchor_traces.sql", params)
    execute_file(con, "derived/refresh_new_ingests.sql", params)
    execute_file(con, "derived/merge_rollups.sql", params)
    [(taken,)] = con.execute(
        "select count(*) from ingests where ingest_id > $after and ingest_id <= $through",
        {"after": through, "through": latest},
    ).fetchall()
    return int(taken)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "select count(*) from duckdb_tables() where table_name = $name and database_name = current_database()"
    return bool(con.execute(query, {"name": name}).fetchall()[0][0])


def _derived_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint the derived tables were built with, if they were."""
    if not _has_table(con, "derived_state"):
        return None
    rows = con.execute("select config_fingerprint from derived_state").fetchall()
    return str(rows[0][0]) if rows else None


def _price_rows(model: str, entry: PriceEntry) -> list[dict[str, object]]:
    """One row per price variant x context band of one effective-dated entry, inheritance applied."""
    base: dict[str, float | None] = {
        "input": entry.input,
        "output": entry.output,
        "cached_input": entry.cached_input,
        "cache_write": entry.cache_write,
        "reasoning": entry.reasoning,
    }

    def overlay(prices: dict[str, float | None], variant: PriceVariant | None) -> dict[str, float | None]:
        if variant is None:
            return prices
        given = variant.model_dump(exclude_none=True)
        return {key: given.get(key, value) for key, value in prices.items()}

    rows: list[dict[str, object]] = []
    for variant_name in ("standard", *VARIANTS):
        variant_prices = overlay(base, getattr(entry, variant_name, None))
        bands = [(False, variant_prices)]
        if entry.above is not None:
            bands.append((True, overlay(variant_prices, entry.above)))
        for is_long_context, prices in bands:
            rows.append(
                {
                    "model": model,
                    "price_variant": variant_name,
                    "effective_from": dt.datetime.combine(entry.effective_from, dt.time()),
                    "is_long_context": is_long_context,
                    "long_context_above_tokens": entry.above_tokens,
                    **{f"{key}_usd_per_1m_tokens": value for key, value in prices.items()},
                }
            )
    return rows


def config_tables(price_book: PriceBook, routing: Routing) -> dict[str, pa.Table]:
    """The config files as small Arrow tables, one per cfg_* table."""
    models = [
        {"model": name, "provider": spec.provider, "context_window": spec.context_window}
        for name, spec in price_book.models.items()
    ]
    aliases = [
        {"model": name, "alias": alias}
        for name, spec in price_book.models.items()
        for alias in [*spec.aliases, *([f"{spec.provider}/{name}"] if spec.provider else [])]
    ]
    prices = [
        row for name, spec in price_book.models.items() for entry in spec.prices for row in _price_rows(name, entry)
    ]
    tiers = [
        {"tier": tier, "tier_rank": tier_rank, "model": model, "model_rank": model_rank}
        for tier_rank, (tier, tier_models) in enumerate(routing.tiers.items(), start=1)
        for model_rank, model in enumerate(tier_models, start=1)
    ]
    tasks = [
        {
            "task_type": task_type,
            "tier": profile.tier,
            "baseline_escalation_rate": profile.baseline_escalation_rate,
            "blast_radius": profile.blast_radius,
            "expected_output_tokens": profile.expected_output_tokens,
            "quality_gate": profile.quality_gate,
            "requests_per_day": profile.requests_per_day,
        }
        for task_type, profile in routing.tasks.items()
    ]
    settings = [
        {
            "default_tier": routing.default_tier,
            "context_guard_ratio": routing.context_guard_ratio,
            "drift_threshold": routing.drift.threshold,
            "drift_mode": routing.drift.mode,
            "drift_window_seconds": routing.drift.window_seconds,
            "drift_min_requests": routing.drift.min_requests,
            "drift_baseline_days": routing.drift.baseline_days,
            "profiling_route_at": routing.profiling.route_at,
            "profiling_monitor_at": routing.profiling.monitor_at,
        }
    ]
    task_type_rules = [
        {"rule_rank": rank, "kind": rule.kind, "rule_key": rule.key}
        for rank, rule in enumerate(routing.task_type_from, start=1)
    ]
    schemas = {
        "cfg_models": pa.schema([("model", pa.string()), ("provider", pa.string()), ("context_window", pa.int64())]),
        "cfg_model_aliases": pa.schema([("model", pa.string()), ("alias", pa.string())]),
        "cfg_prices": pa.schema(
            [
                ("model", pa.string()),
                ("price_variant", pa.string()),
                ("effective_from", pa.timestamp("us")),
                ("is_long_context", pa.bool_()),
                ("long_context_above_tokens", pa.int64()),
                *[
                    (f"{key}_usd_per_1m_tokens", pa.float64())
                    for key in ("input", "output", "cached_input", "cache_write", "reasoning")
                ],
            ]
        ),
        "cfg_tiers": pa.schema(
            [
                ("tier", pa.string()),
                ("tier_rank", pa.int32()),
                ("model", pa.string()),
                ("model_rank", pa.int32()),
            ]
        ),
        "cfg_tasks": pa.schema(
            [
                ("task_type", pa.string()),
                ("tier", pa.string()),
                ("baseline_escalation_rate", pa.float64()),
                ("blast_radius", pa.string()),
                ("expected_output_tokens", pa.int64()),
                ("quality_gate", pa.string()),
                ("requests_per_day", pa.float64()),
            ]
        ),
        "cfg_task_type_rules": pa.schema([("rule_rank", pa.int32()), ("kind", pa.string()), ("rule_key", pa.string())]),
        "cfg_settings": pa.schema(
            [
                ("default_tier", pa.string()),
                ("context_guard_ratio", pa.float64()),
                ("drift_threshold", pa.float64()),
                ("drift_mode", pa.string()),
                ("drift_window_seconds", pa.int64()),
                ("drift_min_requests", pa.int64()),
                ("drift_baseline_days", pa.int64()),
                ("profiling_route_at", pa.float64()),
                ("profiling_monitor_at", pa.float64()),
            ]
        ),
    }
    rows = {
        "cfg_models": models,
        "cfg_model_aliases": aliases,
        "cfg_prices": prices,
        "cfg_tiers": tiers,
        "cfg_tasks": tasks,
        "cfg_task_type_rules": task_type_rules,
        "cfg_settings": settings,
    }
    return {name: pa.Table.from_pylist(rows[name], schema=schemas[name]) for name in schemas}


def load_config_tables(con: duckdb.DuckDBPyConnection, price_book: PriceBook, routing: Routing) -> None:
    """Replace the cfg_* tables with the given config (values travel as Arrow data, never as SQL text)."""
    for name, table in config_tables(price_book, routing).items():
        con.register("config_rows", table)
        con.execute(f"create or replace table {name} as select * from config_rows")
        con.unregister("config_rows")
