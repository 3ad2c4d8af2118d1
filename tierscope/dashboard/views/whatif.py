"""What-if: the current routing map in two editable tables; the traffic in view repriced under the edited map as it is
edited (totals, savings per task type); scenarios saved by name and compared side by side; and any of them exported
as a routing.yaml, a diff against the current one, or a LiteLLM proxy config."""

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, filters, scenarios
from tierscope.format import count, money, percent
from tierscope.queries import simulate
from tierscope.queries.api import Scope
from tierscope.queries.config import Routing
from tierscope.queries.scenario import litellm_config, routing_diff, routing_yaml

EDITED = "edited map"
TASKS_KEY, TIERS_KEY = "whatif_task_tiers", "whatif_tier_models"
PROFILING_PAGE = "views/profiling.py"
MONTH = f"{simulate.DAYS_PER_MONTH}-day month"
TASK_COLUMNS = {
    "task_type": st.column_config.TextColumn("task type"),
    "requests": st.column_config.NumberColumn("requests", format="localized", help="Logical requests (traces)"),
    "baseline_tier": st.column_config.TextColumn("current tier", help="routing.yaml's tier (or its default tier)"),
    "scenario_tier": st.column_config.TextColumn("scenario tier"),
    "baseline_cost_usd": st.column_config.NumberColumn("actual", format="dollar", help="As served, priced traces"),
    "scenario_cost_usd": st.column_config.NumberColumn("scenario", format="dollar"),
    "savings_usd": st.column_config.NumberColumn("savings", format="dollar", help="Actual − scenario"),
    "guarded_calls": st.column_config.NumberColumn("guarded", format="localized", width="small"),
    "expected_escalations": st.column_config.NumberColumn("expected escalations", format="%.1f", width="small"),
    "traces_without_evidence": st.column_config.NumberColumn("without evidence", format="localized", width="small"),
    "unpriced_traces": st.column_config.NumberColumn("unpriced", format="localized", width="small"),
}
TOTAL_COLUMNS = {
    "scenario": st.column_config.TextColumn("scenario"),
    "baseline_cost_usd": st.column_config.NumberColumn("actual", format="dollar"),
    "scenario_cost_usd": st.column_config.NumberColumn("scenario", format="dollar"),
    "savings_usd": st.column_config.NumberColumn("savings", format="dollar"),
    "savings_pct": st.column_config.NumberColumn("savings %", format="percent"),
    "monthly_baseline_cost_usd": st.column_config.NumberColumn("actual / month", format="dollar", help=MONTH),
    "monthly_scenario_cost_usd": st.column_config.NumberColumn("scenario / month", format="dollar", help=MONTH),
    "guarded_calls": st.column_config.NumberColumn("guarded", format="localized", width="small"),
    "expected_escalations": st.column_config.NumberColumn("escalations", format="%.1f", help="Expected"),
    "traces_without_evidence": st.column_config.NumberColumn("no evidence", format="localized", width="small"),
}


