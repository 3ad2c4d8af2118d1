"""``tierscope export``: a FOCUS 1.2 cost file at daily grain, the calls table as Parquet partitioned by day, or a
scenario tier map as a LiteLLM config that routes by itself (docs/router.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tierscope.cli.common import (
    CliError,
    add_database_options,
    add_json_option,
    add_scope_options,
    open_database,
    print_json,
    scope,
)
from tierscope.cli.render import echo

HELP = "write FOCUS cost data, the calls table as Parquet, or a tier map as a LiteLLM config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="export_kind", required=True, metavar="KIND")
    focus = kinds.add_parser("focus", help="a FOCUS 1.2 cost file at daily grain (.csv or .parquet)")
    add_database_options(focus)
    add_scope_options(focus)
    focus.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write (.csv or .parquet)")
    parquet = kinds.add_parser("parquet", help="the calls table as Parquet partitioned by day")
    add_database_options(parquet)
    parquet.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new or empty folder")
    litellm = kinds.add_parser("litellm", help="a tier map as a LiteLLM config routing by task type tags and content")
    litellm.add_argument("--prices", help="price book YAML (default: $TIERSCOPE_PRICES or the shipped prices.yaml)")
    litellm.add_argument("--routing", help="routing YAML (default: $TIERSCOPE_ROUTING or the shipped routing.yaml)")
    litellm.add_argument(
        "--tier-map", type=Path, metavar="FILE", help="a scenario routing YAML (default: the routing file)"
    )
    litellm.add_argument("--out", type=Path, required=True, metavar="FILE", help="the config.yaml to write")
    add_json_option(litellm)


def run(args: argparse.Namespace) -> int:
    from tierscope.queries import export

    if args.export_kind == "litellm":
        return _litellm(args)
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


def _litellm(args: argparse.Namespace) -> int:
    from tierscope.queries.config import load_price_book, load_routing
    from tierscope.queries.scenario import litellm_config

    routing = load_routing(args.tier_map or args.routing)
    text = litellm_config(routing, load_price_book(args.prices))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    if args.json:
        print_json({"path": str(args.out), "tiers": list(routing.tiers)})
    else:
        echo(f"LiteLLM config for {len(routing.tiers)} tiers written to {args.out}")
    return 0
