"""Opening a tierscope database: the stored tables, the config tables, the SQL layer and the derived tables.

The SQL layer is the model files under ``queries/sql`` (queries/graph.py): one view (or, when it takes arguments,
one table macro) per file, created in the order of what each reads. A file whose first line is ``-- params: a, b``
becomes ``create macro name(a, b) as table ...``; any other query file becomes ``create view name as ...``. The
database keeps a fingerprint of the SQL layer, of each config table (``cfg_*``, written from the YAML files) and of
each derived table (the SQL and config tables it reads): an open redoes only what changed, so opening an unchanged
database writes nothing, and a ``--prices`` / ``--routing`` override rebuilds only the derived tables that read it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from tierscope.queries import graph
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
from tierscope.settings import memory_size, settings

SQL_DIR = graph.SQL_DIR


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


# The step times being collected (step_times()): seconds per step, and a stack of the open steps' inner seconds.
_STEP_TIMES: ContextVar[tuple[dict[str, float], list[float]] | None] = ContextVar("step_times", default=None)


@contextmanager
def step_times() -> Iterator[dict[str, float]]:
    """Collect the seconds each step inside the block takes (``ingest --verbose``): each SQL file run by
    :func:`execute_file`, each commit, each :func:`timed` block. A step's time leaves out the steps inside it, so
    the times add up to the block's."""
    times: dict[str, float] = {}
    token = _STEP_TIMES.set((times, []))
    try:
        yield times
    finally:
        _STEP_TIMES.reset(token)


@contextmanager
def timed(step: str) -> Iterator[None]:
    """Count the block's seconds to ``step`` when step times are being collected (free otherwise)."""
    collecting = _STEP_TIMES.get()
    if collecting is None:
        yield
        return
    times, inner = collecting
    inner.append(0.0)
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        times[step] = times.get(step, 0.0) + seconds - inner.pop()
        if inner:
            inner[-1] += seconds