def show_results(by_task: pl.DataFrame, tiers: list[str]) -> None:
    """Totals of one scenario against the actual cost, what its counters mean, and its savings per task type."""
    total = simulate.summarize(by_task).row(0, named=True)
    monthly_savings = total["monthly_baseline_cost_usd"] - total["monthly_scenario_cost_usd"]
    actual, scenario_cost, savings, per_month = st.columns(4)
    actual.metric(
        "Actual cost",
        money(total["baseline_cost_usd"]),
        help=f"What the traces in view cost as served, over {total['period_days']:.1f} days. Traces with an unpriced "
        "call are left out of both costs.",
        border=True,
    )
    scenario_cost.metric("Scenario cost", money(total["scenario_cost_usd"]), border=True)
    savings.metric(
        "Savings",
        money(total["savings_usd"]),
        percent(total["savings_pct"]) if total["baseline_cost_usd"] else None,
        help="Actual − scenario cost; the change is the share of the actual cost saved.",
        border=True,
    )
    per_month.metric(
        f"Savings per {MONTH}",
        money(monthly_savings),
        help=f"{money(total['monthly_baseline_cost_usd'])} → {money(total['monthly_scenario_cost_usd'])} per "
        f"{MONTH}: the costs normalised over the {total['period_days']:.1f} days the view spans.",
        border=True,
    )
    guarded, escalations, without_evidence, unpriced = st.columns(4)
    guarded.metric(
        "Guarded calls",
        count(total["guarded_calls"]),
        help="Answers whose input exceeds the context guard of the scenario tier's model, sent to the next tier "
        "that fits (or kept as served when none does).",
        border=True,
    )
    escalations.metric(
        "Expected escalations",
        count(total["expected_escalations"]),
        help="Traces moved to a cheaper tier than the one that served them, times the chance each fails there "
        "(1 − pass rate): their retry on the next tier is part of the scenario cost.",
        border=True,
    )
    without_evidence.metric(
        "Traces without evidence",
        count(total["traces_without_evidence"]),
        help="Traces moved to a cheaper tier with no pass rate for their task type there.",
        border=True,
    )
    unpriced.metric(
        "Unpriced traces",
        count(total["unpriced_traces"]),
        help="Traces with an unpriced call or sent to an unpriced model: left out of both costs, never $0.",
        border=True,
    )
    if total["traces_without_evidence"]:
        st.warning(
            f"**{count(total['traces_without_evidence'])} traces without evidence**: they move to a cheaper tier for "
            "which there is no pass rate for their task type (no profiling result there, and none of its traffic "
            "was served there), so no expected escalation cost is added for them and the saving may be overstated. "
            "Load a profiling run to cover them.",
            icon=":material/help:",
        )
        st.page_link(PROFILING_PAGE, label="Load a profiling run", icon=":material/science:")
    else:
        st.caption(
            "Traces without evidence would be traces moved to a cheaper tier with no pass rate there (from a "
            "profiling run or the traffic observed on that tier): their escalation cost could not be estimated. "
            "There are none here."
        )

    st.subheader("Savings per task type")
    st.plotly_chart(charts.savings_by_task(by_task, tiers), theme=None, config=charts.PLOTLY_CONFIG)
    st.dataframe(by_task.select(list(TASK_COLUMNS)), column_config=TASK_COLUMNS, hide_index=True)
    st.caption(
        "A trace the map routes as it was served keeps its actual cost; any other is repriced at the tier's first "
        "model. Traces first served outside their task type's tier (a caller asked for a model) are repriced even "
        "when nothing is edited, so an unedited map can differ from the actual cost by a little."
    )


def show_comparison(saved: dict[str, Routing], scope: Scope) -> None:
    """The saved scenarios the user picks, simulated together: totals side by side and savings per task type."""
    if not saved:
        st.info(
            "Save the edited map above, or the profiling recommendation on the Profiling page, to compare "
            "scenarios side by side.",
            icon=":material/compare_arrows:",
        )
        return
    chosen = st.multiselect("Scenarios to compare", list(saved), default=list(saved))
    if not chosen:
        return
    compared = cache.whatif({name: saved[name] for name in chosen}, scope)
    totals = simulate.summarize(compared)
    st.plotly_chart(charts.scenario_comparison(totals), theme=None, config=charts.PLOTLY_CONFIG)
    st.dataframe(totals.select(list(TOTAL_COLUMNS)), column_config=TOTAL_COLUMNS, hide_index=True)
    per_task = compared.pivot(on="scenario", index="task_type", values="savings_usd", aggregate_function=None)
    tiers_by_task = compared.pivot(on="scenario", index="task_type", values="scenario_tier", aggregate_function=None)
    st.markdown("**Savings per task type**, and the tier each scenario sends it to")
    st.dataframe(
        per_task.join(tiers_by_task, on="task_type", suffix=" tier").select(
            "task_type", *(column for name in chosen for column in (f"{name} tier", name))
        ),
        column_config={
            "task_type": st.column_config.TextColumn("task type"),
            **{f"{name} tier": st.column_config.TextColumn(f"{name}: tier", width="small") for name in chosen},
            **{name: st.column_config.NumberColumn(f"{name}: savings", format="dollar") for name in chosen},
        },
        hide_index=True,
    )


def show_exports(current: Routing, exportable: dict[str, Routing]) -> None:
    """Download buttons for one scenario: routing.yaml, its diff against the current map, a LiteLLM proxy config."""
    if not exportable:
        st.caption("Nothing to export yet: make the edited map valid, or save a scenario.")
        return
    name = st.selectbox("Scenario to export", list(exportable), key="whatif_export") or next(iter(exportable))
    routing = exportable[name]
    stem = scenarios.file_stem(name)
    diff = routing_diff(current, routing, stem)
    as_yaml, as_diff, as_litellm = st.columns(3)
    as_yaml.download_button(
        "routing.yaml",
        routing_yaml(routing),
        file_name=f"routing_{stem}.yaml",
        mime="application/yaml",
        icon=":material/download:",
        on_click="ignore",
        help="Use it with `tierscope whatif --tier-map FILE`, or as the new routing.yaml.",
    )
    as_diff.download_button(
        "Diff against routing.yaml",
        diff,
        file_name=f"routing_{stem}.diff",
        mime="text/x-diff",
        icon=":material/difference:",
        on_click="ignore",
        disabled=not diff,
        help="A unified diff from the current routing.yaml (as tierscope writes it, comments left out).",
    )
    as_litellm.download_button(
        "LiteLLM proxy config",
        litellm_config(routing, cache.price_book_config()),
        file_name=f"litellm_{stem}.yaml",
        mime="application/yaml",
        icon=":material/download:",
        on_click="ignore",
        help="One model alias per tier served by its first model, with fallbacks to the next tier.",
    )
    if diff:
        with st.expander("The diff"):
            st.code(diff, language="diff")
    else:
        st.caption(f"{name} is the current routing map: there is no diff.")


