"""Data: load logs, see what was loaded and what was not (ingest history, quarantine, unpriced models, calls with
no served model, reported vs computed cost), and the price book and routing map in force."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from tierscope.dashboard import cache, filters, tables
from tierscope.dashboard.tables import Column
from tierscope.dashboard.uploads import UPLOAD_TYPES, ingest_upload
from tierscope.format import count, drift_rule, money
from tierscope.queries.api import Scope

RESULTS_KEY = "_tierscope_upload_results"


COUNTS = ("rows_read", "loaded", "duplicates", "quarantined")
UPLOAD_SCHEMA = {
    "file": pl.String,
    "format": pl.String,
    **dict.fromkeys(COUNTS, pl.Int64),
    "skipped": pl.Int64,
    "seconds": pl.Float64,
    "error": pl.String,
}


UPLOADED_CLEANLY = {
    "file": Column("file"),
    "format": Column("format"),
    "rows_read": Column("rows read", "count"),
    "loaded": Column("loaded", "count"),
    "duplicates": Column("duplicates", "count"),
    "quarantined": Column("quarantined", "count"),
    "skipped": Column("skipped", "count", "Records that are not model calls (a tool span, say)"),
    "seconds": Column("seconds", "number"),
}
UPLOADED = {**UPLOADED_CLEANLY, "error": Column("not loaded because")}
PRICES = {
    "model": Column("model"),
    "provider": Column("provider"),
    "tier": Column("tier"),
    "context_window": Column("window", "count", "Context window"),
    "variant": Column("variant"),
    "effective": Column("in effect"),
    "input_usd_per_1m_tokens": Column("input", "price"),
    "output_usd_per_1m_tokens": Column("output", "price"),
    "cached_input_usd_per_1m_tokens": Column("cached input", "price"),
    "cache_write_usd_per_1m_tokens": Column("cache write", "price"),
    "reasoning_usd_per_1m_tokens": Column("reasoning", "price"),
}
TASK_PROFILES = {
    "task_type": Column("task type"),
    "tier": Column("default tier"),
    "baseline_escalation_rate": Column("baseline escalation", "percent"),
    "blast_radius": Column("blast radius"),
    "expected_output_tokens": Column("expected output tokens", "count"),
    "quality_gate": Column("quality gate"),
    "requests_per_day": Column("requests / day", "count"),
}


def loaded_files_table(outcomes: list[dict[str, object]]) -> None:
    """The four accounting numbers of the last upload, in total and per file (with why a file was not loaded)."""
    frame = pl.DataFrame(
        [{column: outcome.get(column) for column in UPLOAD_SCHEMA} for outcome in outcomes], schema=UPLOAD_SCHEMA
    )
    totals = {key: int(frame[key].sum()) for key in COUNTS}
    rows_read, new_calls, duplicates, quarantined = st.columns(4)
    rows_read.metric("Rows read", count(totals["rows_read"]), border=True)
    new_calls.metric("Loaded", count(totals["loaded"]), border=True)
    duplicates.metric("Duplicates", count(totals["duplicates"]), border=True)
    quarantined.metric("Quarantined", count(totals["quarantined"]), border=True)
    columns = UPLOADED if frame["error"].null_count() < frame.height else UPLOADED_CLEANLY
    tables.show(frame, columns)


def show_progress(bar: DeltaGenerator) -> Callable[[float], None]:
    """Report an ingest's progress (0..1) on a progress bar."""

    def show(done: float) -> None:
        bar.progress(min(done, 1.0), text=f"reading and validating: {done:.0%}")

    return show


scope = filters.active_scope()
st.title("Data")

st.subheader("Upload logs")
limit_mb = int(st.get_option("server.maxUploadSize"))
with st.form("upload", clear_on_submit=True):
    files = st.file_uploader(
        f"Log files: JSONL, JSON, CSV or Parquet, optionally gzipped. Up to {limit_mb} MB per file.",
        type=list(UPLOAD_TYPES),
        accept_multiple_files=True,
    )
    submitted = st.form_submit_button("Load into the database", type="primary", icon=":material/upload:")
