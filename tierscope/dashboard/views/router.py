"""Router audit: a content-based router (LiteLLM's auto-routers) checked against its own claim, per task type x
router tier; the task types it sends to a tier profiling does not pass, with what the routing map would cost; and cost
by router tier (docs/router.md)."""

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, filters, tables
from tierscope.dashboard.tables import Column
from tierscope.format import money, percent

NO_TIER = "(no tier)"

AUDIT_COLUMNS = {
    "task_type": Column("task type"),
    "router_tier": Column("router tier"),
    "calls": Column("calls", "count"),
    "cost_usd": Column("cost", "money"),
    "classifier_cost_usd": Column("of it classifier", "money"),
    "baseline_cost_usd": Column("baseline", "money"),
    "claimed_savings_usd": Column("claimed", "money"),
    "net_savings_usd": Column("net saving", "money"),
    "escalation_rate": Column("escalated", "percent"),
    "router_escalation_rate": Column("router escalated", "percent"),
}
RISK_COLUMNS = {
    "task_type": Column("task type"),
    "router_tier": Column("router tier"),
    "served_tiers": Column("served on"),
    "min_pass_rate": Column("profiling pass rate", "percent"),
    "risk_calls": Column("calls", "count"),
    "risk_cost_usd": Column("cost as routed", "money"),
    "map_tier": Column("map tier"),
    "map_cost_usd": Column("cost on the map tier", "money"),
}
BY_TIER_COLUMNS = {
    "router_tier": Column("router tier"),
    "requests": Column("requests", "count"),
    "calls": Column("calls", "count"),
    "cost_usd": Column("cost", "money"),
    "unpriced_calls": Column("unpriced calls", "count"),
}

st.title("Router audit")
scope = filters.page_scope()
st.caption(filters.describe(scope))
audit = cache.router_audit(scope)
if audit.is_empty():
    st.info(
        "No call in this view carries a content router's decision. LiteLLM's auto-routers log one in "
        "`metadata.routing_decision`; load their logs (`tierscope ingest`, `serve`) to audit them.",
        icon=":material/route:",
    )
    st.stop()

labelled = audit.with_columns(pl.col("router_tier").fill_null(NO_TIER))
tiers = labelled["router_tier"].unique(maintain_order=True).to_list()
chosen = st.multiselect(
    "Router tiers", tiers, default=tiers, key="router_tiers", help="Only the calls the router sent to these tiers."
)
shown = labelled.filter(pl.col("router_tier").is_in(chosen))

floor = cache.routing().profiling.monitor_at
left, middle, right, last = st.columns(4)
left.metric("Routed calls", f"{int(shown['calls'].sum()):,}")
middle.metric("Cost with classifier", money(float(shown["cost_usd"].sum())))
right.metric("Net saving vs baseline", money(float(shown["net_savings_usd"].sum())))
last.metric("Claimed by the router", money(float(shown["claimed_savings_usd"].sum())))
st.caption(
    "Baseline: each call's own tokens (cached and cache-write tokens at their prices) priced by tierscope's price "
    "book at the router's savings baseline model. Net saving = baseline - cost, the classifier's cost included; "
    "claimed: what the router logged (`autorouter_savings`)."
    + (
        f" {int(shown['unpriced_calls'].sum()):,} calls without a price for their model or baseline are left out."
        if shown["unpriced_calls"].sum()
        else ""
    )
)
st.plotly_chart(charts.router_savings(shown), theme=None, config=charts.PLOTLY_CONFIG)

st.subheader("Per task type and router tier")
tables.show(shown, AUDIT_COLUMNS, highlight=shown["is_risk"])

st.subheader("Risk: task types sent to a tier profiling does not pass")
risky = shown.filter(pl.col("is_risk"))
if risky.is_empty():
    st.success(f"The router sends no task type in view to a tier whose profiling pass rate is under {percent(floor)}.")
else:
    tables.show(risky, RISK_COLUMNS)
    as_routed, on_map = float(risky["risk_cost_usd"].sum()), float(risky["map_cost_usd"].fill_null(0).sum())
    st.caption(
        f"What-if: replacing the router's choice by the task-type map for these calls costs {money(on_map)} instead "
        f"of {money(as_routed)} ({money(on_map - as_routed)}), on tiers profiling passes at {percent(floor)} or more."
    )

st.subheader("Cost by router tier")
by_tier = cache.cost_by("router_tier", scope).rename({"dimension_value": "router_tier"})
by_tier = by_tier.with_columns(pl.col("router_tier").fill_null(NO_TIER)).filter(
    pl.col("router_tier").is_in(chosen) | (pl.col("router_tier") == NO_TIER)
)
tables.show(by_tier, BY_TIER_COLUMNS)
st.caption(f"Every call in view; {NO_TIER}: calls without a router decision, such as fallbacks LiteLLM logs.")