st.title("What-if")
scope = filters.page_scope()
st.caption(filters.describe(scope) + " · the traffic in view, repriced as if the scenario map had routed it")

current = cache.routing()
tiers = cache.tier_order()
seen = cache.filter_values().filter(pl.col("dimension") == "task_type")["value"].to_list()
tiered_models = [model for listed in current.tiers.values() for model in listed]
models = list(dict.fromkeys([*cache.price_book_config().models, *tiered_models]))

st.subheader("Scenario: the current map, edited")
tasks_side, tiers_side = st.columns([5, 6])
with tasks_side:
    task_tiers = st.data_editor(
        scenarios.task_tier_table(current, seen),
        key=TASKS_KEY,
        hide_index=True,
        disabled=["task_type", "is_in_routing", "current_tier"],
        column_config={
            "task_type": st.column_config.TextColumn("task type"),
            "is_in_routing": st.column_config.CheckboxColumn(
                "listed",
                width="small",
                help="In routing.yaml's tasks; unticked: seen in the logs only, so routed to the default tier",
            ),
            "current_tier": st.column_config.TextColumn("current tier", width="small"),
            "tier": st.column_config.SelectboxColumn(
                "scenario tier ✎", options=tiers, required=True, help="Pick the tier this task type goes to"
            ),
        },
    )
with tiers_side:
    tier_models = st.data_editor(
        scenarios.tier_model_table(current),
        key=TIERS_KEY,
        hide_index=True,
        disabled=["tier"],
        column_config={
            "tier": st.column_config.TextColumn("tier", width="small"),
            "model": st.column_config.SelectboxColumn(
                "model ✎",
                options=models,
                required=True,
                help="The tier's first model, where its traffic goes (models from the price book). Picking "
                "another replaces it: the calls the old one served are repriced at the new one, unless you add "
                "the old one to the other models.",
            ),
            "other_models": st.column_config.MultiselectColumn(
                "other models in the tier ✎",
                options=models,
                help="A call served by any of them counts as served on this tier; a model belongs to one tier",
            ),
        },
    )
st.caption(
    "Edit the ✎ columns: the results below follow every edit. Edits last while you stay on this page; save a "
    "scenario to keep it."
)

edited = scenarios.edited_routing(current, pl.DataFrame(task_tiers), pl.DataFrame(tier_models))
if edited.routing is None:
    st.error(
        "**The edited map is not a valid routing map**, so it is not simulated:\n"
        + "".join(f"\n- {problem}" for problem in edited.problems)
        + "\n\nA model can belong to one tier only: take it out of the other tier's list first.",
        icon=":material/error:",
    )
else:
    by_task = cache.whatif({EDITED: edited.routing}, scope)
    filters.stop_if_empty(by_task, scope)
    if edited.routing == current:
        st.info(
            "Nothing is edited yet, so the scenario is the current routing.yaml. Edit a ✎ column to price a change.",
            icon=":material/edit:",
        )
    show_results(by_task, tiers)

    st.subheader("Save this scenario")
    saved = scenarios.saved()
    default_name = f"scenario {len(saved) + 1}"
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name = name_column.text_input("Name", key="whatif_scenario_name", placeholder=default_name).strip()
    if button_column.button("Save scenario", key="whatif_save", icon=":material/bookmark_add:", width="stretch"):
        scenarios.save(name or default_name, edited.routing)
        st.success(f"Saved as **{name or default_name}**.", icon=":material/bookmark_added:")

st.header("Compare saved scenarios")
show_comparison(scenarios.saved(), scope)

st.header("Export")
exportable = ({EDITED: edited.routing} if edited.routing is not None else {}) | scenarios.saved()
show_exports(current, exportable)