st.caption(
    f"Larger files: `tierscope ingest PATH... --db {cache.database().path}` with the dashboard stopped. "
    "Loading a file again loads nothing twice; rows that cannot be read go to the quarantine below."
)
if submitted and files:
    outcomes: list[dict[str, object]] = []
    for uploaded in files:
        with st.status(f"Loading {uploaded.name}…", expanded=True) as status:
            bar = st.progress(0.0, text="reading and validating")
            try:
                result = ingest_upload(
                    uploaded.name,
                    uploaded.getvalue(),
                    limit_mb,
                    show_progress(bar),
                )
            except (ValueError, duckdb.Error) as error:
                status.update(label=f"{uploaded.name}: not loaded", state="error")
                outcomes.append({"file": uploaded.name, "error": str(error)})
            else:
                status.update(label=f"{uploaded.name}: {result.loaded:,} calls loaded", state="complete")
                outcomes.append({"file": uploaded.name, **result.as_json(), "error": None})
    st.session_state[RESULTS_KEY] = outcomes
    st.rerun()
if st.session_state.get(RESULTS_KEY):
    st.markdown("**Last upload** (rows read = loaded + duplicates + quarantined)")
    loaded_files_table(st.session_state[RESULTS_KEY])

if scope is not None:
    st.subheader("In this view")
    st.caption(filters.describe(scope) + " · loaded, duplicates and quarantined count every ingest (no call time)")
    quality = cache.data_quality(scope).row(0, named=True)
    for column, (label, value, help_text) in zip(
        st.columns(5) + st.columns(5),
        [
            ("Calls", quality["calls"], "Model calls in this view"),
            ("Unknown task type", quality["unknown_task_calls"], "Calls whose log names no task_type"),
            ("No served model", quality["unattributed_calls"], "Priced by the requested model; listed below"),
            ("Unpriced", quality["unpriced_calls"], "No price in effect: left out of spend, never $0"),
            ("Untiered", quality["untiered_calls"], "Served by a model in no tier of routing.yaml"),
            ("Errors", quality["error_calls"], "Calls with status error"),
            ("Files loaded", quality["ingests"], "Ingests in the ledger"),
            ("Rows read", quality["rows_read"], "Over every ingest"),
            ("Duplicates", quality["duplicates"], "Rows whose request_id was already loaded"),
            ("Quarantined", quality["quarantined"], "Rows that could not be read; see Quarantine"),
        ],
        strict=True,
    ):
        column.metric(label, count(value), help=help_text, border=True)

history, quarantined, unpriced, unattributed, unknown_tasks, reconciliation, prices, routing = st.tabs(
    [
        "Ingest history",
        "Quarantine",
        "Unpriced models",
        "No served model",
        "Unknown task types",
        "Reported vs computed cost",
        "Price book",
        "Routing",
    ]
)

NO_CALLS = "No calls loaded yet."


@dataclass(frozen=True)
class Listing:
    """A tab of this page that lists what the calls in the view have that needs attention: the mart it reads, the
    sentence when there is nothing, the caption above the rows (it may sum them) and the columns shown."""

    read: Callable[[Scope], pl.DataFrame]
    nothing: str
    caption: Callable[[pl.DataFrame], str]
    columns: dict[str, Column]


def show_listing(listing: Listing) -> pl.DataFrame | None:
    """The listing in the current tab: its rows under their caption, or why there are none (None then)."""
    if scope is None:
        st.write(NO_CALLS)
        return None
    frame = listing.read(scope)
    if frame.is_empty():
        st.write(listing.nothing)
        return None
    st.caption(listing.caption(frame))
    tables.show(frame, listing.columns)
    return frame


def reconciliation_caption(summary: pl.DataFrame) -> str:
    reported, computed = summary.select(pl.sum("reported_cost_usd", "computed_cost_usd")).row(0)
    return (
        f"Calls whose source reported a cost: reported {money(reported)} against {money(computed)} from the price "
        f"book (difference {money(reported - computed)}). A call disagrees when the two differ by more than 1%: a "
        "wrong price, or a missing batch / cache price, shows up here."
    )