def execute_file(
    con: duckdb.DuckDBPyConnection, relative_path: str, params: dict[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """Run the statements of one SQL file in order, each bound to the named parameters ($name) it uses.

    Returns the connection holding the last statement's result.
    """
    values = params or {}
    with timed(relative_path):
        for statement in con.extract_statements(sql_text(relative_path)):
            con.execute(statement.query, {name: values[name] for name in statement.named_parameters})
    return con


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
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database read-write with its config tables and SQL layer in place.

    The derived tables (priced calls, traces, the daily rollups) are rebuilt from the stored calls when the config
    or the derivation SQL changed since they were built, or when ``rebuild`` asks for it; else brought up to date.
    When that fails, the database still opens: the stored calls are intact, the derived tables stay as they were
    (tables missing altogether are created empty), ``derived_state.stale_reason`` says why, a one-line warning goes
    to stderr, and the next open (or ``tierscope rebuild``) tries again. Only an explicit ``rebuild`` that fails is
    an error (:class:`DatabaseError`). ``memory_limit`` (default: the setting, 2GB) bounds DuckDB's memory in this
    process.
    """
    price_book = price_book or load_price_book(prices_path)
    routing = routing or load_routing(routing_path)
    path = resolve_db_path(db_path)
    try:
        limit = memory_size(settings(memory_limit=memory_limit).memory_limit)
    except ValueError as error:
        raise ConfigError(f"TIERSCOPE_MEMORY_LIMIT: {error}") from error
    con = _without_quarantine_text(_open_file(path), path)
    try:
        # Calls are stored as UTC; timestamps given without a zone are read as UTC in every cursor too.
        con.execute("set global TimeZone = 'UTC'")
        # beyond the limit DuckDB spills to its temp_directory, <db file>.tmp beside the database
        con.execute(f"set global memory_limit = '{limit}'")
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
    """The stored tables, the config tables, the SQL layer and the derived tables, each redone only when what it is
    made of changed (:func:`layer_fingerprints`), in one transaction; then, in its own, the derived tables brought
    up to the latest ingest. Opening a database whose SQL and config are unchanged writes nothing."""
    tables = config_tables(price_book, routing)
    wanted = layer_fingerprints(tables)
    stored = _stored_fingerprints(con)
    if rebuild or any(stored.get(name) != value for name, value in wanted.items()):
        with transaction(con):
            _recreate_layers(con, tables, wanted, stored, rebuild=rebuild)
    if _is_behind(con):
        with transaction(con):
            refresh_derived(con)


def _recreate_layers(
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, pa.Table],
    wanted: dict[str, str],
    stored: dict[str, str],
    *,
    rebuild: bool,
) -> None:
    """What changed, in dependency order: the stored tables and the views and macros when the SQL did, each config
    table that changed, and each derived table whose fingerprint (the SQL and config tables it reads) changed,
    missing ones and, with rebuild, all of them. Rebuilt tables are computed from every stored call, so when the
    others are behind the latest ingest, all are rebuilt."""
    sql_changed = rebuild or stored.get("sql") != wanted["sql"]
    layers = graph.current()
    if sql_changed:
        con.execute(sql_text(graph.SCHEMA))
    for name, table in tables.items():
        if rebuild or stored.get(name) != wanted[name]:
            _write_config_table(con, name, table)
    derived = derived_fingerprints(layers, wanted)
    stale = {
        path
        for path, fingerprint in derived.items()
        if rebuild or stored.get(path) != fingerprint or not _has_table(con, Path(path).stem)
    }
    if stale and _is_behind(con):
        stale = set(derived)
    if stale:
        execute_file(con, "steps/drop_retired.sql")
        execute_file(con, "steps/anchor_missing.sql")
    started = time.perf_counter()
    for path in layers.order:
        model = layers.models[path]
        if model.kind == "derived" and path in stale:
            table_started = time.perf_counter()
            con.execute(model.definition())
            _rebuilt(path, time.perf_counter() - table_started)
        elif model.kind in ("macros", "view", "table_macro") and sql_changed:
            con.execute(model.definition())
    if stale and stored and not rebuild:
        # an open that rebuilds (a price or routing change, a new tierscope) says so: it can take a while
        names = ", ".join(sorted(Path(path).stem for path in stale))
        print(
            f"tierscope: the config or the SQL changed: rebuilt {names} in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    fingerprint = config_fingerprint_of(wanted)
    if stale:
        execute_file(con, "steps/derived_state.sql", {"fingerprint": fingerprint})
    else:
        con.execute("update derived_state set config_fingerprint = $fingerprint", {"fingerprint": fingerprint})
    _store_fingerprints(con, {**wanted, **derived})


# Called with each derived table rebuilt and the seconds it took (the CLI's rebuild progress); the default prints
# nothing.
_REBUILT: list[Callable[[str, float], None]] = []


def on_rebuilt(callback: Callable[[str, float], None]) -> Callable[[], None]:
    """Call ``callback(table, seconds)`` after each derived table a rebuild computes, until the returned function is
    called."""
    _REBUILT.append(callback)
    return lambda: _REBUILT.remove(callback)


def _rebuilt(path: str, seconds: float) -> None:
    for callback in _REBUILT:
        callback(Path(path).stem, seconds)


def layer_fingerprints(tables: dict[str, pa.Table]) -> dict[str, str]:
    """The SQL layer's fingerprint (every model file) and each config table's (its rows)."""
    fingerprints = {"sql": graph.layer_fingerprint()}
    for name, table in tables.items():
        rows = json.dumps(table.to_pylist(), sort_keys=True, default=str)
        fingerprints[name] = hashlib.sha256(rows.encode()).hexdigest()[:32]
    return fingerprints


def derived_fingerprints(layers: graph.Graph, wanted: dict[str, str]) -> dict[str, str]:
    """Per derived table (by its file): a hash of the SQL files and config tables it reads, directly or through
    other models, so that a change to anything else (a mart, a drift setting) rebuilds nothing."""
    fingerprints = {}
    for path in layers.derived():
        files, externals = layers.closure(path)
        digest = hashlib.sha256()
        for file in sorted(files):
            digest.update(file.encode())
            digest.update(layers.models[file].text.encode())
        for name in sorted(externals):
            digest.update(f"{name}={wanted.get(name, '')}".encode())
        fingerprints[path] = digest.hexdigest()[:32]
    return fingerprints


def config_fingerprint_of(wanted: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:32]


def config_fingerprint(price_book: PriceBook, routing: Routing) -> str:
    """What a process opened the database with (the SQL layer and the config tables), as derived_state records it:
    a process reading through the database's owner compares it with its own."""
    return config_fingerprint_of(layer_fingerprints(config_tables(price_book, routing)))


def _stored_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not _has_table(con, "layer_fingerprints"):
        return {}
    return {str(name): str(value) for name, value in con.execute("from layer_fingerprints").fetchall()}


def _store_fingerprints(con: duckdb.DuckDBPyConnection, fingerprints: dict[str, str]) -> None:
    con.execute("create or replace table layer_fingerprints (name varchar primary key, fingerprint varchar)")
    con.executemany("insert into layer_fingerprints values (?, ?)", list(fingerprints.items()))


def _is_behind(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ingests committed after the derived tables' watermark (or the derived tables are missing)."""
    if not _has_table(con, "derived_state"):
        return True
    [(behind,)] = con.execute(
        "select coalesce((select max(ingest_id) from ingests), 0) > "
        "coalesce((select max(through_ingest_id) from derived_state), -1)"
    ).fetchall()
    return bool(behind)


def _open_stale(con: duckdb.DuckDBPyConnection, price_book: PriceBook, routing: Routing, reason: str) -> None:
    """The open without deriving anything, statement by statement (one that cannot bind, such as a view over a
    derived table from an older tierscope, is left out rather than stopping the open): the stored tables, the
    config tables, the SQL layer over the derived tables as they are (missing ones created empty), the reason in
    derived_state. The fingerprints stay as they were, so the next open tries again."""
    con.execute(sql_text(graph.SCHEMA))
    load_config_tables(con, price_book, routing)
    layers = graph.current()
    for path in layers.order:
        model = layers.models[path]
        try:
            if model.kind in ("macros", "view", "table_macro"):
                con.execute(model.definition())
            elif model.kind == "derived" and not _has_table(con, Path(path).stem):
                con.execute(_empty_table(path))
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
    execute_file(con, "steps/mark_stale.sql", {"reason": reason})


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


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on ``con``: committed when the block ends, rolled back when it raises."""
    con.execute("begin")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    with timed("commit"):
        con.execute("commit")


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
    execute_file(con, "steps/anchor_traces.sql", params)
    execute_file(con, "steps/refresh_new_ingests.sql", params)
    execute_file(con, "steps/merge_rollups.sql", params)
    [(taken,)] = con.execute(
        "select count(*) from ingests where ingest_id > $after and ingest_id <= $through",
        {"after": through, "through": latest},
    ).fetchall()
    return int(taken)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    query = "select count(*) from duckdb_tables() where table_name = $name and database_name = current_database()"
    return bool(con.execute(query, {"name": name}).fetchall()[0][0])


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
    return {**price_tables(price_book), **routing_tables(routing)}


def price_tables(price_book: PriceBook) -> dict[str, pa.Table]:
    """The price book as cfg_models, cfg_model_aliases and cfg_prices."""
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
    return {
        "cfg_models": _table(models, [("model", pl.String), ("provider", pl.String), ("context_window", pl.Int64)]),
        "cfg_model_aliases": _table(aliases, [("model", pl.String), ("alias", pl.String)]),
        "cfg_prices": _table(
            prices,
            [
                ("model", pl.String),
                ("price_variant", pl.String),
                ("effective_from", pl.Datetime("us")),
                ("is_long_context", pl.Boolean),
                ("long_context_above_tokens", pl.Int64),
                *[
                    (f"{key}_usd_per_1m_tokens", pl.Float64)
                    for key in ("input", "output", "cached_input", "cache_write", "reasoning")
                ],
            ],
        ),
    }


def routing_tables(routing: Routing) -> dict[str, pa.Table]:
    """The routing map as cfg_tiers, cfg_tasks, cfg_task_type_rules, cfg_settings, cfg_drift and cfg_profiling."""
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
    task_type_rules = [
        {"rule_rank": rank, "kind": rule.kind, "rule_key": rule.key}
        for rank, rule in enumerate(routing.task_type_from, start=1)
    ]
    # settings apart by who reads them: pricing and tiers (derived tables), drift and profiling (marts only), so that
    # editing a drift or profiling setting rebuilds no derived table
    settings = [{"default_tier": routing.default_tier, "context_guard_ratio": routing.context_guard_ratio}]
    drift = [
        {
            "drift_threshold": routing.drift.threshold,
            "drift_mode": routing.drift.mode,
            "drift_window_seconds": routing.drift.window_seconds,
            "drift_min_requests": routing.drift.min_requests,
            "drift_baseline_days": routing.drift.baseline_days,
        }
    ]
    profiling = [
        {"profiling_route_at": routing.profiling.route_at, "profiling_monitor_at": routing.profiling.monitor_at}
    ]
    return {
        "cfg_tiers": _table(
            tiers,
            [("tier", pl.String), ("tier_rank", pl.Int32), ("model", pl.String), ("model_rank", pl.Int32)],
        ),
        "cfg_tasks": _table(
            tasks,
            [
                ("task_type", pl.String),
                ("tier", pl.String),
                ("baseline_escalation_rate", pl.Float64),
                ("blast_radius", pl.String),
                ("expected_output_tokens", pl.Int64),
                ("quality_gate", pl.String),
                ("requests_per_day", pl.Float64),
            ],
        ),
        "cfg_task_type_rules": _table(
            task_type_rules, [("rule_rank", pl.Int32), ("kind", pl.String), ("rule_key", pl.String)]
        ),
        "cfg_settings": _table(settings, [("default_tier", pl.String), ("context_guard_ratio", pl.Float64)]),
        "cfg_drift": _table(
            drift,
            [
                ("drift_threshold", pl.Float64),
                ("drift_mode", pl.String),
                ("drift_window_seconds", pl.Int64),
                ("drift_min_requests", pl.Int64),
                ("drift_baseline_days", pl.Int64),
            ],
        ),
        "cfg_profiling": _table(profiling, [("profiling_route_at", pl.Float64), ("profiling_monitor_at", pl.Float64)]),
    }


def _table(
    rows: Sequence[Mapping[str, object]], columns: list[tuple[str, pl.DataType | type[pl.DataType]]]
) -> pa.Table:
    """One cfg_* table: its rows with the given columns and types. Made by Polars: pyarrow's own conversion from
    Python values imports pandas (half a second of every command's start) to check for its types."""
    return pl.DataFrame(list(rows), schema=dict(columns)).to_arrow()


def load_config_tables(con: duckdb.DuckDBPyConnection, price_book: PriceBook, routing: Routing) -> None:
    """Replace the cfg_* tables with the given config."""
    for name, table in config_tables(price_book, routing).items():
        _write_config_table(con, name, table)


def _write_config_table(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """One cfg_* table replaced by the given rows (values travel as Arrow data, never as SQL text)."""
    con.register("config_rows", table)
    con.execute(f"create or replace table {name} as select * from config_rows")
    con.unregister("config_rows")
