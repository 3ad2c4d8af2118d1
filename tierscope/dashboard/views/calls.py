"""Calls: the calls behind a number, 50 at a time. The sidebar's filters and the explorer's own (served and requested
tier, status, escalation mark, model, user, trace) live in the URL, so a click on a chart elsewhere lands here with
the clicked key set, and a view of calls can be shared as a link. Pages follow a keyset cursor (no offset, no count
over the calls); the CSV holds up to CALLS_CSV_LIMIT calls of the listing, through the one formula-safe writer."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from tierscope.dashboard import cache, charts, drill, filters, gate, tables
from tierscope.dashboard.tables import Column
from tierscope.format import count
from tierscope.queries import api
from tierscope.queries.export import CALLS_CSV_LIMIT, calls_csv

PAGER_KEY = "_tierscope_calls_pager"
ORDER_WORDS = {
    "newest": "newest first",
    "oldest": "oldest first",
    "costliest": "costliest first",
    "slowest": "slowest first",
}
ESCALATION = {"yes": True, "no": False}
# widths that fit the main area of a 1440-pixel screen (the browser test measures it)
CALL_COLUMNS = {
    "time": Column("time (UTC)", help="Month-day and time; the year is in the dates above", width=100),
    "task_type": Column("task type", width=86),
    "team": Column("team", width=64),
    "user_id": Column("user", width=52),
    "models": Column(
        "asked → served", help="Requested model (or tier alias) → the model that served the call", width=134
    ),
    "tiers": Column("tier", help="Served tier; requested → served when they differ", width=64),
    "input_tokens": Column("in", "count", "Input tokens, cached and cache writes included", width=48),
    "cached_input_tokens": Column("cached", "count", "Input tokens read from the cache", width=44),
    "cache_write_tokens": Column("written", "count", "Input tokens written to the cache", width=44),
    "output_tokens": Column("out", "count", "Output tokens, reasoning included", width=44),
    "reasoning_tokens": Column("reas.", "count", "Reasoning tokens", width=40),
    "cost_usd": Column("cost", "price", "At the price in effect when the call started", width=64),
    "latency_ms": Column("ms", "count", "Latency in milliseconds", width=48),
    "status": Column("status", width=48),
    "escalated": Column("esc.", "check", "The caller marked the call as an escalation", width=30),
    "trace_id": Column("trace", width=60),
}


def listed(text: str | None) -> tuple[str, ...] | None:
    """Comma-separated words of a text input, None when empty (no restriction)."""
    words = tuple(word.strip() for word in (text or "").split(",") if word.strip())
    return words or None


def filter_widgets(tiers: list[str]) -> tuple[api.CallFilters, api.CallOrder]:
    """The explorer's own filters, bound to the URL."""
    served, requested, status, escalated = st.columns([3, 3, 2, 2])
    served_tiers = served.multiselect(
        "Served tier", tiers, key=drill.SERVED_TIER, bind="query-params", placeholder="All"
    )
    requested_tiers = requested.multiselect(
        "Requested tier", tiers, key=drill.REQUESTED_TIER, bind="query-params", placeholder="All"
    )
    statuses = status.multiselect(
        "Status", ["success", "error"], key=drill.STATUS, bind="query-params", placeholder="All"
    )
    marked = escalated.segmented_control("Escalation mark", list(ESCALATION), key=drill.ESCALATED, bind="query-params")
    model, user, trace, order = st.columns([3, 2, 3, 2])
    models = model.text_input("Model, requested or served", key=drill.MODEL, bind="query-params", placeholder="any")
    users = user.text_input("User", key=drill.USER, bind="query-params", placeholder="any")
    traces = trace.text_input("Trace id", key=drill.TRACE, bind="query-params", placeholder="any")
    chosen = order.selectbox(
        "Order", api.CALL_ORDERS, format_func=ORDER_WORDS.__getitem__, key=drill.ORDER, bind="query-params"
    )
    wanted = api.CallFilters(
        users=listed(users),
        models=listed(models),
        trace_ids=listed(traces),
        served_tiers=tuple(served_tiers) or None,
        requested_tiers=tuple(requested_tiers) or None,
        statuses=tuple(statuses) or None,
        escalated=(ESCALATION[marked],) if marked else None,
    )
    return wanted, chosen or "newest"


def pager(signature: object) -> dict[str, object]:
    """The cursors of the pages seen so far for this listing; a new listing (other filters) starts at page 1."""
    state: dict[str, object] | None = st.session_state.get(PAGER_KEY)
    if state is None or state["signature"] != signature:
        state = {"signature": signature, "cursors": [None], "page": 0}
        st.session_state[PAGER_KEY] = state
    return state


def shown(rows: pl.DataFrame) -> pl.DataFrame:
    """The page's calls as the table shows them: the time to the second, requested → served model in one cell, the
    served tier (requested → served when a model was asked for and the tiers differ)."""
    return rows.with_columns(
        pl.col("started_at").dt.strftime("%m-%d %H:%M:%S").alias("time"),
        # a call that asked for no model has no requested tier to show (its requested_tier reads 'untiered')
        pl.when(pl.col("requested_model").is_not_null() & (pl.col("requested_tier") != pl.col("served_tier")))
        .then(pl.concat_str(pl.col("requested_tier"), pl.lit(" → "), pl.col("served_tier")))
        .otherwise(pl.col("served_tier"))
        .alias("tiers"),
        pl.concat_str(
            pl.col("requested_model").fill_null("—"), pl.lit(" → "), pl.col("served_model").fill_null("—")
        ).alias("models"),
    )


def download(scope: api.Scope, wanted: api.CallFilters, order: api.CallOrder) -> str:
    """The listing's first CALLS_CSV_LIMIT calls as formula-safe CSV (run when the button is clicked)."""
    reader = cache.new_cursor()
    try:
        with gate.reading():
            return calls_csv(reader, scope, wanted, order)
    finally:
        reader.close()


st.title("Calls")
scope = filters.page_scope()
wanted, order = filter_widgets([*cache.tier_order(), charts.UNTIERED])
total = cache.calls_count(scope, wanted)
state = pager((scope, wanted, order))
cursors: list[api.Cursor | None] = state["cursors"]  # type: ignore[assignment]
page_index: int = state["page"]  # type: ignore[assignment]
page = cache.calls_page(scope, wanted, order, cursors[page_index])
if page_index == 0:
    filters.stop_if_no_calls(page.rows.height, scope)

pages = f" of {count(-(-total // api.PAGE_SIZE))}" if total else ""
counted = (
    f"{count(total, 'call')}"
    if total is not None
    else "not counted (a model, user or trace filter would read every call of the range to count)"
)
st.caption(f"{filters.describe(scope)} · {counted} · page {page_index + 1}{pages}, {ORDER_WORDS[order]}")
tables.show(shown(page.rows), CALL_COLUMNS)

previous, following, csv = st.columns([1, 1, 4])
if previous.button("Previous page", icon=":material/chevron_left:", disabled=page_index == 0):
    state["page"] = page_index - 1
    st.rerun()
if following.button("Next page", icon=":material/chevron_right:", disabled=page.next_after is None):
    if len(cursors) == page_index + 1:
        cursors.append(page.next_after)
    state["page"] = page_index + 1
    st.rerun()
csv.download_button(
    f"Download CSV (up to {CALLS_CSV_LIMIT:,} calls)",
    lambda: download(scope, wanted, order),
    file_name=f"tierscope_calls_{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