FIRST_LAST = {
    "first_started_at": Column("first seen (UTC)", "time"),
    "last_started_at": Column("last seen (UTC)", "time"),
}
UNPRICED = Listing(
    cache.unpriced_models,
    "Every call in this view has a price.",
    lambda _: (
        "Calls these models answered are left out of every spend figure (never counted as $0). Add the model, "
        "or a name it is known by, to prices.yaml to price them."
    ),
    {
        "model_name": Column("model as logged"),
        "reason": Column("why unpriced"),
        "calls": Column("calls", "count"),
        "task_types": Column("task types", "count"),
        "input_tokens": Column("tokens in", "count"),
        "output_tokens": Column("tokens out", "count"),
        **FIRST_LAST,
    },
)
UNATTRIBUTED = Listing(
    cache.unattributed_calls,
    "Every call in this view names the model that served it.",
    lambda _: (
        "Calls whose log names no served model: kept, priced by the requested model, and counted as "
        "unattributed (their served tier is untiered)."
    ),
    {
        "requested_model": Column("requested model"),
        "task_type": Column("task type"),
        "calls": Column("calls", "count"),
        "cost_usd": Column("cost", "money"),
        "unpriced_calls": Column("unpriced calls", "count"),
        **FIRST_LAST,
        "sources": Column("source files", width=220),
    },
)
UNKNOWN_TASKS = Listing(
    cache.unknown_task_hints,
    "No call in this view has task type unknown, or none carries a tag or attribute a rule could read.",
    lambda _: (
        "Calls whose task type no task_type_from rule of routing.yaml found. Each row is a rule that would "
        "catch some of them: add its line under task_type_from."
    ),
    {
        "rule_yaml": Column("rule to add"),
        "calls": Column("calls it would reach", "count"),
        "share_of_unknown_calls": Column("share of unknown", "percent"),
        "example_values": Column("example values", "list", width=180),
        "sources": Column("source files", width=300),
    },
)
RECONCILIATION = Listing(
    cache.reconciliation_summary,
    "No call in this view carries a cost reported by its source.",
    reconciliation_caption,
    {
        "model": Column("model"),
        "price_variant": Column("price variant"),
        "calls_with_reported_cost": Column("calls", "count"),
        "reported_cost_usd": Column("reported", "price"),
        "computed_cost_usd": Column("computed", "price"),
        "disagreeing_calls": Column("disagreeing calls", "count"),
        "unpriced_calls": Column("unpriced calls", "count"),
        "unpriced_reported_cost_usd": Column("reported, unpriced", "price"),
        "difference_usd": Column("difference", "price"),
        "relative_difference": Column("relative", "percent"),
    },
)
DISAGREEING = {
    "started_at": Column("started (UTC)", "time"),
    "request_id": Column("request id"),
    "task_type": Column("task type"),
    "served_model": Column("served model"),
    "priced_model": Column("priced as"),
    "price_variant": Column("price variant"),
    "input_tokens": Column("tokens in", "count"),
    "output_tokens": Column("tokens out", "count"),
    "reported_cost_usd": Column("reported", "price"),
    "computed_cost_usd": Column("computed", "price"),
    "difference_usd": Column("difference", "price"),
    "relative_difference": Column("relative", "percent"),
}
HISTORY = {
    "ingest_id": Column("ingest", "text", width="small"),
    # a path can be long: the column keeps to its width (the full path shows on hover)
    "source": Column("source", width=330),
    "source_format": Column("format"),
    "finished_at": Column("loaded (UTC)", "time"),
    "rows_read": Column("rows read", "count"),
    "loaded": Column("loaded", "count"),
    "duplicates": Column("duplicates", "count"),
    "quarantined": Column("quarantined", "count"),
}
QUARANTINE = {
    "source": Column("source"),
    "source_line": Column("line", "text"),
    "reason": Column("reason", width="large"),
    "known_fields": Column("known fields", width="large"),
    "byte_offset": Column("byte offset", "text"),
    "byte_length": Column("bytes", "count"),
    "record_sha256": Column("sha256 of the record"),
    "quarantined_at": Column("quarantined (UTC)", "time"),
}

