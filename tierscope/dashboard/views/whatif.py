"""What-if: the current routing map in two editable tables; the traffic in view repriced under the edited map as it is
edited (totals, savings per task type); scenarios saved by name and compared side by side; and any of them exported
as a routing.yaml, a diff against the current one, or a LiteLLM proxy config."""

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, filters, session, tables
from tierscope.dashboard.tables import Column
from tierscope.format import count, money, percent
from tierscope.queries import scenario
from tierscope.queries.api import Scope
from tierscope.queries.config import Routing
from tierscope.queries.scenario import litellm_config, routing_diff, routing_yaml

EDITED = "edited map"
TASKS_KEY, TIERS_KEY = "whatif_task_tiers", "whatif_tier_models"
PROFILING_PAGE = "views/profiling.py"
MONTH = scenario.MONTH
BASIS = f"Per {MONTH}: {scenario.MONTHLY_BASIS}, the same basis as the CLI, the Profiling page and the Overview."
TASK_COLUMNS = {
    "task_type": Column("task type"),
    "requests": Column("requests", "count", "Logical requests (traces)"),
    "move": Column("tier", help="routing.yaml's tier (or its default tier) → the scenario's"),
    "baseline_cost_usd": Column("actual", "money", "As served (traces priced every way)"),
    "current_map_cost_usd": Column("current map", "money", "Under the current routing.yaml"),
    "scenario_cost_usd": Column("scenario", "money", "Under the edited map"),
    "map_savings_usd": Column("savings", "money", "Current map − scenario: what the edits save"),
    "guarded_calls": Column("guarded", "count", "Moved up a tier by the context guard"),
    "expected_escalations": Column("escalations", "number", "Expected escalations: moved down × (1 − pass rate)"),
    "traces_without_evidence": Column("no evidence", "count", "Moved to a cheaper tier with no pass rate there"),
}
TOTAL_COLUMNS = {
    "scenario": Column("scenario"),
    "monthly_current_map_cost_usd": Column("current map / month", "money", BASIS),
    "monthly_scenario_cost_usd": Column("scenario / month", "money", BASIS),
    "monthly_map_savings_usd": Column("savings / month", "money", BASIS),
    "map_savings_pct": Column("savings %", "percent", "Of the current map's cost"),
    "repricing_usd": Column("repricing", "money", "Actual − current map, over the period (not an edit's saving)"),
    "guarded_calls": Column("guarded", "count"),
    "expected_escalations": Column("escalations", "number", "Expected"),
    "traces_without_evidence": Column("no evidence", "count"),
}


def with_moves(by_task: pl.DataFrame) -> pl.DataFrame:
    """The whatif() rows with their tier move in one column ('tier3 → tier2', or 'tier2' when it stays)."""
    return by_task.with_columns(
        pl.when(pl.col("baseline_tier") == pl.col("scenario_tier"))
        .then(pl.col("scenario_tier"))
        .otherwise(pl.concat_str("baseline_tier", pl.lit(" → "), "scenario_tier"))
        .alias("move")
    )


