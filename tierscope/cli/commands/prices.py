"""``tierscope prices import-litellm``: merge LiteLLM's price list into the price book, effective from a day."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from tierscope.cli.common import CliError, add_database_options, print_json
from tierscope.cli.render import echo

HELP = "manage the price book"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="prices_command", required=True, metavar="PRICES_COMMAND")
    import_litellm = actions.add_parser(
        "import-litellm", help="merge LiteLLM's model_prices_and_context_window.json into the price book"
    )
    add_database_options(import_litellm)
    import_litellm.add_argument("source", type=Path, metavar="FILE", help="LiteLLM's price JSON")
    import_litellm.add_argument("--models", nargs="+", metavar="MODEL", help="only these models (default: all)")
    import_litellm.add_argument(
        "--effective-from",
        type=dt.date.fromisoformat,
        default=dt.datetime.now(dt.UTC).date(),
        help="first day the imported prices apply (YYYY-MM-DD, default today, UTC)",
    )
    import_litellm.add_argument("--out", type=Path, help="where to write the merged book (default: --prices)")


def run(args: argparse.Namespace) -> int:
    from tierscope.ingest.prices_import import import_litellm
    from tierscope.queries.owner import holder
    from tierscope.settings import settings

    book = settings(prices=args.prices).prices
    out = args.out or book
    held = holder(args.db)
    if held.advert is not None and out.resolve() == Path(held.advert.prices):
        # The owner priced the database with this book when it opened it; it would keep the old prices, and other
        # commands could not read through it (their prices would differ from its).
        raise CliError(
            f"{held.advert.prices} is the price book of {held}, which holds the database: stop it first, or write "
            "the merged book to another file with --out"
        )
    summary = import_litellm(args.source, book, out, args.effective_from, args.models)
    if args.json:
        print_json({"out": str(out), "effective_from": args.effective_from.isoformat(), **summary.as_json()})
        return 0
    echo(
        f"{out}: {len(summary.added)} models added, {len(summary.updated)} updated from "
        f"{args.effective_from.isoformat()}, {len(summary.unchanged)} unchanged"
    )
    for label, names in (("added", summary.added), ("updated", summary.updated)):
        if names:
            echo(f"  {label}: {', '.join(names)}")
    if summary.not_found:
        echo(f"  not in {args.source}: {', '.join(summary.not_found)}")
    return 0
