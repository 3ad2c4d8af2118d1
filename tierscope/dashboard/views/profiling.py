"""Profiling: load a profiling run (sample prompts of each task type run on every tier and graded), then its pass
rates with their 95% intervals, the recommended tier per task type and why, the monthly cost under the all-top-tier,
current and recommended maps, and the recommended map saved as a What-if scenario in one click."""

import duckdb
import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, scenarios
from tierscope.dashboard.uploads import PROFILING_TYPES, load_profiling_upload
from tierscope.format import change, money
from tierscope.queries.scenario import with_task_tiers

LOADED_KEY = "_tierscope_profiling_load"
WHATIF_PAGE = "views/whatif.py"
RATE_COLUMNS = {
    "task_type": st.column_config.TextColumn("task type"),
    "tier": st.column_config.TextColumn("tier", width="small"),
    "pass_rate": st.column_config.NumberColumn("pass rate", format="percent"),
    "pass_rate_low": st.column_config.NumberColumn("95% low", format="percent", help="Wilson score interval"),
    "pass_rate_high": st.column_config.NumberColumn("95% high", format="percent", help="Wilson score interval"),
    "prompts": st.column_config.NumberColumn("n", format="localized", help="Prompts graded on this tier"),
    "avg_output_tokens": st.column_config.NumberColumn("mean output tokens", format="%.0f"),
    "avg_latency_ms": st.column_config.NumberColumn("mean latency (ms)", format="%.0f"),
}
RECOMMENDATION_COLUMNS = {
    "task_type": st.column_config.TextColumn("task type"),
    "current_tier": st.column_config.TextColumn("current", width="small"),
    "recommended_tier": st.column_config.TextColumn("recommended"),
    "decision": st.column_config.TextColumn("decision"),
    "reason": st.column_config.TextColumn(
        "reason", width="large", help="Each tier's evidence, cheapest first, up to the recommended one"
    ),
    "pass_rate": st.column_config.NumberColumn("pass rate", format="percent", help="On the recommended tier"),
    "pass_rate_low": st.column_config.NumberColumn("95% low", format="percent", width="small"),
    "pass_rate_high": st.column_config.NumberColumn("95% high", format="percent", width="small"),
    "prompts": st.column_config.NumberColumn("n", format="localized", width="small"),
    "blast_radius": st.column_config.TextColumn("blast radius", width="small"),
    "quality_gate": st.column_config.TextColumn("quality gate"),
}
# mart_cost_projection's map names as short column labels
MAP_LABELS = {"all_frontier": "all top tier", "current": "current", "recommended": "recommended"}


def rule_in_words(route_at: float, monitor_at: float) -> str:
    """routing.yaml's profiling rule as a sentence."""
    return (
        f"Each task type goes to the cheapest tier whose pass rate is at least {route_at:.0%} (**route**); at "
        f"{monitor_at:.0%} to {route_at:.0%} it goes there with quality monitoring (**route with monitoring**); "
        "below that the next tier up is tried, and when no tier qualifies the top profiled tier is kept. A task "
        "type with a high blast radius stays off the first tier unless it declares a quality gate."
    )


st.title("Profiling")
st.caption(
    "A profiling run: sample prompts of each task type run on every tier and graded. The latest run is shown here "
    "and gives the What-if page its pass rates; the sidebar filters do not apply to it."
)
database = cache.database()
pass_rates = cache.profiling_pass_rates()

limit_mb = int(st.get_option("server.maxUploadSize"))
with st.expander("Load a profiling results file", expanded=pass_rates.is_empty(), icon=":material/upload_file:"):
    with st.form("profiling_upload", clear_on_submit=True, border=False):
        uploaded = st.file_uploader(
            f"Profiling results: JSONL, JSON or CSV, optionally gzipped. Up to {limit_mb} MB.",
            type=list(PROFILING_TYPES),
        )
        submitted = st.form_submit_button("Load profiling run", type="primary", icon=":material/upload:")
    st.caption(
        "One row per prompt x tier: `prompt_id`, `task_type`, `tier` (or `model`), `passed`, `input_tokens`, "
        "`output_tokens`, `latency_ms`, optional `score`. Loading the same file again reuses its run. From a "
        f"terminal, with this dashboard stopped: `tierscope profile PATH --db {database.path}`"
    )
if submitted and uploaded is not None:
    try:
        loaded = load_profiling_upload(uploaded.name, uploaded.getvalue(), limit_mb)
    except (ValueError, duckdb.Error) as error:
        st.session_state[LOADED_KEY] = ("error", f"{uploaded.name}: not loaded: {error}")
    else:
        state = "a new run" if loaded.is_new_run else "already loaded: the same run"
        st.session_state[LOADED_KEY] = (
            "success",
            f"{uploaded.name}: profiling run {loaded.run_id} ({state}), {loaded.rows_read:,} results read, "
            f"{loaded.loaded:,} used, {loaded.quarantined:,} quarantined (see the Data page's quarantine).",
        )
    st.rerun()
