"""The ``tierscope`` command line (DESIGN §8). ``--json`` output is a stable contract."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from tierscope.ingest.formats import READERS, UnknownFormatError
from tierscope.ingest.load import IngestResult, expand_paths, ingest_paths
from tierscope.ingest.prices_import import import_litellm
from tierscope.ingest.profiling import load_profiling
from tierscope.ingest.serve import (
    DEFAULT_HOST,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT_SECONDS,
    ServeOptions,
    require_token,
    run_receiver,
)
from tierscope.ingest.spool import Spool, lock_holder, spool_dir
from tierscope.ingest.stream import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_INTERVAL_SECONDS,
    DEFAULT_PATTERNS,
    Watcher,
    WatchOptions,
)
from tierscope.queries import api, export, simulate
from tierscope.queries.config import DEFAULT_PRICES, ConfigError, load_routing
from tierscope.queries.db import connect, resolve_db_path
from tierscope.queries.scenario import scenario_yaml

PACKAGE_DIR = Path(__file__).resolve().parent
SAMPLE_LOGS = PACKAGE_DIR / "sample_logs"
DEMO_FILES = (
    "requests.jsonl.gz",
    "requests_export.csv",
    "formats/litellm.jsonl",
    "formats/litellm_spend_logs.csv",
    "formats/otel_genai.jsonl",
    "formats/openai_batch_output.jsonl",
    "formats/anthropic_batch_results.jsonl",
    "formats/langfuse_observations.json",
    "formats/helicone_requests.jsonl",
)


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


class DatabaseBusy(CliError):
    """Another process (a dashboard, ``tierscope watch``, another command) holds the database's write lock."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database file (default: $TIERSCOPE_DB or ./tierscope.duckdb)")
    parser.add_argument("--prices", help="price book YAML (default: $TIERSCOPE_PRICES or config/prices.yaml)")
    parser.add_argument("--routing", help="routing YAML (default: $TIERSCOPE_ROUTING or config/routing.yaml)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def _scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=dt.date.fromisoformat, help="first day included (YYYY-MM-DD, UTC)")
    parser.add_argument("--until", type=dt.date.fromisoformat, help="last day included (YYYY-MM-DD, UTC)")
    parser.add_argument("--task-type", action="append", dest="task_types", help="only this task type (repeatable)")
    parser.add_argument("--team", action="append", dest="teams", help="only this team (repeatable)")
    parser.add_argument("--provider", action="append", dest="providers", help="only this provider (repeatable)")


def _scope(args: argparse.Namespace) -> api.Scope:
    return api.Scope(
        start=args.since,
        end=args.until + dt.timedelta(days=1) if args.until else None,
        task_types=tuple(args.task_types) if args.task_types else None,
        teams=tuple(args.teams) if args.teams else None,
        providers=tuple(args.providers) if args.providers else None,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tierscope",
        description="LLM cost attribution and routing FinOps: per-task cost, tier mix and escalation drift.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="load the sample logs into a demo database and open the dashboard")
    _common(demo)
    demo.add_argument("--no-dashboard", action="store_true", help="only load the samples and print the report")
    demo.add_argument("--port", type=int, help="dashboard port (default 8501, or a free one)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a web browser")

    dashboard = commands.add_parser("dashboard", help="open the dashboard on the database (loopback only)")
    _common(dashboard)
    dashboard.add_argument("--port", type=int, help="port (default 8501, or a free one)")
    dashboard.add_argument("--no-browser", action="store_true", help="do not open a web browser")

    ingest = commands.add_parser("ingest", help="load log files (format auto-detected)")
    _common(ingest)
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    ingest.add_argument("--format", choices=[reader.name for reader in READERS], help="force a reader")
    _spool_option(ingest)

    report = commands.add_parser("report", help="cost by task type, model, tier, day or team")
    _common(report)
    _scope_options(report)
    report.add_argument("--by", choices=api.DIMENSIONS, default="task_type")

    whatif = commands.add_parser("whatif", help="savings of one or more scenario tier maps on the loaded traffic")
    _common(whatif)
    _scope_options(whatif)
    whatif.add_argument(
        "--tier-map",
        action="append",
        required=True,
        type=Path,
        metavar="FILE",
        help="scenario routing YAML (repeatable)",
    )

    rebuild = commands.add_parser(
        "rebuild", help="recompute priced calls, traces and the daily rollups from the stored calls"
    )
    _common(rebuild)

    profile = commands.add_parser("profile", help="profiling results -> pass rates, recommended map, cost projection")
    _common(profile)
    profile.add_argument("path", type=Path, metavar="PATH", help="profiling results (JSONL or CSV)")
    profile.add_argument("--save-scenario", type=Path, metavar="FILE", help="write the recommended map as routing YAML")

    drift = commands.add_parser("drift", help="task types whose escalation rate drifts above baseline (exit 1)")
    _common(drift)
    _scope_options(drift)

    reconcile = commands.add_parser("reconcile", help="calls whose reported cost differs from the price book's")
    _common(reconcile)
    _scope_options(reconcile)
    reconcile.add_argument("--tolerance", type=float, default=0.01, help="relative difference allowed (default 0.01)")
    reconcile.add_argument("--limit", type=int, default=20, help="calls listed in the text output (default 20)")

    prices = commands.add_parser("prices", help="manage the price book")
    price_commands = prices.add_subparsers(dest="prices_command", required=True, metavar="PRICES_COMMAND")
    import_litellm_parser = price_commands.add_parser(
        "import-litellm", help="merge LiteLLM's model_prices_and_context_window.json into the price book"
    )
    _common(import_litellm_parser)
    import_litellm_parser.add_argument("source", type=Path, metavar="FILE", help="LiteLLM's price JSON")
    import_litellm_parser.add_argument("--models", nargs="+", metavar="MODEL", help="only these models (default: all)")
    import_litellm_parser.add_argument(
        "--effective-from",
        type=dt.date.fromisoformat,
        default=dt.datetime.now(dt.UTC).date(),
        help="first day the imported prices apply (YYYY-MM-DD, default today, UTC)",
    )
    import_litellm_parser.add_argument("--out", type=Path, help="where to write the merged book (default: --prices)")

    exports = commands.add_parser("export", help="write FOCUS cost data or the canonical table as Parquet")
    export_kinds = exports.add_subparsers(dest="export_kind", required=True, metavar="KIND")
    focus = export_kinds.add_parser("focus", help="a FOCUS 1.2 cost file at daily grain (.csv or .parquet)")
    _common(focus)
    _scope_options(focus)
    focus.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (.csv or .parquet)")
    parquet = export_kinds.add_parser("parquet", help="the calls table as Parquet partitioned by day")
    _common(parquet)
    parquet.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new or empty folder")

    watch = commands.add_parser("watch", help="follow growing JSONL files in a folder (and drain the spool)")
    _common(watch)
    _spool_option(watch)
    watch.add_argument("folder", type=Path, metavar="DIR", help="the folder to follow")
    watch.add_argument(
        "--pattern",
        action="append",
        dest="patterns",
        metavar="GLOB",
        help=f"file names to follow (repeatable; default {' '.join(DEFAULT_PATTERNS)}; .gz files never)",
    )
    watch.add_argument("--format", choices=[reader.name for reader in READERS], help="force a reader")
    watch.add_argument(
        "--batch-bytes",
        type=int,
        default=DEFAULT_BATCH_BYTES,
        metavar="N",
        help=f"largest micro-batch read from one file (default {DEFAULT_BATCH_BYTES:,})",
    )
    watch.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"how often to look for new lines when caught up (default {DEFAULT_INTERVAL_SECONDS:g})",
    )
    watch.add_argument("--once", action="store_true", help="take what is there, then exit")

    serve = commands.add_parser("serve", help="HTTP receiver (LiteLLM generic API logger, OTLP/HTTP JSON) -> spool")
    serve.add_argument("--db", help="database file whose spool receives the data (default: $TIERSCOPE_DB)")
    serve.add_argument("--json", action="store_true", help="print the listening address as JSON")
    _spool_option(serve)
    serve.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks one)")
    serve.add_argument("--token", help="bearer token clients must send (default $TIERSCOPE_TOKEN; needed off loopback)")
    serve.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="N",
        help=f"largest request body, also after decompression (default {DEFAULT_MAX_BODY_BYTES:,}; 413 beyond)",
    )
    serve.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help=f"time a client has to send a request (default {DEFAULT_TIMEOUT_SECONDS:g})",
    )
    return parser


