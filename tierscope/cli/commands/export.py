"""``tierscope export``: a FOCUS 1.2 cost file at daily grain, or the calls table as Parquet partitioned by day."""

from __future__ import annotations

import argparse
from pathlib import Path

from tierscope.cli.common import CliError, add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import echo

HELP = "write FOCUS cost data or the calls table as Parquet"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="export_kind", required=True, metavar="KIND")
    focus = kinds.add_parser("focus", help="a FOCUS 1.2 cost file at daily grain (.csv or .parquet)")
    add_database_options(focus)
    add_scope_options(focus)
    focus.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (.csv or .parquet)")
    parquet = kinds.add_parser("parquet", help="the calls table as Parquet partitioned by day")
    add_database_options(parquet)
    parquet.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new or empty folder")


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import export

    within = scope(args) if args.export_kind == "focus" else None
    con = open_database(args, must_exist=True)
    try:
        if within is not None:
            written = export.write_focus(con, args.out, within)
        else:
            written = export.write_parquet(con, args.out)
    except FileExistsError as error:
        raise CliError(str(error)) from error
    finally:
        con.close()
    if args.json:
        print_json({"path": str(written.path), "rows": written.rows, "files": written.files})
    else:
        files = f" ({written.files} files)" if written.files > 1 else ""
        echo(f"{written.rows:,} rows written to {written.path}{files}")
    return 0