if LOADED_KEY in st.session_state:
    outcome, message = st.session_state[LOADED_KEY]
    if outcome == "error":
        st.error(message, icon=":material/error:")
    else:
        st.success(message, icon=":material/check_circle:")

if pass_rates.is_empty():
    st.info(
        "**No profiling run loaded yet.** Load one to see pass rates per task type and tier, the recommended tier "
        "map and its monthly cost:\n"
        "- **Upload** a profiling results file above.\n"
        f"- **From a terminal**, with this dashboard stopped: `tierscope profile PATH --db {database.path}` "
        "(the sample run: `tierscope profile sample_logs/profiling_results.jsonl`).",
        icon=":material/science:",
    )
    st.stop()

routing = cache.routing()
tiers = cache.tier_order()
st.info(rule_in_words(routing.profiling.route_at, routing.profiling.monitor_at), icon=":material/rule:")

st.subheader("Pass rate per task type and tier")
st.plotly_chart(
    charts.pass_rates(pass_rates, tiers, routing.profiling.route_at, routing.profiling.monitor_at),
    theme=None,
    config=charts.PLOTLY_CONFIG,
)
with st.expander("Pass rates as a table"):
    st.dataframe(pass_rates.select(list(RATE_COLUMNS)), column_config=RATE_COLUMNS, hide_index=True)

st.subheader("Recommended tier per task type")
recommendation = cache.profiling_recommendation()
st.dataframe(recommendation.select(list(RECOMMENDATION_COLUMNS)), column_config=RECOMMENDATION_COLUMNS, hide_index=True)
moves = recommendation.filter(pl.col("recommended_tier") != pl.col("current_tier"))
st.caption(
    f"{moves.height} task type{'s' if moves.height != 1 else ''} would move: "
    + ", ".join(
        f"{task} {current} → {recommended}"
        for task, current, recommended in moves.select("task_type", "current_tier", "recommended_tier").rows()
    )
    if moves.height
    else "The recommended map is the current one."
)
name_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
name = name_column.text_input("Scenario name", key="profiling_scenario_name", placeholder="recommended").strip()
if button_column.button("Save as scenario", key="profiling_save", icon=":material/bookmark_add:", width="stretch"):
    recommended = dict(recommendation.select("task_type", "recommended_tier").rows())
    scenarios.save(name or "recommended", with_task_tiers(routing, recommended))
    st.success(
        f"Saved as **{name or 'recommended'}**: compare it with other scenarios, or export it, on the What-if page.",
        icon=":material/bookmark_added:",
    )
    st.page_link(WHATIF_PAGE, label="Open the What-if page", icon=":material/alt_route:")

st.subheader("Monthly cost projection")
projection = cache.cost_projection()
monthly = dict(projection.group_by("map_name").agg(pl.col("monthly_cost_usd").sum()).iter_rows())
for column, (map_name, label) in zip(st.columns(3), charts.PROJECTION_MAPS.items(), strict=True):
    column.metric(
        f"Per 30-day month, {label}",
        money(monthly.get(map_name)),
        change(monthly.get(map_name), monthly.get("current")) if map_name != "current" else None,
        delta_color="inverse",
        delta_description="against the current map",
        border=True,
    )
st.plotly_chart(charts.cost_projection(projection, tiers), theme=None, config=charts.PLOTLY_CONFIG)
by_map = {
    map_name: projection.filter(pl.col("map_name") == map_name).select(
        "task_type",
        pl.col("tier").alias(f"{map_name}_tier"),
        pl.col("monthly_cost_usd").alias(f"{map_name}_usd"),
    )
    for map_name in charts.PROJECTION_MAPS
}
per_task = (
    projection.filter(pl.col("map_name") == "current")
    .select("task_type", "requests_per_day", "traffic_source")
    .join(by_map["all_frontier"], on="task_type")
    .join(by_map["current"], on="task_type")
    .join(by_map["recommended"], on="task_type")
)
st.dataframe(
    per_task,
    hide_index=True,
    column_config={
        "task_type": st.column_config.TextColumn("task type"),
        "requests_per_day": st.column_config.NumberColumn("requests / day", format="%.0f"),
        "traffic_source": st.column_config.TextColumn(
            "traffic from", help="routing.yaml's requests_per_day, else the traffic observed in the logs"
        ),
        **{
            f"{map_name}_tier": st.column_config.TextColumn(f"{label}: tier", width="small")
            for map_name, label in MAP_LABELS.items()
        },
        **{
            f"{map_name}_usd": st.column_config.NumberColumn(f"{label}: $/month", format="dollar")
            for map_name, label in MAP_LABELS.items()
        },
    },
)
st.caption(
    "Each task type's requests per day, priced at the profiling run's mean tokens on the tier at today's standard "
    "price of the tier's first model, plus the expected escalations (1 − pass rate) to the next tier up."
)