with history:
    ingests = cache.ingest_history()
    if ingests.is_empty():
        st.write("Nothing loaded yet.")
    else:
        tables.show(ingests, HISTORY)

with quarantined:
    rejected = cache.quarantine()
    if rejected.is_empty():
        st.write("No row has been quarantined.")
    else:
        st.caption(
            "The newest quarantined rows, with every reason; nothing here is in the calls table. A record's text is "
            "never kept (it may carry prompts): its line, byte offset and length, and the sha256 of its bytes find it "
            "in the file; its known fields say what was read."
        )
        tables.show(rejected, QUARANTINE)
        labels = [f"{source}:{line}" for source, line in rejected.select("source", "source_line").iter_rows()]
        picked = st.selectbox("Known fields of", range(rejected.height), format_func=labels.__getitem__)
        st.text(f"Reason: {rejected['reason'][picked]}")
        st.code(rejected["known_fields"][picked] or "{}", language="json", wrap_lines=True)

with unpriced:
    show_listing(UNPRICED)

with unknown_tasks:
    show_listing(UNKNOWN_TASKS)

with unattributed:
    show_listing(UNATTRIBUTED)

with reconciliation:
    if show_listing(RECONCILIATION) is not None and scope is not None:
        with st.expander("Disagreeing calls, largest difference first"):
            tables.show(cache.cost_reconciliation(scope).head(1000), DISAGREEING)

with prices:
    database = cache.database()
    st.caption(
        f"USD per 1M tokens, from `{database.prices_path}`. A call is priced at the price in effect when it "
        "started; cached input, cache writes and reasoning fall back to the input / output price."
    )
    show_variants = st.checkbox("Show batch, flex and priority prices")
    # the period and the variant (with its long-context band) as one column each, so the table fits the page
    book = cache.price_book().with_columns(
        pl.concat_str(
            pl.col("effective_from").dt.strftime("%Y-%m-%d"),
            pl.lit(" → "),
            pl.col("effective_to").dt.strftime("%Y-%m-%d").fill_null("in effect"),
        ).alias("effective"),
        pl.when(pl.col("is_long_context"))
        .then(pl.format("{}, input > {}", "price_variant", "long_context_above_tokens"))
        .otherwise(pl.col("price_variant"))
        .alias("variant"),
    )
    tables.show(book if show_variants else book.filter(pl.col("price_variant") == "standard"), PRICES)
    with st.expander("prices.yaml"):
        st.code(Path(database.prices_path).read_text(encoding="utf-8"), language="yaml")

with routing:
    database = cache.database()
    routing_map = cache.routing()
    st.caption(
        f"From `{database.routing_path}`. Tiers are listed cheapest first; the first model of a tier is "
        "where a tier map sends its traffic."
    )
    st.dataframe(
        pl.DataFrame(
            {
                "tier": list(routing_map.tiers),
                "models": [", ".join(models) for models in routing_map.tiers.values()],
            }
        ),
        hide_index=True,
    )
    profiles = [{"task_type": task_type, **profile.model_dump()} for task_type, profile in routing_map.tasks.items()]
    tables.show(pl.DataFrame(profiles, infer_schema_length=None), TASK_PROFILES)
    rule = routing_map.drift
    st.markdown(
        f"Task types not listed use **{routing_map.default_tier}**. Context guard: a call is not sent to a model "
        f"when its input exceeds {routing_map.context_guard_ratio:.0%} of the context window.\n\n**Drift:** "
        + drift_rule(rule.threshold, rule.mode, rule.window, rule.min_requests, rule.baseline_days)
    )
    with st.expander("routing.yaml"):
        st.code(Path(database.routing_path).read_text(encoding="utf-8"), language="yaml")