def _spool_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spool", metavar="DIR", help="spool folder (default: $TIERSCOPE_SPOOL or <db file>.spool)")


def _open(args: argparse.Namespace, *, must_exist: bool, rebuild: bool = False) -> duckdb.DuckDBPyConnection:
    path = resolve_db_path(args.db)
    if must_exist and path != ":memory:" and not Path(path).exists():
        raise CliError(f"no database at {path}; load logs first: tierscope ingest PATH --db {path}")
    try:
        return connect(path, args.prices, args.routing, rebuild=rebuild)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise DatabaseBusy(f"{path} is in use by another tierscope process: {error}") from error
        raise


def _print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, default=str))


def _money(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "unpriced"
    sign = "-" if value < 0 else ""
    amount = abs(value)
    return f"{sign}${amount:,.2f}" if amount >= 0.01 or amount == 0 else f"{sign}${amount:.6f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table: the first column left-aligned, the others (numbers) right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(cell).ljust(width) if index == 0 else str(cell).rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(headers), "  ".join("-" * width for width in widths), *(line(row) for row in rows)])


def ingest_summary(results: list[IngestResult]) -> dict[str, Any]:
    totals = {
        key: sum(getattr(r, key) for r in results) for key in ("rows_read", "loaded", "duplicates", "quarantined")
    }
    return {**totals, "files": [r.as_json() for r in results]}


def run_ingest(args: argparse.Namespace, paths: Sequence[str | Path]) -> dict[str, Any]:
    """Load the files; a file that failed or was skipped gets one line on stderr (the others load all the same)."""
    con = _open(args, must_exist=False)
    try:
        results = ingest_paths(con, paths, getattr(args, "format", None))
    finally:
        con.close()
    summary = ingest_summary(results)
    if not args.json:
        rows = [
            [
                r.source,
                r.source_format if r.status == "loaded" else r.status,
                f"{r.rows_read:,}",
                f"{r.loaded:,}",
                f"{r.duplicates:,}",
                f"{r.quarantined:,}",
                f"{r.seconds:.1f}s",
            ]
            for r in results
        ]
        print(_table(["file", "format", "rows_read", "loaded", "duplicates", "quarantined", "time"], rows))
        print(
            f"total: {summary['rows_read']:,} read = {summary['loaded']:,} loaded + {summary['duplicates']:,} "
            f"duplicates + {summary['quarantined']:,} quarantined  ->  {resolve_db_path(args.db)}"
        )
        problems = [p for r in results for p in r.problems][:10]
        if problems:
            print("\nquarantined (first ones; all are in the quarantine table):")
            for problem in problems:
                print(f"  {problem}")
    for result in results:
        if result.status != "loaded":
            print(f"tierscope: {result.status} {result.source}: {result.error}", file=sys.stderr)
    return summary


def cmd_ingest(args: argparse.Namespace) -> int:
    """Exit 2 when any file failed (after loading every other one)."""
    try:
        summary = run_ingest(args, args.paths)
    except DatabaseBusy as busy:
        summary = _hand_to_spool(args, busy)
    if args.json:
        _print_json(summary)
    return 2 if any(entry.get("status") == "failed" for entry in summary["files"]) else 0


def _hand_to_spool(args: argparse.Namespace, busy: DatabaseBusy) -> dict[str, Any]:
    """DESIGN §7: the database is held (by a running dashboard, say), so its owner loads the files from the spool."""
    files = expand_paths(args.paths)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise CliError(f"{', '.join(missing)}: no such file")
    spool = Spool(spool_dir(args.db, args.spool))
    spooled = [str(spool.hand_over(path, args.format)) for path in files]
    if not args.json:
        print(
            f"{resolve_db_path(args.db)} is in use ({lock_holder(busy.__cause__ or busy)}): handed {len(spooled)} "
            f"file{'s' if len(spooled) != 1 else ''} to the spool {spool.folder}.\nA running dashboard or "
            "`tierscope watch` on this database loads them within seconds (see its Data page or output)."
        )
    return {"rows_read": 0, "loaded": 0, "duplicates": 0, "quarantined": 0, "files": [], "spooled": spooled}


def cmd_watch(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise CliError(f"{args.folder}: not a folder")
    if args.batch_bytes < 1 or args.interval <= 0:
        raise CliError("--batch-bytes and --interval must be positive")
    db_path = resolve_db_path(args.db)
    options = WatchOptions(
        folder=args.folder.resolve(),
        db_path=db_path,
        prices=args.prices,
        routing=args.routing,
        spool=spool_dir(db_path, args.spool),
        patterns=tuple(args.patterns or DEFAULT_PATTERNS),
        source_format=args.format,
        batch_bytes=args.batch_bytes,
        interval=args.interval,
    )

    def report(event: dict[str, Any]) -> None:
        print(json.dumps(event, default=str) if args.json else event["message"], flush=True)

    stop = _stop_on_signals()
    Watcher(options, report).run(stop, once=args.once)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("TIERSCOPE_TOKEN") or None
    try:
        require_token(args.host, token)
    except ValueError as error:
        raise CliError(str(error)) from error
    if args.max_body_bytes < 1 or args.timeout <= 0:
        raise CliError("--max-body-bytes and --timeout must be positive")
    spool = Spool(spool_dir(args.db, args.spool))
    spool.ensure()
    options = ServeOptions(args.host, args.port, spool, token, args.max_body_bytes, args.timeout)

    def announce(url: str) -> None:
        if args.json:
            print(json.dumps({"url": url, "spool": str(spool.folder)}), flush=True)
        else:
            print(
                f"tierscope serve on {url} (POST /litellm, POST /v1/traces, GET /health); spooling to "
                f"{spool.folder}; a dashboard or `tierscope watch` on the database loads it",
                flush=True,
            )

    try:
        run_receiver(options, announce, _stop_on_signals())
    except OSError as error:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error}") from error
    return 0


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or Ctrl+C, so a long-running command finishes its current step and exits."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _report_rows(frame: pl.DataFrame, by: str) -> list[dict[str, Any]]:
    keys = ["requests", "calls", "input_tokens", "output_tokens", "cost_usd", "unpriced_calls"]
    return [{by: row["dimension_value"], **{key: row[key] for key in keys}} for row in frame.iter_rows(named=True)]


def cmd_report(args: argparse.Namespace) -> int:
    con = _open(args, must_exist=True)
    try:
        frame = api.cost_by(con, args.by, _scope(args))
    finally:
        con.close()
    rows = _report_rows(frame, args.by)
    total = sum(row["cost_usd"] or 0.0 for row in rows)
    if args.json:
        _print_json({"rows": rows, "total_cost_usd": total})
        return 0
    if not rows:
        print("no calls in this scope")
        return 0
    table = [
        [
            str(row[args.by]),
            f"{row['requests']:,}",
            f"{row['calls']:,}",
            f"{row['input_tokens']:,}",
            f"{row['output_tokens']:,}",
            _money(row["cost_usd"]),
            f"{row['unpriced_calls']:,}",
        ]
        for row in rows
    ]
    print(_table([args.by, "requests", "calls", "input_tokens", "output_tokens", "cost", "unpriced_calls"], table))
    unpriced = sum(row["unpriced_calls"] for row in rows)
    note = f"  ({unpriced:,} unpriced calls not included: see the data page)" if unpriced else ""
    print(f"total: {_money(total)}{note}")
    return 0


def cmd_drift(args: argparse.Namespace) -> int:
    con = _open(args, must_exist=True)
    try:
        frame = api.drift_flags(con, _scope(args))
    finally:
        con.close()
    keys = ["task_type", "window_start", "requests", "escalation_rate", "baseline_rate", "limit_rate"]
    flagged = [{key: row[key] for key in keys} for row in frame.filter(pl.col("is_flagged")).iter_rows(named=True)]
    if args.json:
        _print_json({"flagged": flagged, "checked": frame.height})
    else:
        print(f"checked {frame.height} task types (latest window with enough traffic each)")
        for row in frame.iter_rows(named=True):
            state = "DRIFT" if row["is_flagged"] else "ok"
            print(
                f"  {state:<5} {row['task_type']:<18} window {row['window_start']}  {row['requests']:,} requests  "
                f"escalation {row['escalation_rate']:.1%} vs baseline {row['baseline_rate']:.1%} "
                f"(limit {row['limit_rate']:.1%}, {row['baseline_source']})"
            )
    return 1 if flagged else 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Rebuild the derived tables now (opening a database does it by itself when prices.yaml, routing.yaml or the
    derivation SQL changed; this is the explicit, timed form)."""
    started = time.perf_counter()
    con = _open(args, must_exist=True, rebuild=True)
    try:
        [counts] = con.execute(
            "select (select count(*) from priced_calls), (select count(*) from traces), "
            "(select count(*) from call_rollup), (select count(*) from trace_rollup)"
        ).fetchall()
    finally:
        con.close()
    keys = ("calls", "traces", "call_rollup_rows", "trace_rollup_rows")
    summary: dict[str, Any] = dict(zip(keys, (int(value) for value in counts), strict=True))
    summary["seconds"] = round(time.perf_counter() - started, 3)
    if args.json:
        _print_json(summary)
    else:
        print(
            f"rebuilt {summary['calls']:,} priced calls, {summary['traces']:,} traces and the daily rollups "
            f"({summary['call_rollup_rows']:,} + {summary['trace_rollup_rows']:,} rows) in {summary['seconds']} s"
        )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    args.db = args.db or "demo.duckdb"
    missing = [name for name in DEMO_FILES if not (SAMPLE_LOGS / name).exists()]
    if missing:
        raise CliError(f"sample logs missing: {', '.join(missing)}; run python -m tierscope.sample_logs.generate")
    run_ingest(args, [SAMPLE_LOGS / name for name in DEMO_FILES])
    con = _open(args, must_exist=True)
    try:
        load_profiling(con, SAMPLE_LOGS / "profiling_results.jsonl")
    finally:
        con.close()
    print()
    args.by, args.since, args.until, args.task_types, args.teams, args.providers = (
        "task_type",
        None,
        None,
        None,
        None,
        None,
    )
    cmd_report(args)
    if args.no_dashboard:
        return 0
    print()
    return cmd_dashboard(args)


def cmd_dashboard(args: argparse.Namespace) -> int:
    from tierscope.dashboard import launch  # the CLI's other commands never import the dashboard's stack

    path = resolve_db_path(args.db)
    if not Path(path).exists():
        raise CliError(f"no database at {path}; load logs first: tierscope ingest PATH --db {path}")
    return launch.run(path, args.port, args.prices, args.routing, open_browser=not args.no_browser)


def _scenario_names(paths: Sequence[Path]) -> list[str]:
    """Scenario names from file stems, made unique (a/cheap.yaml and b/cheap.yaml -> cheap, cheap-2)."""
    names: list[str] = []
    for path in paths:
        name, suffix = path.stem, 2
        while name in names:
            name, suffix = f"{path.stem}-{suffix}", suffix + 1
        names.append(name)
    return names


def cmd_whatif(args: argparse.Namespace) -> int:
    scenarios = {
        name: load_routing(path) for name, path in zip(_scenario_names(args.tier_map), args.tier_map, strict=True)
    }
    con = _open(args, must_exist=True)
    try:
        by_task = simulate.whatif(con, scenarios, _scope(args))
    finally:
        con.close()
    totals = simulate.summarize(by_task)
    task_keys = [
        "task_type",
        "requests",
        "baseline_tier",
        "scenario_tier",
        "baseline_cost_usd",
        "scenario_cost_usd",
        "savings_usd",
        "guarded_calls",
        "expected_escalations",
        "traces_without_evidence",
    ]
    total_keys = [
        "baseline_cost_usd",
        "scenario_cost_usd",
        "savings_usd",
        "savings_pct",
        "monthly_baseline_cost_usd",
        "monthly_scenario_cost_usd",
        "guarded_calls",
        "expected_escalations",
        "traces_without_evidence",
        "unpriced_traces",
        "period_days",
    ]
    payload = [
        {
            "name": total["scenario"],
            **{key: total[key] for key in total_keys},
            "by_task": [
                {key: row[key] for key in task_keys}
                for row in by_task.filter(pl.col("scenario") == total["scenario"]).iter_rows(named=True)
            ],
        }
        for total in totals.iter_rows(named=True)
    ]
    if args.json:
        _print_json({"scenarios": payload})
        return 0
    for scenario in payload:
        print(
            f"scenario {scenario['name']}: {_money(scenario['baseline_cost_usd'])} -> "
            f"{_money(scenario['scenario_cost_usd'])} over {scenario['period_days']:.1f} days, saving "
            f"{_money(scenario['savings_usd'])} ({(scenario['savings_pct'] or 0):.1%}); per 30-day month "
            f"{_money(scenario['monthly_baseline_cost_usd'])} -> {_money(scenario['monthly_scenario_cost_usd'])}"
        )
        print(
            f"  {scenario['guarded_calls']:,} calls moved up by the context guard; "
            f"{scenario['expected_escalations']:,.0f} expected escalations"
            + (
                f"; {scenario['traces_without_evidence']:,} traces had no pass-rate evidence"
                if scenario["traces_without_evidence"]
                else ""
            )
        )
        rows = [
            [
                row["task_type"],
                f"{row['requests']:,}",
                row["baseline_tier"],
                row["scenario_tier"],
                _money(row["baseline_cost_usd"]),
                _money(row["scenario_cost_usd"]),
                _money(row["savings_usd"]),
                f"{row['guarded_calls']:,}",
                f"{row['expected_escalations']:,.0f}",
            ]
            for row in scenario["by_task"]
        ]
        print(
            _table(
                [
                    "task_type",
                    "requests",
                    "baseline_tier",
                    "scenario_tier",
                    "baseline",
                    "scenario",
                    "savings",
                    "guarded",
                    "escalations",
                ],
                rows,
            )
        )
        print()
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    con = _open(args, must_exist=False)
    try:
        loaded = load_profiling(con, args.path)
        pass_rates = api.profiling_pass_rates(con)
        recommendation = api.profiling_recommendation(con)
        projection = api.cost_projection(con)
    finally:
        con.close()
    if args.save_scenario:
        routing = load_routing(args.routing)
        recommended = dict(recommendation.select("task_type", "recommended_tier").rows())
        args.save_scenario.write_text(scenario_yaml(routing, recommended))
    monthly = projection.group_by("map_name").agg(pl.col("monthly_cost_usd").sum())
    monthly_by_map = dict(monthly.rows())
    if args.json:
        _print_json(
            {
                "run_id": loaded.run_id,
                "rows_read": loaded.rows_read,
                "loaded": loaded.loaded,
                "quarantined": loaded.quarantined,
                "pass_rates": pass_rates.drop("tier_rank").to_dicts(),
                "recommendation": recommendation.to_dicts(),
                "projection": projection.to_dicts(),
                "monthly_cost_usd": monthly_by_map,
            }
        )
        return 0
    state = "new run" if loaded.is_new_run else "already loaded, same run"
    print(
        f"profiling run {loaded.run_id} ({state}): {loaded.rows_read:,} results read, {loaded.loaded:,} used, "
        f"{loaded.quarantined:,} quarantined"
    )
    rows = [
        [
            row["task_type"],
            row["tier"],
            f"{row['pass_rate']:.1%}",
            f"{row['pass_rate_low']:.1%}-{row['pass_rate_high']:.1%}",
            f"{row['prompts']:,}",
        ]
        for row in pass_rates.iter_rows(named=True)
    ]
    print(_table(["task_type", "tier", "pass_rate", "95% interval", "n"], rows))
    print()
    rows = [
        [row["task_type"], row["current_tier"], row["recommended_tier"], row["decision"], row["reason"]]
        for row in recommendation.iter_rows(named=True)
    ]
    print(_table(["task_type", "current", "recommended", "decision", "evidence"], rows))
    print()
    print(
        "monthly cost projection (30 days): "
        + ", ".join(
            f"{name.replace('_', ' ')} {_money(monthly_by_map.get(name))}"
            for name in ("all_frontier", "current", "recommended")
        )
    )
    if args.save_scenario:
        print(f"recommended map written to {args.save_scenario} (use it with tierscope whatif --tier-map)")
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    con = _open(args, must_exist=True)
    try:
        frame = api.cost_reconciliation(con, _scope(args), tolerance=args.tolerance)
    finally:
        con.close()
    keys = [
        "request_id",
        "started_at",
        "task_type",
        "served_model",
        "priced_model",
        "price_variant",
        "reported_cost_usd",
        "computed_cost_usd",
        "difference_usd",
        "relative_difference",
    ]
    calls = [{key: row[key] for key in keys} for row in frame.iter_rows(named=True)]
    if args.json:
        _print_json({"tolerance": args.tolerance, "disagreeing_calls": len(calls), "calls": calls})
        return 0
    print(f"{len(calls):,} calls whose reported cost differs from the price book's by more than {args.tolerance:.1%}")
    rows = [
        [
            str(call["request_id"]),
            str(call["served_model"] or call["priced_model"]),
            call["price_variant"],
            _money(call["reported_cost_usd"]),
            _money(call["computed_cost_usd"]),
            f"{call['relative_difference']:+.1%}" if call["relative_difference"] is not None else "n/a",
        ]
        for call in calls[: args.limit]
    ]
    if rows:
        print(_table(["request_id", "model", "variant", "reported", "price book", "difference"], rows))
    if len(calls) > args.limit:
        print(f"... and {len(calls) - args.limit:,} more (--limit, or --json for all)")
    return 0


def cmd_prices(args: argparse.Namespace) -> int:
    book = Path(args.prices or os.environ.get("TIERSCOPE_PRICES") or DEFAULT_PRICES)
    out = args.out or book
    summary = import_litellm(args.source, book, out, args.effective_from, args.models)
    if args.json:
        _print_json({"out": str(out), "effective_from": args.effective_from.isoformat(), **summary.as_json()})
        return 0
    print(
        f"{out}: {len(summary.added)} models added, {len(summary.updated)} updated from "
        f"{args.effective_from.isoformat()}, {len(summary.unchanged)} unchanged"
    )
    for label, names in (("added", summary.added), ("updated", summary.updated)):
        if names:
            print(f"  {label}: {', '.join(names)}")
    if summary.not_found:
        print(f"  not in {args.source}: {', '.join(summary.not_found)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    con = _open(args, must_exist=True)
    try:
        if args.export_kind == "focus":
            written = export.write_focus(con, args.out, _scope(args))
        else:
            written = export.write_parquet(con, args.out)
    except FileExistsError as error:
        raise CliError(str(error)) from error
    finally:
        con.close()
    if args.json:
        _print_json({"path": str(written.path), "rows": written.rows, "files": written.files})
    else:
        files = f" ({written.files} files)" if written.files > 1 else ""
        print(f"{written.rows:,} rows written to {written.path}{files}")
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "dashboard": cmd_dashboard,
    "ingest": cmd_ingest,
    "report": cmd_report,
    "drift": cmd_drift,
    "whatif": cmd_whatif,
    "profile": cmd_profile,
    "rebuild": cmd_rebuild,
    "reconcile": cmd_reconcile,
    "prices": cmd_prices,
    "export": cmd_export,
    "watch": cmd_watch,
    "serve": cmd_serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:  # a console script piped into `head` ends quietly, as Unix tools do
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (CliError, ConfigError, UnknownFormatError, FileNotFoundError) as error:
        print(f"tierscope: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