def show_results(by_task: pl.DataFrame, tiers: list[str]) -> None:
    """One scenario against the current map: what its edits save (exactly 0 unedited), apart from the repricing of
    what was served that the current map itself makes; per month on the one basis; its counters; per task type."""
    total = scenario.summarize(by_task).row(0, named=True)
    days = count(total["period_days"], "day with traffic")
    savings, monthly, scenario_cost, repricing = st.columns(4)
    savings.metric(
        "Savings of the edited map",
        money(total["map_savings_usd"]),
        percent(total["map_savings_pct"]) if total["map_savings_usd"] else None,
        help=f"The current map's cost − the edited map's, over the {days} in view. Exactly $0.00 until a ✎ "
        "column is edited.",
        border=True,
    )
    monthly.metric(
        f"Savings per {MONTH}",
        money(total["monthly_map_savings_usd"]),
        help=f"{money(total['monthly_current_map_cost_usd'])} → {money(total['monthly_scenario_cost_usd'])} per "
        f"{MONTH}. {BASIS}",
        border=True,
    )
    scenario_cost.metric(
        "Scenario cost",
        money(total["scenario_cost_usd"]),
        help=f"Under the edited map, against {money(total['current_map_cost_usd'])} under the current map.",
        border=True,
    )
    repricing.metric(
        "Repricing of what was served",
        money(total["repricing_usd"]),
        help=f"Actual cost {money(total['baseline_cost_usd'])} − the current map's "
        f"{money(total['current_map_cost_usd'])}: traces first served outside their task type's tier (a caller "
        "asked for a model) are priced at the tier's first model even when nothing is edited. Not a saving of any "
        "edit.",
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
        help="Traces with an unpriced call or sent to an unpriced model: left out of every cost, never $0.",
        border=True,
    )
    st.caption(
        f"Over the {days} in view: actual {money(total['baseline_cost_usd'])}, current map "
        f"{money(total['current_map_cost_usd'])}, edited map {money(total['scenario_cost_usd'])}. {BASIS}"
    )
    if total["traces_without_evidence"]:
        st.warning(
            f"**{count(total['traces_without_evidence'], 'trace')} without evidence**: they move to a cheaper tier "
            "for which there is no pass rate for their task type (no profiling result there, and none of its "
            "traffic was served there), so no expected escalation cost is added for them and the saving may be "
            "overstated. Load a profiling run to cover them.",
            icon=":material/help:",
        )
        st.page_link(PROFILING_PAGE, label="Load a profiling run", icon=":material/science:")

    st.subheader("Savings per task type")
    st.plotly_chart(charts.savings_by_task(by_task, tiers), theme=None, config=charts.PLOTLY_CONFIG)
    tables.show(with_moves(by_task), TASK_COLUMNS)
    st.caption(
        "A trace the map routes as it was served keeps its actual cost; any other is repriced at the tier's first "
        "model. Savings compare the edited map with the current one, trace group by trace group."
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
    totals = scenario.summarize(compared)
    st.plotly_chart(charts.scenario_comparison(totals), theme=None, config=charts.PLOTLY_CONFIG)
    tables.show(totals, TOTAL_COLUMNS)
    st.caption(BASIS)
    per_task = compared.pivot(on="scenario", index="task_type", values="map_savings_usd", aggregate_function=None)
    tiers_by_task = compared.pivot(on="scenario", index="task_type", values="scenario_tier", aggregate_function=None)
    st.markdown("**Savings per task type**, and the tier each scenario sends it to")
    tables.show(
        per_task.join(tiers_by_task, on="task_type", suffix=" tier"),
        {
            "task_type": Column("task type"),
            **{
                column: Column(f"{name}: tier") if column.endswith(" tier") else Column(f"{name}: savings", "money")
                for name in chosen
                for column in (f"{name} tier", name)
            },
        },
    )


def show_exports(current: Routing, exportable: dict[str, Routing]) -> None:
    """Download buttons for one scenario: routing.yaml, its diff against the current map, a LiteLLM proxy config."""
    if not exportable:
        st.caption("Nothing to export yet: make the edited map valid, or save a scenario.")
        return
    name = st.selectbox("Scenario to export", list(exportable), key="whatif_export") or next(iter(exportable))
    routing = exportable[name]
    stem = scenario.file_stem(name)
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
        scenario.task_tier_table(current, seen),
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
        scenario.tier_model_table(current),
        key=TIERS_KEY,
        hide_index=True,
        disabled=["tier"],
        column_config={
            "tier": st.column_config.TextColumn("tier", width="small"),
            "model": st.column_config.SelectboxColumn(
                "model ✎",
                width=150,
                options=models,
                required=True,
                help="The tier's first model, where its traffic goes (models from the price book). Picking "
                "another replaces it: the calls the old one served are repriced at the new one, unless you add "
                "the old one to the other models.",
            ),
            "other_models": st.column_config.MultiselectColumn(
                "other models in the tier ✎",
                options=models,
                width=280,
                help="A call served by any of them counts as served on this tier; a model belongs to one tier",
            ),
        },
    )
st.caption(
    "Edit the ✎ columns: the results below follow every edit. Edits last while you stay on this page; save a "
    "scenario to keep it."
)

edited = scenario.edited_routing(current, pl.DataFrame(task_tiers), pl.DataFrame(tier_models))
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
            "Nothing is edited yet, so the scenario is the current routing.yaml and saves exactly $0.00. Edit a ✎ "
            "column to price a change.",
            icon=":material/edit:",
        )
    show_results(by_task, tiers)

    st.subheader("Save this scenario")
    saved = session.saved()
    default_name = f"scenario {len(saved) + 1}"
    name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
    name = name_column.text_input("Name", key="whatif_scenario_name", placeholder=default_name).strip()
    if button_column.button("Save scenario", key="whatif_save", icon=":material/bookmark_add:", width="stretch"):
        session.save(name or default_name, edited.routing)
        st.success(f"Saved as **{name or default_name}**.", icon=":material/bookmark_added:")

st.header("Compare saved scenarios")
show_comparison(session.saved(), scope)

st.header("Export")
exportable = ({EDITED: edited.routing} if edited.routing is not None else {}) | session.saved()
show_exports(current, exportable)
