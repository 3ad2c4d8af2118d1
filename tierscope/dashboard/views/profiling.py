"""Profiling: load a profiling run (sample prompts of each task type run on every tier and graded), then its pass
rates with their 95% intervals, the recommended tier per task type and why, the monthly cost under the all-top-tier,
current and recommended maps, and the recommended map saved as a What-if scenario in one click."""

import duckdb
import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, filters, session, tables
from tierscope.dashboard.tables import Column
from tierscope.dashboard.uploads import PROFILING_TYPES, load_profiling_upload
from tierscope.errors import UserError
from tierscope.format import change, money
from tierscope.queries import scenario
from tierscope.queries.scenario import with_task_tiers

LOADED_KEY = "_tierscope_profiling_load"
WHATIF_PAGE = "views/whatif.py"
RATE_COLUMNS = {
    "task_type": Column("task type"),
    "tier": Column("tier"),
    "pass_rate": Column("pass rate", "percent"),
    "interval": Column("95% interval", help="Wilson score interval"),
    "prompts": Column("n", "count", "Prompts graded on this tier"),
    "avg_output_tokens": Column("mean output tokens", "count"),
    "avg_latency_ms": Column("mean latency (ms)", "count"),
}
RECOMMENDATION_COLUMNS = {
    "task_type": Column("task type"),
    "move": Column("tier", help="Current → recommended"),
    "decision": Column("decision"),
    "reason": Column(
        "evidence", help="Each tier's pass rate and n, cheapest first, up to the recommended one (intervals above)"
    ),
}
# the profiling maps as short column labels
MAP_LABELS = {"current": "current", "recommended": "recommended", "all_frontier": "all top tier"}
BASIS = f"Per {scenario.MONTH}: {scenario.MONTHLY_BASIS}"


def with_interval(rates: pl.DataFrame) -> pl.DataFrame:
    """The Wilson interval as one text column ('91.3%–99.3%'), the precision of every percentage on the page."""
    return rates.with_columns(
        pl.format("{}%–{}%", (100 * pl.col("pass_rate_low")).round(1), (100 * pl.col("pass_rate_high")).round(1)).alias(
            "interval"
        )
    )


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
    "and gives the What-if page its pass rates; the sidebar filters do not apply to the run, only to the traffic "
    "the monthly projection prices."
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
    except UserError as error:
        # a file with no usable result is refused: the run the What-if page relies on stays the latest
        st.session_state[LOADED_KEY] = ("error", f"{uploaded.name}: not loaded: {error}")
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
    tables.show(with_interval(pass_rates), RATE_COLUMNS)

st.subheader("Recommended tier per task type")
recommendation = cache.profiling_recommendation()
tables.show(
    with_interval(recommendation).with_columns(
        pl.when(pl.col("current_tier") == pl.col("recommended_tier"))
        .then(pl.col("current_tier"))
        .otherwise(pl.concat_str("current_tier", pl.lit(" → "), "recommended_tier"))
        .alias("move")
    ),
    RECOMMENDATION_COLUMNS,
)
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
    session.save(name or "recommended", with_task_tiers(routing, recommended))
    st.success(
        f"Saved as **{name or 'recommended'}**: compare it with other scenarios, or export it, on the What-if page.",
        icon=":material/bookmark_added:",
    )
    st.page_link(WHATIF_PAGE, label="Open the What-if page", icon=":material/alt_route:")

st.subheader("Monthly cost projection")
scope = filters.active_scope()
projection = cache.monthly_projection(scope) if scope is not None else pl.DataFrame()
if projection.is_empty():
    st.info(
        "No traffic in view and no `requests_per_day` in routing.yaml: there is nothing to project. Widen the "
        "sidebar's dates or filters, or load logs.",
        icon=":material/info:",
    )
    st.stop()
st.caption(
    f"The traffic in view ({filters.describe(scope) if scope else 'no calls loaded'}) priced under each map by the "
    f"What-if simulator, expected escalations included: the What-if page shows the same figure for the same map. "
    f"{BASIS}."
)
monthly = dict(projection.group_by("map_name").agg(pl.col("monthly_cost_usd").sum()).iter_rows())
for column, (map_name, label) in zip(st.columns(3), charts.PROJECTION_MAPS.items(), strict=True):
    column.metric(
        f"Per {scenario.MONTH}, {label}",
        money(monthly.get(map_name)),
        change(monthly.get(map_name), monthly.get("current")) if map_name != "current" else None,
        delta_color="inverse",
        delta_description="against the current map",
        border=True,
    )
st.plotly_chart(charts.cost_projection(projection, tiers), theme=None, config=charts.PLOTLY_CONFIG)
by_map = {
    map_name: projection.filter(pl.col("map_name") == map_name).select(
        "task_type", pl.col("tier").alias(f"{map_name}_tier"), pl.col("monthly_cost_usd").alias(map_name)
    )
    for map_name in charts.PROJECTION_MAPS
}
per_task = (
    projection.filter(pl.col("map_name") == "current")
    .select("task_type", "requests_per_day", "traffic_source")
    .join(by_map["current"], on="task_type")
    .join(by_map["recommended"], on="task_type")
    .join(by_map["all_frontier"].drop("all_frontier_tier"), on="task_type")
    .with_columns(
        pl.when(pl.col("current_tier") == pl.col("recommended_tier"))
        .then(pl.col("current_tier"))
        .otherwise(pl.concat_str("current_tier", pl.lit(" → "), "recommended_tier"))
        .alias("move")
    )
)
tables.show(
    per_task,
    {
        "task_type": Column("task type"),
        "requests_per_day": Column("requests / day", "count", "Per UTC day with traffic"),
        "traffic_source": Column(
            "traffic", help="observed: the logs in view; routing.yaml: its requests_per_day (no traffic yet)"
        ),
        "move": Column("tier", help="Current → recommended"),
        **{map_name: Column(f"{label} $/month", "money", BASIS) for map_name, label in MAP_LABELS.items()},
    },
)
st.caption(
    "A task type with no traffic in view but a `requests_per_day` in routing.yaml is priced at the profiling "
    "run's mean tokens on the tier, at today's standard price of the tier's first model, plus the expected "
    "escalations (1 − pass rate) to the next tier up."
)
