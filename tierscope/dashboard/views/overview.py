"""Overview: where the money goes in the chosen period, who served it, what is drifting, and the largest saving
in sight, each against the same number of days with data just before the period."""

from collections.abc import Callable
from typing import Any, Literal

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, filters, live
from tierscope.format import change, count, difference, money, percent, points
from tierscope.queries import scenario
from tierscope.queries.api import Comparison, Scope

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


def recommended_saving(scope: Scope) -> dict[str, Any] | None:
    """The task type whose move to the profiling recommendation's tier saves most per month on the traffic in view
    (the What-if simulation of the recommended map), or None without a recommendation that saves anything."""
    recommendation = cache.profiling_recommendation()
    if recommendation.filter(pl.col("recommended_tier") != pl.col("current_tier")).is_empty():
        return None
    recommended = scenario.profiling_maps(cache.routing(), recommendation)["recommended"]
    by_task = cache.whatif({"recommended": recommended}, scope).filter(pl.col("map_savings_usd") > 0)
    if by_task.is_empty():
        return None
    top: dict[str, Any] = by_task.sort("map_savings_usd", descending=True).row(0, named=True)
    top["monthly_map_savings_usd"] = scenario.per_month(top["map_savings_usd"], top["period_days"])
    return top


def savings_card(scope: Scope) -> None:
    """The largest saving in sight: the profiling recommendation's best move when there is one, else the spend
    served above each task type's default tier. The card says which it is."""
    recommended = recommended_saving(scope)
    if recommended is not None:
        st.subheader("Largest savings: profiling recommendation")
        with st.container(border=True):
            st.metric(
                f"{recommended['task_type']}: {recommended['baseline_tier']} → {recommended['scenario_tier']}, "
                f"per {scenario.MONTH}",
                money(recommended["monthly_map_savings_usd"]),
            )
            st.markdown(
                f"Moving **{recommended['task_type']}** to {recommended['scenario_tier']}, as the latest profiling "
                f"run recommends, would have cost {money(recommended['scenario_cost_usd'])} instead of "
                f"{money(recommended['current_map_cost_usd'])} for the {count(recommended['requests'])} requests "
                f"in view, expected escalations ({count(recommended['expected_escalations'])}) included."
            )
            st.caption(f"Per {scenario.MONTH}: {scenario.MONTHLY_BASIS}, as on the What-if and Profiling pages.")
            st.page_link("views/profiling.py", label="The recommendation on Profiling", icon=":material/science:")
        return
    st.subheader("Largest savings: spend above default tiers")
    savings = cache.savings_opportunity(scope)
    with st.container(border=True):
        if savings.is_empty():
            st.write("Every call in this view was served at or below its task type's default tier.")
            return
        top = savings.row(0, named=True)
        escalated_calls = top["above_default_calls"] - top["requested_above_default_calls"]
        st.metric(
            f"{top['task_type']}: spend above its default tier ({top['default_tier']})",
            money(top["above_default_cost_usd"]),
        )
        st.markdown(
            f"{percent(top['above_default_cost_share'])} of **{top['task_type']}**'s "
            f"{money(top['cost_usd'])} went to {count(top['above_default_calls'], 'call')} served above "
            f"{top['default_tier']}.\n\n"
            f"- {count(top['requested_above_default_calls'])} of them "
            f"({money(top['requested_above_default_cost_usd'], missing='$0.00')}) **asked** for a higher tier: "
            "a routing choice to review.\n"
            f"- {count(escalated_calls)} escalated or fell back there."
        )
        st.caption(
            "No profiling recommendation saves anything here, so this is the spend served above default tiers. "
            "What moving it would save depends on quality at the default tier: check Escalation drift first."
        )
        st.page_link(
            "views/whatif.py",
            label="Price moving it on What-if",
            help=f"Move {top['task_type']} to another tier on the What-if page and see what it saves",
            icon=":material/alt_route:",
        )


def spend_shares(of: Scope | None) -> dict[str, float]:
    """Each served tier's share of the priced spend."""
    if of is None:
        return {}
    by_tier = cache.cost_by("tier", of)
    total = by_tier["cost_usd"].sum()
    return {tier: cost / total for tier, cost in by_tier.select("dimension_value", "cost_usd").iter_rows() if cost}


def compared_with(against: Comparison | None) -> str:
    """What the changes under the numbers compare with, in words."""
    if against is None or against.previous is None:
        return "no calls before this period to compare against"
    span = filters.days(against.previous)
    dates = f"{span[0]:%Y-%m-%d} → {span[1]:%Y-%m-%d}" if span else "before"
    if against.is_partial:
        return (
            f"the period before ({dates}) has only {count(against.previous_days_with_data, 'day with data')} "
            f"against {against.days_with_data} here, so no change is shown"
        )
    return f"changes against the {count(against.days_with_data, 'day with data')} before it ({dates})"


def overview(scope: Scope) -> None:
    """Everything below the title: a live panel (refreshed on an interval in live mode, filters kept)."""
    current = cache.kpis(scope).row(0, named=True)
    filters.stop_if_no_calls(current["calls"], scope)
    against = cache.comparison(scope)
    before = against.previous if against is not None and not against.is_partial else None
    previous = cache.kpis(before).row(0, named=True) if before else None
    with_data = f", {count(against.days_with_data, 'day with data')}" if against else ""
    st.caption(f"{filters.describe(scope)}{with_data} · {compared_with(against)}")

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
        savings_card(scope)

    st.subheader("Spend by task type")
    st.plotly_chart(charts.spend_by_task(daily, tiers), theme=None, config=charts.PLOTLY_CONFIG)


st.title("Overview")
scope = filters.page_scope()
live.panel(overview)(scope)
