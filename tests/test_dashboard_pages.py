"""Every dashboard page run headless (Streamlit's AppTest) on real databases built through the real load path.

The numbers a page shows are compared with what ``queries.api`` returns for the same scope, formatted the way the
dashboard formats them. The default scope is recomputed here from the data (the last 14 days with calls), so the
test also pins down what the sidebar starts with. At the end, the marts written for these pages on a handful of
calls with results computed by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from tierscope.format import change, count, money, percent
from tierscope.queries import api
from tierscope.queries.api import Scope
from tierscope.queries.db import connect

APP = Path(__file__).resolve().parent.parent / "tierscope" / "dashboard" / "app.py"
TIMEOUT = 120
DATA_PAGES = ("views/overview.py", "views/task_costs.py", "views/tier_mix.py", "views/drift.py")
OpenApp = Callable[..., AppTest]
BuildDb = Callable[..., duckdb.DuckDBPyConnection]


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> OpenApp:
    """Run the dashboard on a database file (optionally on one page, with URL query parameters)."""

    def open_(db_path: Path, page: str | None = None, query: dict[str, Any] | None = None) -> AppTest:
        monkeypatch.setenv("TIERSCOPE_DB", str(db_path))
        monkeypatch.delenv("TIERSCOPE_PRICES", raising=False)
        monkeypatch.delenv("TIERSCOPE_ROUTING", raising=False)
        app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        app.query_params.update(query or {})
        app.run()
        if page:
            app.switch_page(page).run()
        assert not app.exception, [exception.message for exception in app.exception]
        return app

    return open_


def default_scope(con: duckdb.DuckDBPyConnection, **filters: tuple[str, ...]) -> Scope:
    """The last 14 days that have calls (whole UTC days; days without calls skipped), up to the newest call's day,
    as the sidebar starts."""
    days = api.days_with_data(con)["day"].to_list()
    last_day = api.freshness(con)["latest_started_at"][0].date()
    return Scope(days[-min(14, len(days))], last_day + dt.timedelta(days=1), **filters)


def metrics(app: AppTest) -> dict[str, Any]:
    return {metric.label: metric for metric in app.metric}


def figures(app: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def texts(app: AppTest) -> str:
    """Everything the page says in markdown, captions and alerts, as one string."""
    parts = [element.value for kind in ("markdown", "caption", "info", "success", "error") for element in app.get(kind)]
    return "\n".join(str(part) for part in parts)


def shown_table(app: AppTest, index: int = 0) -> pl.DataFrame:
    return pl.from_pandas(app.dataframe[index].value)


def test_overview_kpis_and_charts_equal_the_query_layer(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path)
    scope = default_scope(sample_db)
    against = api.comparison(sample_db, scope)
    assert against is not None and not against.is_partial
    before = against.previous
    assert before is not None
    now, then = api.kpis(sample_db, scope).row(0, named=True), api.kpis(sample_db, before).row(0, named=True)
    shown = metrics(app)
    assert shown["Spend"].value == money(now["cost_usd"])
    assert shown["Spend"].delta == change(now["cost_usd"], then["cost_usd"])
    assert shown["Requests"].value == count(now["requests"])
    assert shown["Cost per 1K requests"].value == money(now["cost_per_1k_requests_usd"])
    assert shown["Flagged drifts"].value == count(now["flagged_task_types"])
    assert shown["Flagged drifts"].delta == str(now["flagged_task_types"] - then["flagged_task_types"])
    assert shown["Unpriced calls"].value == count(now["unpriced_calls"])

    tiers = api.cost_by(sample_db, "tier", scope)
    for tier, cost in tiers.select("dimension_value", "cost_usd").iter_rows():
        assert shown[f"Share of spend on {tier}"].value == percent(cost / tiers["cost_usd"].sum())

    top = api.savings_opportunity(sample_db, scope).row(0, named=True)
    label = f"{top['task_type']}: spend above its default tier ({top['default_tier']})"
    assert shown[label].value == money(top["above_default_cost_usd"])

    daily, by_task = figures(app)
    drawn = sum(value for trace in daily["data"] for value in trace["y"] if value is not None)
    assert drawn == pytest.approx(api.daily_cost(sample_db, scope)["cost_usd"].sum())
    costliest_first = api.task_costs(sample_db, scope)["task_type"].to_list()
    assert by_task["layout"]["yaxis"]["categoryarray"] == costliest_first[::-1]
    assert scope.start is not None and f"{scope.start:%Y-%m-%d} →" in texts(app) + str(app.caption[0].value)


def test_task_costs_table_download_and_drill_down(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, "views/task_costs.py")
    scope = default_scope(sample_db)
    table = shown_table(app)
    assert_frame_equal(table, api.task_costs(sample_db, scope).select(table.columns), check_dtypes=False)
    assert [button.label for button in app.get("download_button")] == ["Download CSV"]

    app.selectbox(key="drill").set_value("extraction").run()
    assert not app.exception
    task_scope = Scope(scope.start, scope.end, task_types=("extraction",))
    models, daily, lengths, owners = figures(app)
    model_costs = api.model_costs(sample_db, task_scope)
    drawn = sum(value for trace in models["data"] for value in trace["x"])
    assert drawn == pytest.approx(model_costs["cost_usd"].sum())
    assert {name for trace in models["data"] for name in trace["y"]} == set(model_costs["served_model"])
    task_calls = api.task_costs(sample_db, task_scope)["calls"][0]
    assert sum(sum(trace["y"]) for trace in lengths["data"]) == task_calls
    top_owner = api.cost_by_team_feature(sample_db, task_scope).row(0, named=True)
    assert owners["data"][0]["y"][-1] == f"{top_owner['team']} · {top_owner['feature']}"
    assert sum(value for trace in daily["data"] for value in trace["y"] if value) == pytest.approx(
        model_costs["cost_usd"].sum()
    )


def test_tier_mix_matrix_flow_and_measure(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, "views/tier_mix.py")
    scope = default_scope(sample_db)
    matrix, share, flow = figures(app)
    mix = api.tier_mix(sample_db, scope)
    assert sum(value or 0 for row in matrix["data"][0]["z"] for value in row) == mix["requests"].sum()
    expected_flow = api.model_flow(sample_db, scope).sort("requests", descending=True).head(20)
    assert flow["data"][0]["link"]["value"] == expected_flow["requests"].to_list()
    assert [trace["name"] for trace in share["data"]] == ["tier1", "tier2", "tier3", "untiered"]

    app.segmented_control(key="matrix").set_value("calls").run()
    calls = figures(app)[0]["data"][0]
    assert sum(value or 0 for row in calls["z"] for value in row) == mix["calls"].sum()
    app.segmented_control(key="matrix").set_value("cost_usd").run()
    spend = figures(app)[0]["data"][0]
    assert sum(value or 0 for row in spend["z"] for value in row) == pytest.approx(mix["cost_usd"].sum())
    assert any(text.startswith("$") for row in spend["text"] for text in row)
    app.segmented_control(key="share").set_value("cost_usd").run()
    assert figures(app)[1]["layout"]["yaxis"]["title"]["text"] == "share of spend (%)"


def test_drift_page_states_the_rule_and_shows_flags_and_windows(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, "views/drift.py")
    scope = default_scope(sample_db)
    said = texts(app)
    assert "more than 15% above its baseline" in said and "1-day window" in said and "50 requests" in said
    flagged = api.drift_flags(sample_db, scope).filter(pl.col("is_flagged"))
    assert not flagged.is_empty(), "the demo month has a drifting task type"
    table = shown_table(app)
    assert table["task_type"].to_list() == flagged["task_type"].to_list()
    assert table["escalation_rate"].to_list() == pytest.approx(flagged["escalation_rate"].to_list())
    windows = api.escalation_by_window(sample_db, scope)
    charts = figures(app)
    assert [chart["layout"]["title"]["text"] for chart in charts][: flagged.height] == flagged["task_type"].to_list()
    # one panel per task type with a judged window, most severe first; unknown (never judged) has none
    judged = api.drift_flags(sample_db, scope).with_columns(
        (pl.col("escalation_rate") / pl.col("limit_rate")).alias("severity")
    )
    severity = dict(judged.select("task_type", "severity").rows())
    titles = [chart["layout"]["title"]["text"] for chart in charts]
    assert sorted(titles) == sorted(set(windows.filter(pl.col("is_judged"))["task_type"]))
    assert "unknown" not in titles and "Not drawn: unknown" in texts(app)
    unflagged = titles[flagged.height :]
    assert [severity[task] for task in unflagged] == sorted((severity[task] for task in unflagged), reverse=True)
    first = windows.filter(pl.col("task_type") == flagged["task_type"][0])
    assert len(charts[0]["data"][3]["x"]) == first["is_flagged"].sum()
    for chart in charts:
        assert chart["layout"]["yaxis"]["title"]["text"] == "escalation rate (%)"
        rows = windows.filter(pl.col("task_type") == chart["layout"]["title"]["text"]).sort("window_start")
        drawn = chart["data"][0]["y"]
        assert [rate is None for rate in drawn] == [requests < 50 for requests in rows["requests"].to_list()]


def test_data_page_counts_history_quarantine_and_config(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path, "views/data.py")
    scope = default_scope(sample_db)
    quality = api.data_quality(sample_db, scope).row(0, named=True)
    shown = metrics(app)
    assert shown["Calls"].value == count(quality["calls"])
    assert shown["No served model"].value == count(quality["unattributed_calls"])
    assert shown["Unpriced"].value == count(quality["unpriced_calls"])
    assert shown["Quarantined"].value == count(quality["quarantined"])
    assert "Up to 200 MB per file" in app.file_uploader[0].label

    tables = {tuple(table.value.columns): pl.from_pandas(table.value) for table in app.dataframe}
    history = next(frame for columns, frame in tables.items() if "ingest_id" in columns)
    assert history["rows_read"].to_list() == api.ingest_history(sample_db)["rows_read"].to_list()
    rejected = next(frame for columns, frame in tables.items() if "record_sha256" in columns)
    assert rejected.height == api.quarantine(sample_db).height > 0
    # calls with task type unknown: the rules that would catch them (the sample has 60 tagged env:prod / env:staging)
    hints = next(frame for columns, frame in tables.items() if "rule_yaml" in columns)
    assert hints["rule_yaml"].to_list() == api.unknown_task_hints(sample_db, scope)["rule_yaml"].to_list()
    assert '- tag_prefix: "env:"' in hints["rule_yaml"].to_list()
    unpriced = next(frame for columns, frame in tables.items() if "model_name" in columns)
    assert unpriced["model_name"].to_list() == api.unpriced_models(sample_db, scope)["model_name"].to_list()
    summary = next(frame for columns, frame in tables.items() if "calls_with_reported_cost" in columns)
    assert summary["disagreeing_calls"].sum() == api.cost_reconciliation(sample_db, scope).height
    book = next(frame for columns, frame in tables.items() if "input_usd_per_1m_tokens" in columns)
    assert book.height == api.price_book(sample_db).filter(pl.col("price_variant") == "standard").height
    assert [code.value for code in app.code][0] == api.quarantine(sample_db)["known_fields"][0]


def test_filters_in_the_url_narrow_every_page(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    values = api.filter_values(sample_db)
    task_type = values.filter(pl.col("dimension") == "task_type")["value"][0]
    teams = values.filter(pl.col("dimension") == "team")["value"].head(2).to_list()
    app = open_app(sample_db_path, query={"task": task_type, "team": teams})
    assert [(widget.label, widget.value) for widget in app.sidebar.multiselect][:2] == [
        ("Task types", [task_type]),
        ("Teams", teams),
    ]
    assert app.query_params == {"task": task_type, "team": teams}
    scope = default_scope(sample_db, task_types=(task_type,), teams=tuple(teams))
    assert metrics(app)["Spend"].value == money(api.kpis(sample_db, scope)["cost_usd"][0])
    app.switch_page("views/task_costs.py").run()
    assert [widget.value for widget in app.sidebar.multiselect][:2] == [[task_type], teams]
    table = shown_table(app)
    assert table["task_type"].to_list() == [task_type]
    assert table["cost_usd"][0] == pytest.approx(api.task_costs(sample_db, scope)["cost_usd"][0])


@pytest.mark.parametrize("page", DATA_PAGES)
def test_a_filter_that_matches_nothing_says_so(build_db: BuildDb, tmp_path: Path, open_app: OpenApp, page: str) -> None:
    build_db([record("a", team="support"), record("b", task_type="extraction", team="platform")]).close()
    app = open_app(tmp_path / "calls.duckdb", page, query={"task": "extraction", "team": "support"})
    said = texts(app)
    assert "No calls match these filters" in said
    assert "(2026-11-20 → 2026-11-20 (1 day) · task types: extraction · teams: support)" in said
    assert not app.get("plotly_chart") and not app.dataframe


@pytest.fixture
def empty_db_path(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    connect(path).close()
    return path


def test_an_empty_database_shows_how_to_load_data(empty_db_path: Path, open_app: OpenApp) -> None:
    for page in DATA_PAGES:
        app = open_app(empty_db_path, page)
        said = texts(app)
        assert "No calls loaded yet" in said and f"tierscope ingest PATH... --db {empty_db_path}" in said
        assert not app.get("plotly_chart") and not app.metric and len(app.title) == 1
    data = open_app(empty_db_path, "views/data.py")
    assert data.file_uploader and "Nothing loaded yet." in texts(data)


def jsonl(records: list[dict[str, Any]], extra_lines: tuple[str, ...] = ()) -> bytes:
    return ("".join(json.dumps(record) + "\n" for record in records) + "".join(extra_lines)).encode()


def record(request_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "started_at": "2026-11-20T10:00:00Z",
        "task_type": "classification",
        "requested_model": "tier1",
        "served_model": "gpt-4o-mini",
        "team": "support",
        "input_tokens": 1000,
        "output_tokens": 20,
        **fields,
    }


def test_an_upload_is_ingested_and_its_four_numbers_shown(empty_db_path: Path, open_app: OpenApp) -> None:
    app = open_app(empty_db_path, "views/data.py")
    content = jsonl([record("a"), record("b"), record("c"), record("a")], ('{"request_id": "d", oops\n',))
    unreadable = b"colour,size\nred,3\n"
    app.file_uploader[0].set_value(
        [("calls.jsonl", content, "application/json"), ("notes.csv", unreadable, "text/csv")]
    )
    app.form_submit_button[0].click().run()
    assert not app.exception, [exception.message for exception in app.exception]
    shown = metrics(app)
    assert [shown[label].value for label in ("Rows read", "Loaded", "Duplicates", "Quarantined")] == [
        "5",
        "3",
        "1",
        "1",
    ]
    files = shown_table(app)
    # a file that was not loaded has no counts: "—", never "None" (the column is text then, formatted as counts)
    assert files.select("file", "loaded").rows() == [("calls.jsonl", "3"), ("notes.csv", "—")]
    assert "no reader recognises this file" in files["error"][1]
    con = connect(empty_db_path)
    try:
        ledger = api.ingest_history(con).row(0, named=True)
        assert (ledger["rows_read"], ledger["loaded"], ledger["duplicates"], ledger["quarantined"]) == (5, 3, 1, 1)
        assert ledger["source"] == "upload:calls.jsonl"
    finally:
        con.close()
    assert shown["Calls"].value == "3", "after the upload the page shows the loaded calls"
    assert app.sidebar.date_input[0].value == (dt.date(2026, 11, 20), dt.date(2026, 11, 20))


def on_day(request_id: str, day: dt.date, **fields: Any) -> dict[str, Any]:
    """One classification call at noon on ``day``."""
    return record(request_id, started_at=f"{day:%Y-%m-%d}T12:00:00Z", **fields)


def test_the_default_window_follows_the_data_and_compares_equal_days_with_data(
    build_db: BuildDb, tmp_path: Path, open_app: OpenApp
) -> None:
    # 20 days with calls (Nov 1-20), 5 quiet days, 14 more (Nov 26 - Dec 9): the window is the last 14 days with
    # calls, and the changes compare them with the 14 days with calls before (Nov 7-20), not with Nov 12-25, which
    # has only 9 of them
    first = dt.date(2026, 11, 1)
    days = [first + dt.timedelta(days=offset) for offset in (*range(20), *range(25, 39))]
    calls = [on_day(f"{day}-{index}", day) for day in days for index in range(1 + (day.day % 3))]
    con = build_db(calls)
    app = open_app(tmp_path / "calls.duckdb")
    assert app.sidebar.date_input[0].value == (dt.date(2026, 11, 26), dt.date(2026, 12, 9))
    caption = str(app.caption[0].value)
    assert "14 days with data" in caption
    assert "changes against the 14 days with data before it (2026-11-07 → 2026-11-25)" in caption
    now = api.kpis(con, Scope(dt.date(2026, 11, 26), dt.date(2026, 12, 10))).row(0, named=True)
    then = api.kpis(con, Scope(dt.date(2026, 11, 7), dt.date(2026, 11, 26))).row(0, named=True)
    assert metrics(app)["Requests"].delta == change(now["requests"], then["requests"])


def test_a_partial_comparison_period_is_said_in_words_not_as_a_percentage(
    build_db: BuildDb, tmp_path: Path, open_app: OpenApp
) -> None:
    # 18 days with calls: the default window holds the last 14, the period before only 4
    first = dt.date(2026, 11, 1)
    build_db([on_day(f"c{offset}", first + dt.timedelta(days=offset)) for offset in range(18)])
    app = open_app(tmp_path / "calls.duckdb")
    caption = str(app.caption[0].value)
    assert "has only 4 days with data against 14 here, so no change is shown" in caption
    shown = metrics(app)
    assert all(shown[label].delta in (None, "") for label in ("Spend", "Requests", "Cost per 1K requests"))


def test_a_link_with_values_the_data_lacks_says_what_it_ignored(
    sample_db_path: Path, sample_db: duckdb.DuckDBPyConnection, open_app: OpenApp
) -> None:
    query = {"task": ["no_such_task", "reasoning"], "team": "nobody", "dates": ["2019-01-01", "2019-01-31"]}
    app = open_app(sample_db_path, query=query)
    [warning] = [str(element.value) for element in app.warning]
    assert "ignored task 'no_such_task' from the link: no call has it" in warning
    assert "ignored team 'nobody' from the link" in warning
    span = api.days_with_data(sample_db)["day"]
    assert f"ignored date 2019-01-01 from the link: the data covers {span[0]:%Y-%m-%d} → {span[-1]:%Y-%m-%d}" in warning
    # what could be applied is: the known task type, and the default window instead of the impossible dates
    assert "task types: reasoning" in str(app.caption[0].value)
    assert app.sidebar.date_input[0].value == (default_scope(sample_db).start, span[-1])
    app.run()
    assert not app.warning, "said once: the link no longer carries what was ignored"


def test_tables_show_no_none_and_zero_escalations_as_zero(build_db: BuildDb, tmp_path: Path, open_app: OpenApp) -> None:
    # one task type no call escalated; one with no price at all
    build_db([record("a"), record("b", task_type="labeling", served_model="house-model-7b")])
    app = open_app(tmp_path / "calls.duckdb", "views/task_costs.py")
    table = shown_table(app)
    rows = {row["task_type"]: row for row in table.iter_rows(named=True)}
    assert rows["classification"]["escalation_rate"] == 0.0
    assert rows["labeling"]["cost_per_request_p50_usd"] == "unpriced"
    for page in ("views/task_costs.py", "views/audit.py", "views/whatif.py"):
        app.switch_page(page).run()
        for frame in app.dataframe:
            assert not frame.value.isna().to_numpy().any(), (page, frame.value)


def test_an_unpriced_model_shows_as_unpriced_never_as_zero(
    build_db: BuildDb, tmp_path: Path, open_app: OpenApp
) -> None:
    con = build_db(
        [
            record("a"),
            record("b", served_model="gpt-4o"),
            record("c", task_type="labeling", served_model="house-model-7b"),
            record("d", task_type="labeling", served_model="house-model-7b"),
        ]
    )
    scope = default_scope(con)
    app = open_app(tmp_path / "calls.duckdb")
    shown = metrics(app)
    assert shown["Unpriced calls"].value == "2"
    assert shown["Spend"].value == money(api.kpis(con, scope)["cost_usd"][0])
    app.switch_page("views/task_costs.py").run()
    costs = dict(shown_table(app).select("task_type", "cost_usd").iter_rows())
    assert costs["labeling"] == "unpriced", "never $0.00, never None"
    app.selectbox(key="drill").set_value("labeling").run()
    models = figures(app)[0]
    assert [text for trace in models["data"] for text in trace["text"]] == ["  unpriced (2 calls)"]
    app.switch_page("views/data.py").run()
    unpriced = next(pl.from_pandas(t.value) for t in app.dataframe if "model_name" in t.value.columns)
    assert unpriced.select("model_name", "calls").rows() == [("house-model-7b", 2)]


# The marts written for these pages, on a handful of calls whose results are computed by hand. Prices (USD per 1M
# tokens, config/prices.yaml): gpt-4o-mini 0.15 in / 0.60 out, gpt-4o 2.50 in / 10.00 out; house-model-7b has none.
# classification defaults to tier1 (gpt-4o-mini's tier); gpt-4o is tier2.
HAND_CALLS = [
    # t1: served as asked, 1000 in / 100 out -> 150e-6 + 60e-6 = $0.00021 (reported: the same)
    record("t1", trace_id="t1", team="support", feature="triage", output_tokens=100, reported_cost_usd=0.00021),
    # tr2: asked tier1 (2000 / 50 -> $0.00033), escalated to gpt-4o (2000 / 100 -> $0.005 + $0.001 = $0.006)
    record("tr2-a", trace_id="tr2", team="support", feature="triage", input_tokens=2000, output_tokens=50),
    record(
        "tr2-b",
        trace_id="tr2",
        started_at="2026-11-20T10:00:05Z",
        requested_model="gpt-4o",
        served_model="gpt-4o",
        escalated=True,
        team="support",
        feature="triage",
        input_tokens=2000,
        output_tokens=100,
    ),
    # t3: asked gpt-4o directly, 1000 / 10 -> $0.0025 + $0.0001 = $0.0026 (reported $0.003: disagrees)
    record(
        "t3",
        requested_model="gpt-4o",
        served_model="gpt-4o",
        team="growth",
        feature="digest",
        output_tokens=10,
        reported_cost_usd=0.003,
    ),
    # t4: asked gpt-4o-mini, answered by an unpriced model (a fallback)
    record(
        "t4",
        task_type="extraction",
        requested_model="gpt-4o-mini",
        served_model="house-model-7b",
        team="platform",
        input_tokens=500,
    ),
    # t5: no served model: priced by the requested gpt-4o-mini, 1000 / 0 -> $0.00015
    record(
        "t5", task_type="extraction", requested_model="gpt-4o-mini", served_model=None, team="platform", output_tokens=0
    ),
]


@pytest.fixture
def hand_db(build_db: BuildDb) -> Iterator[duckdb.DuckDBPyConnection]:
    con = build_db([{key: value for key, value in call.items() if value is not None} for call in HAND_CALLS])
    yield con
    con.close()


def test_kpis_mart_by_hand(hand_db: duckdb.DuckDBPyConnection) -> None:
    expected = pl.DataFrame(
        {
            "requests": [5],
            "calls": [6],
            "cost_usd": [0.00929],
            "cost_per_1k_requests_usd": [1.858],
            "unpriced_calls": [1],
            "unattributed_calls": [1],
            "flagged_task_types": [0],
        }
    )
    assert_frame_equal(api.kpis(hand_db), expected, check_dtypes=False)
    before = api.previous_period(Scope(dt.date(2026, 11, 20), dt.date(2026, 11, 22)))
    assert before == Scope(dt.datetime(2026, 11, 18), dt.datetime(2026, 11, 20))
    assert api.kpis(hand_db, before)["calls"][0] == 0
    assert api.data_version(hand_db) == 1, "the one ingest has reached the derived tables"


def test_savings_opportunity_mart_by_hand(hand_db: duckdb.DuckDBPyConnection) -> None:
    expected = pl.DataFrame(
        {
            "task_type": ["classification"],
            "default_tier": ["tier1"],
            "calls": [4],
            "cost_usd": [0.00914],
            "above_default_calls": [2],
            "above_default_cost_usd": [0.0086],
            "above_default_unpriced_calls": [0],
            "requested_above_default_calls": [2],
            "requested_above_default_cost_usd": [0.0086],
            "above_default_cost_share": [0.0086 / 0.00914],
        }
    )
    assert_frame_equal(api.savings_opportunity(hand_db), expected, check_dtypes=False)


def test_model_flow_mart_by_hand(hand_db: duckdb.DuckDBPyConnection) -> None:
    expected = pl.DataFrame(
        {
            "requested_model": ["gpt-4o", "gpt-4o-mini", "gpt-4o-mini", "tier1"],
            "requested_tier": ["tier2", "tier1", "tier1", "tier1"],
            "served_model": ["gpt-4o", "(unattributed)", "house-model-7b", "gpt-4o"],
            "served_tier": ["tier2", "untiered", "untiered", "tier2"],
            "requests": [1, 1, 1, 1],
            # t3 counts as escalated: its final tier is above classification's default (docs/concepts.md)
            "escalated_requests": [1, 0, 0, 1],
            "cost_usd": [0.0026, 0.00015, None, 0.00633],
        }
    )
    assert_frame_equal(api.model_flow(hand_db), expected, check_dtypes=False)


def test_model_costs_and_team_feature_marts_by_hand(hand_db: duckdb.DuckDBPyConnection) -> None:
    models = api.model_costs(hand_db).select(
        "task_type", "served_model", "served_tier", "requests", "calls", "cost_usd"
    )
    expected_models = pl.DataFrame(
        {
            "task_type": ["classification", "classification", "extraction", "extraction"],
            "served_model": ["gpt-4o", "gpt-4o-mini", "(unattributed)", "house-model-7b"],
            "served_tier": ["tier2", "tier1", "untiered", "untiered"],
            # requests count the traces a model answered (their last call): the escalated trace's first call on
            # gpt-4o-mini counts as a call there, its request on gpt-4o
            "requests": [2, 1, 1, 1],
            "calls": [2, 2, 1, 1],
            "cost_usd": [0.0086, 0.00054, 0.00015, None],
        }
    )
    assert_frame_equal(models, expected_models, check_dtypes=False)
    owners = api.cost_by_team_feature(hand_db).select(
        "team", "feature", "requests", "calls", "cost_usd", "unpriced_calls"
    )
    expected_owners = pl.DataFrame(
        {
            "team": ["support", "growth", "platform"],
            "feature": ["triage", "digest", "(none)"],
            "requests": [2, 1, 2],
            "calls": [3, 1, 2],
            "cost_usd": [0.00654, 0.0026, 0.00015],
            "unpriced_calls": [0, 0, 1],
        }
    )
    assert_frame_equal(owners, expected_owners, check_dtypes=False)


def test_data_marts_by_hand(hand_db: duckdb.DuckDBPyConnection) -> None:
    unattributed = api.unattributed_calls(hand_db).select("requested_model", "task_type", "calls", "cost_usd")
    assert unattributed.rows() == [("gpt-4o-mini", "extraction", 1, pytest.approx(0.00015))]
    summary = api.reconciliation_summary(hand_db).select(
        "model", "calls_with_reported_cost", "reported_cost_usd", "computed_cost_usd", "disagreeing_calls"
    )
    assert summary.rows() == [
        ("gpt-4o", 1, pytest.approx(0.003), pytest.approx(0.0026), 1),
        ("gpt-4o-mini", 1, pytest.approx(0.00021), pytest.approx(0.00021), 0),
    ]
    values = api.filter_values(hand_db).filter(pl.col("dimension") != "provider")
    assert values.rows() == [
        ("task_type", "classification", 4),
        ("task_type", "extraction", 2),
        ("team", "support", 3),
        ("team", "platform", 2),
        ("team", "growth", 1),
    ]
    mini = api.price_book(hand_db).filter((pl.col("model") == "gpt-4o-mini") & (pl.col("price_variant") == "standard"))
    assert mini.select(
        "tier", "input_usd_per_1m_tokens", "output_usd_per_1m_tokens", "cache_write_usd_per_1m_tokens"
    ).rows() == [("tier1", 0.15, 0.60, 0.15)]


def test_output_length_histogram_mart_by_hand(hand_db: duckdb.DuckDBPyConnection) -> None:
    # classification outputs 100, 50, 100, 10: the 99th percentile is 100, so two bins of 50 tokens, and the calls
    # at or above 2 x 50 in the overflow bin
    histogram = api.output_length_histogram(hand_db, Scope(task_types=("classification",)), bins=2)
    assert histogram.select("bin_start_tokens", "bin_end_tokens", "is_overflow", "calls").rows() == [
        (0, 50, False, 1),
        (50, 100, False, 1),
        (100, None, True, 2),
    ]
    assert histogram["expected_output_tokens"].unique().to_list() == [20]
    with pytest.raises(ValueError, match="bins must be at least 1"):
        api.output_length_histogram(hand_db, bins=0)
