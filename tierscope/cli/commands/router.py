"""``tierscope router``: audit a content-based router (LiteLLM's auto-routers) against its own claim.

Over the calls that carry a router decision, per task type x router tier: what they cost (with the classifier's own
cost added to the request it routed), what their own tokens would have cost at the router's savings baseline model
(tierscope's price book), the saving the router claimed, and the net saving (baseline - cost). Task types the router
sends to a tier whose profiling pass rate is under the monitor floor are listed as risk, with what the routing map
would have cost for those calls. See docs/router.md.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tierscope.cli.common import add_database_options, add_scope_options, open_database, print_json, scope
from tierscope.cli.render import Column, echo, print_table
from tierscope.format import count, money, percent

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from tierscope.queries.api import Scope

HELP = "audit a content-based router's routing and claimed savings"
# the --json contract (docs/cli-guide.md): per row and in the totals
KEYS = ("calls", "cost_usd", "baseline_cost_usd", "claimed_savings_usd", "net_savings_usd")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_database_options(parser)
    add_scope_options(parser)


def audit(con: duckdb.DuckDBPyConnection, within: Scope) -> pl.DataFrame:
    from tierscope.queries import api

    return api.router_audit(con, within)


def audit_json(frame: pl.DataFrame) -> dict[str, Any]:
    """The contract: rows keyed task_type and router_tier with :data:`KEYS`, and their totals."""
    rows = [
        {"task_type": row["task_type"], "router_tier": row["router_tier"], **{key: row[key] for key in KEYS}}
        for row in frame.iter_rows(named=True)
    ]
    totals = {key: sum(row[key] for row in rows) for key in KEYS}
    return {"rows": rows, "totals": totals}


def print_audit(frame: pl.DataFrame) -> None:
    if frame.is_empty():
        echo("no calls with a router decision in this scope")
        return
    columns = [
        Column("task_type"),
        Column("router_tier"),
        Column("served_tiers", "served"),
        Column("calls", kind="count"),
        Column("cost_usd", "cost", kind="money"),
        Column("classifier_cost_usd", "classifier", kind="money"),
        Column("baseline_cost_usd", "baseline", kind="money"),
        Column("claimed_savings_usd", "claimed", kind="money"),
        Column("net_savings_usd", "net", kind="money"),
        Column("escalation_rate", "escalation", kind="percent"),
        Column("router_escalation_rate", "router_escalated", kind="percent"),
        Column("min_pass_rate", "pass_rate", kind="percent"),
    ]
    rows = list(frame.iter_rows(named=True))
    print_table(rows, columns)
    totals = audit_json(frame)["totals"]
    classifier = float(frame["classifier_cost_usd"].sum())
    echo(
        f"total: {totals['calls']:,} routed calls cost {money(totals['cost_usd'])} (classifier {money(classifier)}); "
        f"baseline {money(totals['baseline_cost_usd'])}: net saving {money(totals['net_savings_usd'])}, "
        f"claimed {money(totals['claimed_savings_usd'])}"
    )
    unpriced = int(frame["unpriced_calls"].sum())
    if unpriced:
        echo(f"  {unpriced:,} calls whose model or baseline model has no price are left out of cost and baseline")
    for row in rows:
        if row["is_risk"]:
            echo(
                f"  RISK {row['task_type']} -> {row['router_tier'] or '(no tier)'}: served on {row['served_tiers']}, "
                f"profiling pass rate {percent(row['min_pass_rate'])} under the floor; "
                f"{count(row['risk_calls'], 'call')} cost {money(row['risk_cost_usd'])} as routed, "
                f"{money(row['map_cost_usd'])} on the map's {row['map_tier']}"
            )


def run(args: argparse.Namespace) -> int:
    within = scope(args)
    con = open_database(args, must_exist=True)
    try:
        frame = audit(con, within)
    finally:
        con.close()
    if args.json:
        print_json(audit_json(frame))
    else:
        print_audit(frame)
    return 0
