"""The routing pages (What-if, Profiling, Task profile audit) run headless on the demo month with its profiling run.

What a page shows is compared with what the simulator and the query layer return for the same scope, formatted the
way the dashboard formats it; edits to the data editors are made the way AppTest allows (the editor's edit state set
before a run), and the exported files are read back from the download buttons.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Multiselect, PageLink

from tests.conftest import SAMPLE_LOGS
from tests.test_dashboard_pages import OpenApp, default_scope, figures, metrics, open_app, texts
from tierscope.dashboard import session
from tierscope.format import count, money, percent
from tierscope.ingest.profiling import load_profiling
from tierscope.queries import api, scenario
from tierscope.queries.config import Routing, load_routing
from tierscope.queries.db import connect
from tierscope.queries.scenario import routing_diff, routing_yaml, with_task_tiers

__all__ = ["open_app"]  # the fixture, shared with the other page tests

WHATIF, PROFILING, AUDIT = "views/whatif.py", "views/profiling.py", "views/audit.py"
EDITED = "edited map"
PROFILING_RESULTS = SAMPLE_LOGS / "profiling_results.jsonl"
Downloads = Callable[[AppTest, str], str]


@pytest.fixture(scope="module")
def profiled_db_path(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo month with the sample profiling run loaded (as `tierscope demo` builds it)."""
    path = tmp_path_factory.mktemp("profiled") / "profiled.duckdb"
    shutil.copy(sample_db_path, path)
    con = connect(path)
    load_profiling(con, PROFILING_RESULTS)
    con.close()
    return path


