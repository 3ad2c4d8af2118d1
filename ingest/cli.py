"""The ``tierscope`` command line (DESIGN §8). ``--json`` output is a stable contract."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ingest.formats import READERS, UnknownFormatError
from ingest.load import IngestResult, ingest_paths
from queries import api
from queries.config import ConfigError
from queries.db import connect, resolve_db_path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = REPO_ROOT / "sample_logs"
DEMO_FILES = ("requests.jsonl.gz", "requests_export.csv")


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 2."""


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

    demo = commands.add_parser("demo", help="load the sample logs into a demo database and show the report")
    _common(demo)

    ingest = commands.add_parser("ingest", help="load log files (format auto-detected)")
    _common(ingest)
    ingest.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    ingest.add_argument("--format", choices=[reader.name for reader in READERS], help="force a reader")

    report = commands.add_parser("report", help="cost by task type, model, tier, day or team")
    _common(report)
    _scope_options(report)
    report.add_argument("--by", choices=api.DIMENSIONS, default="task_type")

    drift = commands.add_parser("drift", help="task types whose escalation rate drifts above baseline (exit 1)")
    _common(drift)
    _scope_options(drift)
    return parser


def _open(args: argparse.Namespace, *, must_exist: bool) -> duckdb.DuckDBPyConnection:
    path = resolve_db_path(args.db)
    if must_exist and path != ":memory:" and not Path(path).exists():
        raise CliError(f"no database at {path}; load logs first: tierscope ingest PATH --db {path}")
    try:
        return connect(path, args.prices, args.routing)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise CliError(f"{path} is in use by another tierscope process: {error}") from error
        raise


def _print_json(payload: object) -> None:
    print(json.dumps(payload, indent=2, default=str))


def _money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unpriced"
    return f"${value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"${value:.6f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
              for row in rows]
    return "\n".join(lines)


def ingest_summary(results: list[IngestResult]) -> dict[str, Any]:
    totals = {key: sum(getattr(r, key) for r in results) for key in ("rows_read", "loaded", "duplicates", "quarantined")}
    return {**totals, "files": [r.as_json() for r in results]}


def run_ingest(args: argparse.Namespace, paths: Sequence[str | Path]) -> dict[str, Any]:
    con = _open(args, must_exist=False)
    try:
        results = ingest_paths(con, paths, getattr(args, "format", None))
    finally:
        con.close()
    summary = ingest_summary(results)
    if not args.json:
        rows = [[r.source, r.source_format, f"{r.rows_read:,}", f"{r.loaded:,}", f"{r.duplicates:,}",
                 f"{r.quarantined:,}", f"{r.seconds:.1f}s"] for r in results]
        print(_table(["file", "format", "rows_read", "loaded", "duplicates", "quarantined", "time"], rows))
        print(f"total: {summary['rows_read']:,} read = {summary['loaded']:,} loaded + {summary['duplicates']:,} "
              f"duplicates + {summary['quarantined']:,} quarantined  ->  {resolve_db_path(args.db)}")
        problems = [p for r in results for p in r.problems][:10]
        if problems:
            print("\nquarantined (first ones; all are in the quarantine table):")
            for problem in problems:
                print(f"  {problem}")
    return summary


def cmd_ingest(args: argparse.Namespace) -> int:
    summary = run_ingest(args, args.paths)
    if args.json:
        _print_json(summary)
    return 0


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
    table = [[str(row[args.by]), f"{row['requests']:,}", f"{row['calls']:,}", f"{row['input_tokens']:,}",
              f"{row['output_tokens']:,}", _money(row["cost_usd"]), f"{row['unpriced_calls']:,}"] for row in rows]
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
            print(f"  {state:<5} {row['task_type']:<18} window {row['window_start']}  {row['requests']:,} requests  "
                  f"escalation {row['escalation_rate']:.1%} vs baseline {row['baseline_rate']:.1%} "
                  f"(limit {row['limit_rate']:.1%}, {row['baseline_source']})")
    return 1 if flagged else 0


def cmd_demo(args: argparse.Namespace) -> int:
    args.db = args.db or str(REPO_ROOT / "demo.duckdb")
    missing = [name for name in DEMO_FILES if not (SAMPLE_LOGS / name).exists()]
    if missing:
        raise CliError(f"sample logs missing: {', '.join(missing)}; run python sample_logs/generate.py")
    run_ingest(args, [SAMPLE_LOGS / name for name in DEMO_FILES])
    print()
    args.by, args.since, args.until, args.task_types, args.teams, args.providers = ("task_type", None, None, None, None,
                                                                                    None)
    return cmd_report(args)


COMMANDS = {"demo": cmd_demo, "ingest": cmd_ingest, "report": cmd_report, "drift": cmd_drift}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (CliError, ConfigError, UnknownFormatError, FileNotFoundError) as error:
        print(f"tierscope: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
