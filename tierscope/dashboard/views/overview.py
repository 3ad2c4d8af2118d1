"""Overview: where the money goes in the chosen period, who served it, what is drifting, and the largest saving
in sight, each against the previous period of equal length."""

from collections.abc import Callable
from typing import Any, Literal

import streamlit as st

from tierscope.dashboard import cache, charts, filters, live
from tierscope.format import change, count, difference, money, percent, points
from tierscope.queries.api import Scope, previous_period

DeltaColor = Literal["inverse", "off"]
# label, kpis column, how the value reads, how its change reads, delta colour (inverse: up is bad), help
KPIS: list[tuple[str, str, Callable[[Any], str], Callable[[Any, Any], Any], DeltaColor, str]] = [
    ("Spend", "cost_usd", money, change, "inverse", "Priced calls only; unpriced calls are never counted as $0."),
    ("Requests", "requests", count, change, "off", "Logical requests (traces): retries and escalations count once."),
    ("Cost per 1K requests", "cost_per_1k_requests_usd", money, change, "inverse", "Spend per 1,000 requests."),
    (
        "Flagged drifts",
        "flagged_task_types",
        count,
        difference,
        "inverse",
        "Task types drifting: see Escalation drift.",
    ),
    ("Unpriced calls", "unpriced_calls", count, difference, "inverse", "No price in effect: see the Data page."),
]


def spend_shares(of: Scope | None) -> dict[str, float]:
    """Each served tier's share of the priced spend."""
    if of is None:
        return {}
    by_tier = cache.cost_by("tier", of)
    total = by_tier["cost_usd"].sum()
    return {tier: cost / total for tier, cost in by_tier.select("dimension_value", "cost_usd").iter_rows() if cost}


def overview(scope: Scope) -> None:
    """Everything below the title: a live panel (refreshed on an interval in live mode, filters kept)."""
    current = cache.kpis(scope).row(0, named=True)
    filters.stop_if_no_calls(current["calls"], scope)
    before = previous_period(scope)
    previous = cache.kpis(before).row(0, named=True) if before else None
    if previous is None or not previous["calls"]:
        before, previous = None, None
    st.caption(
        filters.describe(scope)
        + (
            f" · changes against {filters.describe_dates(before)}"
            if before
            else " · no calls in the previous period of equal length to compare against"
        )
    )

    for column, (label, key, shown, delta, colour, help_text) in zip(st.columns(len(KPIS)), KPIS, strict=True):
        earlier = previous[key] if previous else None
        column.metric(
            label, shown(current[key]), delta(current[key], earlier), delta_color=colour, help=help_text, border=True
        )

    tiers = cache.tier_order()
    shares, previous_shares = spend_shares(scope), spend_shares(before)
    shown_tiers = [tier for tier in [*tiers, charts.UNTIERED] if tier in shares]
    for column, tier in zip(st.columns(max(len(shown_tiers), 4)), shown_tiers, strict=False):
        column.metric(
            f"Share of spend on {tier}",
            percent(shares[tier]),
            points(shares[tier], previous_shares.get(tier)),
            delta_color="off",
            delta_arrow="off",
            border=True,
        )

    daily = cache.daily_cost(scope)
    chart, opportunity = st.columns([2, 1])
    with chart:
        st.subheader("Daily spend by served tier")
        st.plotly_chart(charts.daily_spend_by_tier(daily, tiers), theme=None, config=charts.PLOTLY_CONFIG)

    with opportunity:
        st.subheader("Largest savings opportunity")
        savings = cache.savings_opportunity(scope)
        with st.container(border=True):
            if savings.is_empty():
                st.write("Every call in this view was served at or below its task type's default tier.")
            else:
                top = savings.row(0, named=True)
                escalated_calls = top["above_default_calls"] - top["requested_above_default_calls"]
                st.metric(
                    f"{top['task_type']}: spend above its default tier ({top['default_tier']})",
                    money(top["above_default_cost_usd"]),
                )
                st.markdown(
                    f"{percent(top['above_default_cost_share'])} of **{top['task_type']}**'s "
                    f"{money(top['cost_usd'])} went to {count(top['above_default_calls'])} calls served above "
                    f"{top['default_tier']}.\n\n"
                    f"- {count(top['requested_above_default_calls'])} of them "
                    f"({money(top['requested_above_default_cost_usd'], missing='$0.00')}) **asked** for a higher tier: "
                    "a routing choice to review.\n"
                    f"- {count(escalated_calls)} escalated or fell back there."
                )
                st.caption(
                    "What moving them would save depends on quality at the default tier: check the task type on "
                    "Escalation drift first."
                )
                st.page_link(
                    "views/whatif.py",
                    label="Price moving it on What-if",
                    help=f"Move {top['task_type']} to another tier on the What-if page and see what it saves",
                    icon=":material/alt_route:",
                )

    st.subheader("Spend by task type")
    st.plotly_chart(charts.spend_by_task(daily, tiers), theme=None, config=charts.PLOTLY_CONFIG)


st.title("Overview")
scope = filters.page_scope()
live.panel(overview)(scope)