@pytest.fixture
def profiled_db(profiled_db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(profiled_db_path)
    yield con
    con.close()


@pytest.fixture
def routing() -> Routing:
    return load_routing()


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    """The text behind a download button, read from the media storage AppTest keeps it in."""
    storages: list[MemoryMediaFileStorage] = []

    class Recorded(MemoryMediaFileStorage):
        def __init__(self, media_endpoint: str) -> None:
            super().__init__(media_endpoint)
            storages.append(self)

    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", Recorded)

    def read(app: AppTest, label: str) -> str:
        button = next(button for button in app.get("download_button") if getattr(button, "label", None) == label)
        file_id = button.proto.url.rsplit("/", 1)[-1]
        return bytes(storages[-1].get_file(file_id).content).decode()

    return read


def edit(app: AppTest, key: str, rows: dict[int, dict[str, Any]]) -> AppTest:
    """Edit cells of a keyed data editor (row position -> column -> value) and rerun, as a user's edit would."""
    app.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    app.run()
    assert not app.exception, [exception.message for exception in app.exception]
    return app


def save_scenario(app: AppTest, name: str) -> None:
    app.text_input(key="whatif_scenario_name").set_value(name)
    app.button(key="whatif_save").click().run()
    assert not app.exception, [exception.message for exception in app.exception]


def page_links(app: AppTest) -> list[PageLink]:
    return [link for link in app.get("page_link") if isinstance(link, PageLink)]


def compare(app: AppTest) -> Multiselect[str]:
    return next(widget for widget in app.multiselect if widget.label == "Scenarios to compare")


def task_row(routing: Routing, task_type: str) -> int:
    """The task type's row in the task -> tier editor (routing.yaml's task types come first, in its order)."""
    return list(routing.tasks).index(task_type)


def frame_with(app: AppTest, column: str) -> pl.DataFrame:
    return next(pl.from_pandas(table.value) for table in app.dataframe if column in table.value.columns)


def assert_totals_shown(app: AppTest, by_task: pl.DataFrame) -> None:
    total = scenario.summarize(by_task).row(0, named=True)
    shown = metrics(app)
    assert shown["Savings of the edited map"].value == money(total["map_savings_usd"])
    if total["map_savings_usd"]:
        assert shown["Savings of the edited map"].delta == percent(total["map_savings_pct"])
    assert shown["Savings per 30-day month"].value == money(total["monthly_map_savings_usd"])
    assert shown["Scenario cost"].value == money(total["scenario_cost_usd"])
    assert shown["Repricing of what was served"].value == money(total["repricing_usd"])
    assert "cost per UTC day with traffic x 30" in texts(app)
    assert shown["Guarded calls"].value == count(total["guarded_calls"])
    assert shown["Expected escalations"].value == count(total["expected_escalations"])
    assert shown["Traces without evidence"].value == count(total["traces_without_evidence"])


def test_whatif_page_shows_the_simulators_numbers_for_the_current_map(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path, WHATIF)
    scope = default_scope(profiled_db)
    by_task = scenario.whatif(profiled_db, {EDITED: routing}, scope)
    assert_totals_shown(app, by_task)

    tasks, tiers = (pl.from_pandas(editor.value) for editor in app.data_editor)
    seen = api.filter_values(profiled_db).filter(pl.col("dimension") == "task_type")["value"]
    assert tasks["task_type"].to_list() == [*routing.tasks, *sorted(set(seen) - set(routing.tasks))]
    assert tasks.filter(pl.col("task_type") == "unknown").row(0) == ("unknown", False, "tier2", "tier2")
    assert tiers["model"].to_list() == [models[0] for models in routing.tiers.values()]

    table = frame_with(app, "map_savings_usd")
    same = [column for column in table.columns if column in by_task.columns]
    assert_frame_equal(table.select(same), by_task.select(same), check_dtypes=False)
    chart = figures(app)[0]
    drawn = {task: value for trace in chart["data"] for task, value in zip(trace["y"], trace["x"], strict=True)}
    assert drawn == pytest.approx(dict(by_task.select("task_type", pl.col("map_savings_usd").fill_null(0)).rows()))
    assert [trace["name"] for trace in chart["data"]] == ["routed to tier1", "routed to tier2", "routed to tier3"]


def test_an_unedited_map_saves_exactly_nothing_on_the_page(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path, WHATIF)
    shown = metrics(app)
    assert shown["Savings of the edited map"].value == "$0.00" and not shown["Savings of the edited map"].delta
    assert shown["Savings per 30-day month"].value == "$0.00"
    # the cents the current map itself reprices are there, apart, and named
    total = scenario.summarize(scenario.whatif(profiled_db, {EDITED: routing}, default_scope(profiled_db)))
    assert total["repricing_usd"][0] != 0
    assert shown["Repricing of what was served"].value == money(total["repricing_usd"][0])
    chart = figures(app)[0]
    assert {value for trace in chart["data"] for value in trace["x"]} == {0.0}
    low, high = chart["layout"]["xaxis"]["range"]
    largest = total["current_map_cost_usd"][0] and frame_with(app, "map_savings_usd")["current_map_cost_usd"].max()
    assert low == -high and high >= 0.02 * largest, "no bar of cents drawn across the whole axis"


def test_editing_a_task_tier_reprices_it_as_the_simulator_does(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path, WHATIF)
    edit(app, "whatif_task_tiers", {task_row(routing, "reasoning"): {"tier": "tier2"}})
    scope = default_scope(profiled_db)
    by_task = scenario.whatif(profiled_db, {EDITED: with_task_tiers(routing, {"reasoning": "tier2"})}, scope)
    assert_totals_shown(app, by_task)
    reasoning = frame_with(app, "map_savings_usd").filter(pl.col("task_type") == "reasoning").row(0, named=True)
    assert reasoning["move"] == "tier3 → tier2"
    assert reasoning["map_savings_usd"] > 0, "reasoning on tier2 is cheaper than on tier3"
    assert by_task["expected_escalations"].sum() > 0

    # the diff against routing.yaml is shown and names the move
    diff = next(code.value for code in app.code if code.language == "diff")
    expected_diff = routing_diff(routing, with_task_tiers(routing, {"reasoning": "tier2"}), "edited_map")
    assert diff == expected_diff.rstrip("\n")
    assert "-    tier: tier3\n+    tier: tier2" in diff


def test_an_invalid_map_is_explained_in_words(profiled_db_path: Path, open_app: OpenApp, routing: Routing) -> None:
    app = open_app(profiled_db_path, WHATIF)
    taken = routing.tiers["tier2"][0]
    edit(app, "whatif_tier_models", {0: {"model": taken}})
    said = "\n".join(str(error.value) for error in app.error)
    assert "The edited map is not a valid routing map" in said
    assert f"model '{taken}' is in both 'tier1' and 'tier2'" in said
    assert "Scenario cost" not in metrics(app), "an invalid map is not simulated"
    assert "Nothing to export yet" in texts(app)


def test_the_exported_files_follow_the_edited_map(
    profiled_db_path: Path, open_app: OpenApp, downloads: Downloads, routing: Routing
) -> None:
    app = open_app(profiled_db_path, WHATIF)
    new_first = routing.tiers["tier1"][1]
    edit(app, "whatif_tier_models", {0: {"model": new_first}})
    config = yaml.safe_load(downloads(app, "LiteLLM proxy config"))
    aliases = {
        entry["model_name"]: entry["litellm_params"]["model"]
        for entry in config["model_list"]
        if entry["model_name"] in routing.tiers
    }
    assert list(aliases) == list(routing.tiers)
    # the tag-routed deployment of tier1 (order 1) too
    assert config["model_list"][0]["litellm_params"]["model"] == aliases["tier1"]
    assert aliases["tier1"].endswith(f"/{new_first}")
    assert aliases["tier2"].endswith(f"/{routing.tiers['tier2'][0]}")
    assert config["router_settings"]["fallbacks"] == [{"tier1": ["tier2"]}, {"tier2": ["tier3"]}]

    exported = Routing.model_validate(yaml.safe_load(downloads(app, "routing.yaml")))
    # the new model replaces the old first one: calls the old one served are repriced at the new one
    assert exported.tiers["tier1"] == [
        new_first,
        *(model for model in routing.tiers["tier1"][1:] if model != new_first),
    ]
    assert exported.tasks == routing.tasks
    assert downloads(app, "routing.yaml") == routing_yaml(exported)
    assert downloads(app, "Diff against routing.yaml") == routing_diff(routing, exported, "edited_map")


def test_two_saved_scenarios_are_compared_side_by_side(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path, WHATIF)
    assert "Save the edited map above" in texts(app)
    edit(app, "whatif_task_tiers", {task_row(routing, "reasoning"): {"tier": "tier2"}})
    save_scenario(app, "cheaper reasoning")
    edit(app, "whatif_task_tiers", {task_row(routing, "summarization"): {"tier": "tier1"}})
    save_scenario(app, "cheaper summaries")

    saved = {
        "cheaper reasoning": with_task_tiers(routing, {"reasoning": "tier2"}),
        "cheaper summaries": with_task_tiers(routing, {"summarization": "tier1"}),
    }
    assert app.session_state[session.SAVED_KEY] == saved
    compared = scenario.whatif(profiled_db, saved, default_scope(profiled_db))
    expected = scenario.summarize(compared)
    assert compare(app).value == list(saved)
    table = frame_with(app, "map_savings_pct")
    assert_frame_equal(table, expected.select(table.columns), check_dtypes=False)
    per_task = frame_with(app, "cheaper summaries tier")
    summaries = per_task.filter(pl.col("task_type") == "summarization").row(0, named=True)
    assert summaries["cheaper summaries tier"] == "tier1" and summaries["cheaper reasoning tier"] == "tier2"
    comparison = next(figure for figure in figures(app) if figure["data"][0]["y"] == list(saved))
    assert comparison["data"][0]["x"] == pytest.approx(expected["monthly_scenario_cost_usd"].to_list())

    compare(app).set_value(["cheaper summaries"]).run()
    assert frame_with(app, "map_savings_pct")["scenario"].to_list() == ["cheaper summaries"]
    assert [option for option in app.selectbox(key="whatif_export").options] == [EDITED, *saved]


def test_profiling_page_shows_pass_rates_recommendation_and_projection(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(profiled_db_path, PROFILING)
    said = texts(app)
    assert "at least 95% (**route**)" in said and "85% to 95%" in said

    rates = api.profiling_pass_rates(profiled_db)
    shown_rates = frame_with(app, "avg_latency_ms")
    same = [column for column in shown_rates.columns if column in rates.columns]
    assert_frame_equal(shown_rates.select(same), rates.select(same), check_dtypes=False)
    low, high = rates.row(0, named=True)["pass_rate_low"], rates.row(0, named=True)["pass_rate_high"]
    assert shown_rates["interval"][0] == f"{100 * low:.1f}%–{100 * high:.1f}%"
    chart, projection_chart = figures(app)
    tier1 = next(trace for trace in chart["data"] if trace["name"] == "tier1")
    expected_tier1 = rates.filter(pl.col("tier") == "tier1").sort("task_type")
    assert tier1["y"] == pytest.approx(expected_tier1["pass_rate"].to_list())
    assert tier1["error_y"]["arrayminus"] == pytest.approx(
        (expected_tier1["pass_rate"] - expected_tier1["pass_rate_low"]).to_list()
    )

    recommendation = api.profiling_recommendation(profiled_db)
    shown = frame_with(app, "reason")
    same = ["task_type", "decision", "reason"]
    assert_frame_equal(shown.select(same), recommendation.select(same), check_dtypes=False)
    assert "reasoning tier3 → tier2" in said

    projection = scenario.monthly_projection(profiled_db, load_routing(), recommendation, default_scope(profiled_db))
    monthly = dict(projection.group_by("map_name").agg(pl.col("monthly_cost_usd").sum()).iter_rows())
    values = {label: metric.value for label, metric in metrics(app).items()}
    assert values == {
        "Per 30-day month, all on the top tier": money(monthly["all_frontier"]),
        "Per 30-day month, current map": money(monthly["current"]),
        "Per 30-day month, recommended map": money(monthly["recommended"]),
    }
    totals = next(trace for trace in projection_chart["data"] if trace["type"] == "scatter")
    assert totals["x"] == pytest.approx([monthly["all_frontier"], monthly["current"], monthly["recommended"]])


def test_the_profiling_recommendation_is_saved_as_a_whatif_scenario(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path, PROFILING)
    app.button(key="profiling_save").click().run()
    assert not app.exception
    recommended = dict(api.profiling_recommendation(profiled_db).select("task_type", "recommended_tier").rows())
    saved: dict[str, Routing] = app.session_state[session.SAVED_KEY]
    assert list(saved) == ["recommended"]
    assert {task: profile.tier for task, profile in saved["recommended"].tasks.items()} == {
        **{task: profile.tier for task, profile in routing.tasks.items()},
        **recommended,
    }
    assert saved["recommended"].tiers == routing.tiers
    assert [link.value for link in page_links(app)] == ["Open the What-if page"]

    app.switch_page(WHATIF).run()
    assert not app.exception
    expected = scenario.summarize(scenario.whatif(profiled_db, saved, default_scope(profiled_db)))
    table = frame_with(app, "map_savings_pct")
    assert_frame_equal(table, expected.select(table.columns), check_dtypes=False)


def test_profiling_and_whatif_show_one_monthly_figure_for_the_same_map(
    profiled_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(profiled_db_path, PROFILING)
    shown = {label: metric.value for label, metric in metrics(app).items()}
    app.button(key="profiling_save").click().run()
    app.switch_page(WHATIF).run()
    compared = frame_with(app, "map_savings_pct").row(0, named=True)
    # the same map, the same traffic in view, the same basis: the same dollars
    assert money(compared["monthly_scenario_cost_usd"]) == shown["Per 30-day month, recommended map"]
    assert money(compared["monthly_current_map_cost_usd"]) == shown["Per 30-day month, current map"]
    assert "cost per UTC day with traffic x 30" in texts(app)


def test_audit_page_lists_every_task_type_with_its_warnings(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(profiled_db_path, AUDIT)
    audit = api.task_audit(profiled_db, default_scope(profiled_db))
    warnings = audit["warnings"].list.len()
    shown = metrics(app)
    assert shown["Task types"].value == count(audit.height)
    assert shown["Task types with warnings"].value == count(int((warnings > 0).sum()))
    assert shown["Warnings"].value == count(int(warnings.sum())) != "0"
    table = frame_with(app, "calls_over_guard")
    assert table["task_type"].to_list() == audit["task_type"].to_list()
    assert table["warning_count"].to_list() == warnings.to_list()
    assert table["cost_usd"].to_list() == pytest.approx(audit["cost_usd"].to_list())
    unlisted = table.filter(pl.col("task_type") == "unknown").row(0, named=True)
    assert (unlisted["tier_shown"], unlisted["quality_gate"]) == ("tier2 (default)", "—")
    styles = app.dataframe[0].proto.arrow_data.styler.styles
    assert "#FBE3D6" in styles, "rows with warnings are highlighted"
    said = texts(app)
    for sentence in audit["warnings"].explode().drop_nulls().to_list():
        assert sentence in said


def test_the_pages_honour_the_filters(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path, WHATIF, query={"task": "reasoning"})
    scope = default_scope(profiled_db, task_types=("reasoning",))
    by_task = scenario.whatif(profiled_db, {EDITED: routing}, scope)
    assert by_task["task_type"].to_list() == ["reasoning"]
    assert_totals_shown(app, by_task)
    app.switch_page(AUDIT).run()
    reasoning = frame_with(app, "calls_over_guard").filter(pl.col("task_type") == "reasoning")
    assert (
        reasoning["calls"].to_list()
        == api.task_audit(profiled_db, scope).filter(pl.col("task_type") == "reasoning")["calls"].to_list()
    )


def test_the_overviews_largest_saving_is_the_profiling_recommendation(
    profiled_db: duckdb.DuckDBPyConnection, profiled_db_path: Path, open_app: OpenApp, routing: Routing
) -> None:
    app = open_app(profiled_db_path)
    recommended = scenario.profiling_maps(routing, api.profiling_recommendation(profiled_db))["recommended"]
    by_task = scenario.whatif(profiled_db, {"recommended": recommended}, default_scope(profiled_db))
    reasoning = by_task.filter(pl.col("task_type") == "reasoning").row(0, named=True)
    assert reasoning["map_savings_usd"] == by_task["map_savings_usd"].max() > 0
    card = metrics(app)["reasoning: tier3 → tier2, per 30-day month"]
    assert card.value == money(scenario.per_month(reasoning["map_savings_usd"], reasoning["period_days"]))
    assert "Largest savings: profiling recommendation" in [header.value for header in app.subheader]
    assert "cost per UTC day with traffic x 30" in texts(app)
    assert [link.proto.page for link in page_links(app) if "recommendation" in link.value] == ["profiling"]


def test_without_a_recommendation_the_overview_shows_spend_above_default_tiers_and_says_so(
    sample_db: duckdb.DuckDBPyConnection, sample_db_path: Path, open_app: OpenApp
) -> None:
    app = open_app(sample_db_path)
    top = api.savings_opportunity(sample_db, default_scope(sample_db)).row(0, named=True)
    assert "Largest savings: spend above default tiers" in [header.value for header in app.subheader]
    assert "No profiling recommendation saves anything here" in texts(app)
    link = next(link for link in page_links(app) if link.value == "Price moving it on What-if")
    assert link.proto.page == "whatif" and top["task_type"] in link.proto.help


def test_a_profiling_upload_loads_a_run_and_fills_the_page(
    sample_db_path: Path, tmp_path: Path, open_app: OpenApp
) -> None:
    path = tmp_path / "unprofiled.duckdb"
    shutil.copy(sample_db_path, path)
    app = open_app(path, PROFILING)
    said = texts(app)
    assert "No profiling run loaded yet" in said and f"tierscope profile PATH --db {path}" in said
    assert not app.get("plotly_chart")

    app.file_uploader[0].set_value([("results.jsonl", PROFILING_RESULTS.read_bytes(), "application/json")])
    app.form_submit_button[0].click().run()
    assert not app.exception, [exception.message for exception in app.exception]
    assert "results.jsonl: profiling run 1 (a new run), 1,440 results read, 1,440 used" in texts(app)
    assert len(app.get("plotly_chart")) == 2
    con = connect(path)
    try:
        assert frame_with(app, "reason")["task_type"].to_list() == (
            api.profiling_recommendation(con)["task_type"].to_list()
        )
        assert con.execute("select source from profiling_runs").fetchall() == [("upload:results.jsonl",)]
    finally:
        con.close()

    # a file with no usable result is refused, in words, and the run above stays the latest
    unusable = b'{"prompt_id": "p1", "task_type": "reasoning", "tier": "tier1", "passed": "maybe"}\n'
    app.file_uploader[0].set_value([("broken.jsonl", unusable, "application/json")])
    app.form_submit_button[0].click().run()
    [error] = [str(element.value) for element in app.error]
    assert error.startswith("broken.jsonl: not loaded: ") and "no usable profiling result (1 read; line 1" in error
    assert "the latest run is unchanged" in error
    con = connect(path)
    try:
        assert con.execute("select count(*) from profiling_runs").fetchall() == [(1,)]
    finally:
        con.close()


@pytest.fixture
def empty_db_path(tmp_path: Path) -> Path:
    path = tmp_path / "empty.duckdb"
    connect(path).close()
    return path


def test_an_empty_database_says_how_to_load_data(empty_db_path: Path, open_app: OpenApp) -> None:
    for page in (WHATIF, AUDIT):
        said = texts(open_app(empty_db_path, page))
        assert "No calls loaded yet" in said
    profiling = open_app(empty_db_path, PROFILING)
    assert "No profiling run loaded yet" in texts(profiling) and profiling.file_uploader


def test_edited_routing_reports_problems_without_raising(routing: Routing) -> None:
    tasks = scenario.task_tier_table(routing, ["unknown", "classification"])
    tiers = scenario.tier_model_table(routing)
    assert scenario.edited_routing(routing, tasks, tiers).routing == routing
    emptied = tiers.with_columns(
        pl.when(pl.col("tier") == "tier3").then(None).otherwise(pl.col("model")).alias("model"),
        pl.when(pl.col("tier") == "tier3")
        .then(pl.lit([], pl.List(pl.String)))
        .otherwise(pl.col("other_models"))
        .alias("other_models"),
    )
    assert scenario.edited_routing(routing, tasks, emptied).problems == ("tier 'tier3' lists no model",)
    moved = tasks.with_columns(
        pl.when(pl.col("task_type") == "unknown").then(pl.lit("tier1")).otherwise(pl.col("tier")).alias("tier")
    )
    edited = scenario.edited_routing(routing, moved, tiers).routing
    assert edited is not None and edited.tasks["unknown"].tier == "tier1"
    assert edited.tasks.keys() - routing.tasks.keys() == {"unknown"}, "only a moved unlisted task type is added"
    assert scenario.file_stem("cheap reasoning / v2") == "cheap_reasoning_v2"


def test_every_dashboard_page_is_documented() -> None:
    root = Path(__file__).resolve().parent.parent
    app = (root / "tierscope" / "dashboard" / "app.py").read_text(encoding="utf-8")
    manual = (root / "docs" / "dashboard.md").read_text(encoding="utf-8")
    titles = re.findall(r'st\.Page\("views/\w+\.py", title="([^"]+)"', app)
    assert {"What-if", "Profiling", "Task profile audit"} <= set(titles)
    assert [title for title in titles if f"- **{title}**:" not in manual] == []
