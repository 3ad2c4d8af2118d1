"""Data: load logs, see what was loaded and what was not (ingest history, quarantine, unpriced models, calls with
no served model, reported vs computed cost), and the price book and routing map in force."""

from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from tierscope.dashboard import cache, filters
from tierscope.dashboard.uploads import UPLOAD_TYPES, ingest_upload
from tierscope.format import count, drift_rule, money

RESULTS_KEY = "_tierscope_upload_results"
MONEY = "dollar"
PRICE = "$%.4f"
LOCALIZED = "localized"
TIME = "YYYY-MM-DD HH:mm:ss"


COUNTS = ("rows_read", "loaded", "duplicates", "quarantined")
UPLOAD_SCHEMA = {
    "file": pl.String,
    "format": pl.String,
    **dict.fromkeys(COUNTS, pl.Int64),
    "skipped": pl.Int64,
    "seconds": pl.Float64,
    "error": pl.String,
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
    st.dataframe(
        frame if frame["error"].null_count() < frame.height else frame.drop("error"),
        hide_index=True,
        column_config={
            "file": "file",
            "format": "format",
            "rows_read": st.column_config.NumberColumn("rows read", format=LOCALIZED),
            "loaded": st.column_config.NumberColumn("loaded", format=LOCALIZED),
            "duplicates": st.column_config.NumberColumn("duplicates", format=LOCALIZED),
            "quarantined": st.column_config.NumberColumn("quarantined", format=LOCALIZED),
            "skipped": st.column_config.NumberColumn(
                "skipped", format=LOCALIZED, help="Records that are not model calls (a tool span, say)"
            ),
            "seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
            "error": "not loaded because",
        },
    )


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

with history:
    ingests = cache.ingest_history()
    if ingests.is_empty():
        st.write("Nothing loaded yet.")
    else:
        st.dataframe(
            ingests.select(
                "ingest_id",
                "source",
                "source_format",
                "finished_at",
                "rows_read",
                "loaded",
                "duplicates",
                "quarantined",
            ),
            hide_index=True,
            column_config={
                "ingest_id": st.column_config.NumberColumn("ingest", format="%d", width="small"),
                # a path can be long: the column keeps to its width (the full path shows on hover)
                "source": st.column_config.TextColumn("source", width=330),
                "source_format": "format",
                "finished_at": st.column_config.DatetimeColumn("loaded (UTC)", format=TIME),
                "rows_read": st.column_config.NumberColumn("rows read", format=LOCALIZED),
                "loaded": st.column_config.NumberColumn("loaded", format=LOCALIZED),
                "duplicates": st.column_config.NumberColumn("duplicates", format=LOCALIZED),
                "quarantined": st.column_config.NumberColumn("quarantined", format=LOCALIZED),
            },
        )

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
        st.dataframe(
            rejected.select(
                "source",
                "source_line",
                "reason",
                "known_fields",
                "byte_offset",
                "byte_length",
                "record_sha256",
                "quarantined_at",
            ),
            hide_index=True,
            column_config={
                "source_line": st.column_config.NumberColumn("line", format="%d"),
                "reason": st.column_config.TextColumn("reason", width="large"),
                "known_fields": st.column_config.TextColumn("known fields", width="large"),
                "byte_offset": st.column_config.NumberColumn("byte offset", format="%d"),
                "byte_length": st.column_config.NumberColumn("bytes", format="%d"),
                "record_sha256": st.column_config.TextColumn("sha256 of the record"),
                "quarantined_at": st.column_config.DatetimeColumn("quarantined (UTC)", format=TIME),
            },
        )
        labels = [f"{source}:{line}" for source, line in rejected.select("source", "source_line").iter_rows()]
        picked = st.selectbox("Known fields of", range(rejected.height), format_func=labels.__getitem__)
        st.text(f"Reason: {rejected['reason'][picked]}")
        st.code(rejected["known_fields"][picked] or "{}", language="json", wrap_lines=True)

with unpriced:
    if scope is None:
        st.write("No calls loaded yet.")
    else:
        models = cache.unpriced_models(scope)
        if models.is_empty():
            st.write("Every call in this view has a price.")
        else:
            st.caption(
                "Calls these models answered are left out of every spend figure (never counted as $0). "
                "Add the model, or a name it is known by, to prices.yaml to price them."
            )
            st.dataframe(
                models,
                hide_index=True,
                column_config={
                    "model_name": "model as logged",
                    "calls": st.column_config.NumberColumn("calls", format=LOCALIZED),
                    "task_types": st.column_config.NumberColumn("task types", format=LOCALIZED),
                    "input_tokens": st.column_config.NumberColumn("tokens in", format=LOCALIZED),
                    "output_tokens": st.column_config.NumberColumn("tokens out", format=LOCALIZED),
                    "first_started_at": st.column_config.DatetimeColumn("first seen (UTC)", format=TIME),
                    "last_started_at": st.column_config.DatetimeColumn("last seen (UTC)", format=TIME),
                },
            )

with unknown_tasks:
    if scope is None:
        st.write("No calls loaded yet.")
    else:
        hints = cache.unknown_task_hints(scope)
        if hints.is_empty():
            st.write(
                "No call in this view has task type unknown, or none carries a tag or attribute a rule could read."
            )
        else:
            st.caption(
                "Calls whose task type no task_type_from rule of routing.yaml found. Each row is a rule that would "
                "catch some of them: add its line under task_type_from."
            )
            st.dataframe(
                hints.select("rule_yaml", "calls", "share_of_unknown_calls", "example_values", "sources"),
                hide_index=True,
                column_config={
                    "rule_yaml": "rule to add",
                    "calls": st.column_config.NumberColumn("calls it would reach", format=LOCALIZED),
                    "share_of_unknown_calls": st.column_config.NumberColumn(
                        "share of unknown", format="percent", step=0.001
                    ),
                    "example_values": st.column_config.ListColumn("example values", width=180),
                    "sources": st.column_config.TextColumn("source files", width=300),
                },
            )

with unattributed:
    if scope is None:
        st.write("No calls loaded yet.")
    else:
        calls = cache.unattributed_calls(scope)
        if calls.is_empty():
            st.write("Every call in this view names the model that served it.")
        else:
            st.caption(
                "Calls whose log names no served model: kept, priced by the requested model, and counted as "
                "unattributed (their served tier is untiered)."
            )
            st.dataframe(
                calls,
                hide_index=True,
                column_config={
                    "requested_model": "requested model",
                    "task_type": "task type",
                    "calls": st.column_config.NumberColumn("calls", format=LOCALIZED),
                    "cost_usd": st.column_config.NumberColumn("cost", format=MONEY),
                    "unpriced_calls": st.column_config.NumberColumn("unpriced calls", format=LOCALIZED),
                    "first_started_at": st.column_config.DatetimeColumn("first seen (UTC)", format=TIME),
                    "last_started_at": st.column_config.DatetimeColumn("last seen (UTC)", format=TIME),
                    "sources": st.column_config.TextColumn("source files", width=220),
                },
            )

with reconciliation:
    if scope is None:
        st.write("No calls loaded yet.")
    else:
        summary = cache.reconciliation_summary(scope)
        if summary.is_empty():
            st.write("No call in this view carries a cost reported by its source.")
        else:
            reported, computed = summary.select(pl.sum("reported_cost_usd", "computed_cost_usd")).row(0)
            st.caption(
                f"Calls whose source reported a cost: reported {money(reported)} against {money(computed)} from "
                f"the price book (difference {money(reported - computed)}). A call disagrees when the two differ "
                "by more than 1%: a wrong price, or a missing batch / cache price, shows up here."
            )
            st.dataframe(
                summary,
                hide_index=True,
                column_config={
                    "calls_with_reported_cost": st.column_config.NumberColumn("calls", format=LOCALIZED),
                    "reported_cost_usd": st.column_config.NumberColumn("reported", format=PRICE),
                    "computed_cost_usd": st.column_config.NumberColumn("computed", format=PRICE),
                    "disagreeing_calls": st.column_config.NumberColumn("disagreeing calls", format=LOCALIZED),
                    "unpriced_calls": st.column_config.NumberColumn("unpriced calls", format=LOCALIZED),
                    "unpriced_reported_cost_usd": st.column_config.NumberColumn("reported, unpriced", format=PRICE),
                    "difference_usd": st.column_config.NumberColumn("difference", format=PRICE),
                    "relative_difference": st.column_config.NumberColumn("relative", format="percent"),
                },
            )
            with st.expander("Disagreeing calls, largest difference first"):
                st.dataframe(
                    cache.cost_reconciliation(scope).head(1000),
                    hide_index=True,
                    column_config={
                        "started_at": st.column_config.DatetimeColumn("started (UTC)", format=TIME),
                        "reported_cost_usd": st.column_config.NumberColumn("reported", format="$%.6f"),
                        "computed_cost_usd": st.column_config.NumberColumn("computed", format="$%.6f"),
                        "difference_usd": st.column_config.NumberColumn("difference", format="$%.6f"),
                        "relative_difference": st.column_config.NumberColumn("relative", format="percent"),
                    },
                )

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
    st.dataframe(
        (book if show_variants else book.filter(pl.col("price_variant") == "standard")).select(
            "model",
            "provider",
            "tier",
            "context_window",
            "variant",
            "effective",
            *(column for column in book.columns if column.endswith("_usd_per_1m_tokens")),
        ),
        hide_index=True,
        column_config={
            "context_window": st.column_config.NumberColumn("window", format=LOCALIZED, help="Context window"),
            "effective": "in effect",
            "input_usd_per_1m_tokens": st.column_config.NumberColumn("input", format=PRICE),
            "output_usd_per_1m_tokens": st.column_config.NumberColumn("output", format=PRICE),
            "cached_input_usd_per_1m_tokens": st.column_config.NumberColumn("cached input", format=PRICE),
            "cache_write_usd_per_1m_tokens": st.column_config.NumberColumn("cache write", format=PRICE),
            "reasoning_usd_per_1m_tokens": st.column_config.NumberColumn("reasoning", format=PRICE),
        },
    )
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
    st.dataframe(
        pl.DataFrame(
            [{"task_type": task_type, **profile.model_dump()} for task_type, profile in routing_map.tasks.items()],
            infer_schema_length=None,
        ),
        hide_index=True,
        column_config={
            "task_type": "task type",
            "tier": "default tier",
            "baseline_escalation_rate": st.column_config.NumberColumn("baseline escalation", format="percent"),
            "blast_radius": "blast radius",
            "expected_output_tokens": st.column_config.NumberColumn("expected output tokens", format=LOCALIZED),
            "quality_gate": "quality gate",
            "requests_per_day": st.column_config.NumberColumn("requests / day", format=LOCALIZED),
        },
    )
    rule = routing_map.drift
    st.markdown(
        f"Task types not listed use **{routing_map.default_tier}**. Context guard: a call is not sent to a model "
        f"when its input exceeds {routing_map.context_guard_ratio:.0%} of the context window.\n\n**Drift:** "
        + drift_rule(rule.threshold, rule.mode, rule.window, rule.min_requests, rule.baseline_days)
    )
    with st.expander("routing.yaml"):
        st.code(Path(database.routing_path).read_text(encoding="utf-8"), language="yaml")
