"""The what-if simulator on tiny fixtures, every number computed by hand (USD per 1M tokens)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import BuildDb, write_jsonl
from tierscope.cli import main
from tierscope.ingest.profiling import load_profiling
from tierscope.queries import api, scenario
from tierscope.queries.api import Scope
from tierscope.queries.config import Routing, load_price_book, load_routing
from tierscope.queries.scenario import litellm_config, routing_diff, with_task_tiers

PRICES = """
models:
  small:
    provider: openai
    context_window: 1000
    prices:
      - {effective_from: 2025-01-01, input: 1.0, output: 2.0}
      - {effective_from: 2025-01-15, input: 2.0, output: 4.0}
  mid:
    provider: anthropic
    context_window: 100000
    prices:
      - {effective_from: 2025-01-01, input: 10.0, output: 20.0}
  big:
    context_window: 100000
    prices:
      - {effective_from: 2025-01-01, input: 100.0, output: 200.0}
"""

CURRENT = """
tiers:
  tier1: [small]
  tier2: [mid]
  tier3: [big]
default_tier: tier2
context_guard_ratio: 0.8
tasks:
  t: {tier: tier2}
  u: {tier: tier1}
"""

MOVE_T_TO_TIER1 = CURRENT.replace("t: {tier: tier2}", "t: {tier: tier1}")


def call(
    request_id: str,
    task: str,
    model: str,
    day: int,
    input_tokens: int = 100,
    output_tokens: int = 100,
    second: int = 0,
    **fields: object,
) -> dict[str, object]:
    return {
        "request_id": request_id,
        "trace_id": fields.pop("trace_id", request_id),
        "started_at": f"2025-01-{day:02d}T12:00:{second:02d}Z",
        "task_type": task,
        "served_model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        **fields,
    }


@pytest.fixture
def config(tmp_path: Path) -> dict[str, Path]:
    paths = {"prices_path": tmp_path / "prices.yaml", "routing_path": tmp_path / "routing.yaml"}
    paths["prices_path"].write_text(PRICES)
    paths["routing_path"].write_text(CURRENT)
    (tmp_path / "move.yaml").write_text(MOVE_T_TO_TIER1)
    return paths


def scenario_map(text: str, tmp_path: Path, name: str = "scenario") -> Routing:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return load_routing(path)


def by_task(con: duckdb.DuckDBPyConnection, routing: Routing, task: str) -> dict[str, object]:
    frame = scenario.whatif(con, {"s": routing})
    [row] = frame.filter(frame["task_type"] == task).to_dicts()
    return row


def test_tier_move_reprices_with_the_price_in_effect(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path
) -> None:
    # two tier2 calls before and after small's price change on the 15th
    con = build_db([call("a", "t", "mid", 10), call("b", "t", "mid", 20)], **config)
    row = by_task(con, scenario_map(MOVE_T_TO_TIER1, tmp_path), "t")
    # baseline: 2 x (100 x 10 + 100 x 20) / 1M = 0.006
    assert row["baseline_cost_usd"] == pytest.approx(0.006)
    # on small: (100 x 1 + 100 x 2) / 1M before, (100 x 2 + 100 x 4) / 1M after = 0.0003 + 0.0006
    # served on tier2, moved to cheaper tier1: expected escalation needs a pass rate; none observed for t on tier1
    assert row["scenario_cost_usd"] == pytest.approx(0.0009)
    assert (row["scenario_tier"], row["baseline_tier"], row["guarded_calls"]) == ("tier1", "tier2", 0)
    assert row["traces_without_evidence"] == 2
    assert row["savings_usd"] == pytest.approx(0.0051)


def test_current_map_reproduces_the_baseline(build_db: BuildDb, config: dict[str, Path]) -> None:
    con = build_db(
        [
            call("a", "t", "mid", 10),
            call("b1", "u", "small", 10, trace_id="b"),
            call("b2", "u", "mid", 10, trace_id="b", second=5, escalated=True),
        ],
        **config,
    )
    frame = scenario.whatif(con, {"current": load_routing(config["routing_path"])})
    assert frame["baseline_cost_usd"].to_list() == pytest.approx(frame["scenario_cost_usd"].to_list())
    assert frame["expected_escalations"].sum() == 0


def test_context_guard_moves_a_long_call_up(build_db: BuildDb, config: dict[str, Path], tmp_path: Path) -> None:
    # 900 input tokens > 0.8 x 1000 (small's window): sent to tier2 instead, and counted
    con = build_db(
        [call("long", "t", "mid", 10, input_tokens=900), call("short", "t", "mid", 10, input_tokens=800)], **config
    )
    row = by_task(con, scenario_map(MOVE_T_TO_TIER1, tmp_path), "t")
    assert row["guarded_calls"] == 1
    # long keeps mid: (900 x 10 + 100 x 20) / 1M = 0.011; short at exactly the limit fits small: (800 + 200) / 1M
    assert row["scenario_cost_usd"] == pytest.approx(0.011 + 0.001)


def test_expected_escalation_from_profiling(build_db: BuildDb, config: dict[str, Path], tmp_path: Path) -> None:
    con = build_db([call("a", "t", "mid", 10)], **config)
    results = [{"prompt_id": f"p{i}", "task_type": "t", "tier": "tier1", "passed": i < 9} for i in range(10)]
    load_profiling(con, write_jsonl(tmp_path / "profiling.jsonl", results))
    row = by_task(con, scenario_map(MOVE_T_TO_TIER1, tmp_path), "t")
    # small 0.0003 + (1 - 0.9) x the same tokens on mid 0.003
    assert row["scenario_cost_usd"] == pytest.approx(0.0003 + 0.1 * 0.003)
    assert row["expected_escalations"] == pytest.approx(0.1)
    assert row["traces_without_evidence"] == 0


def test_expected_escalation_from_observed_rate(build_db: BuildDb, config: dict[str, Path], tmp_path: Path) -> None:
    # task u starts on tier1: 4 traces, one escalated to tier2 -> observed pass rate on tier1 = 0.75
    records = [call(f"u{i}", "u", "small", 10) for i in range(3)]
    records += [
        call("e1", "u", "small", 10, trace_id="e"),
        call("e2", "u", "mid", 10, trace_id="e", second=5, escalated=True),
    ]
    records += [call("t1", "t", "mid", 10)]
    con = build_db(records, **config)
    row = by_task(con, scenario_map(CURRENT.replace("t: {tier: tier2}", "t: {tier: tier1}"), tmp_path), "t")
    assert row["traces_without_evidence"] == 1  # t itself was never on tier1
    uses_u = CURRENT.replace("t: {tier: tier2}\n  u: {tier: tier1}", "t: {tier: tier2}\n  u: {tier: tier1}")
    row_u = by_task(con, scenario_map(uses_u, tmp_path, "same"), "u")
    # the escalated trace is unchanged under the same map: it keeps its actual cost
    assert row_u["scenario_cost_usd"] == pytest.approx(row_u["baseline_cost_usd"])
    # moving t to tier1 with u's evidence is not borrowed: pass rates are per task
    t_on_tier1 = scenario.whatif(con, {"s": scenario_map(MOVE_T_TO_TIER1, tmp_path, "m")})
    assert t_on_tier1.filter(t_on_tier1["task_type"] == "u")["expected_escalations"].item() == 0


def test_observed_pass_rate_is_used_when_a_task_moves_down(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path
) -> None:
    # t was on tier1 for 4 traces (1 escalated: pass rate 0.75) and on tier2 for one trace; move it all to tier1
    records = [call(f"x{i}", "t", "small", 10) for i in range(3)]
    records += [
        call("e1", "t", "small", 10, trace_id="e"),
        call("e2", "t", "mid", 10, trace_id="e", second=5, escalated=True),
    ]
    records += [call("m", "t", "mid", 10)]
    con = build_db(records, **config)
    row = by_task(con, scenario_map(MOVE_T_TO_TIER1, tmp_path), "t")
    # x0-x2 unchanged (0.0003 each); trace e was first served on tier1: unchanged, its actual 0.0003 + 0.003;
    # trace m moves down: 0.0003 on small + 0.25 x 0.003 expected escalation
    assert row["scenario_cost_usd"] == pytest.approx(3 * 0.0003 + 0.0033 + 0.0003 + 0.25 * 0.003)
    assert row["expected_escalations"] == pytest.approx(0.25)


def test_summary_normalises_to_a_month_of_days_with_traffic(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path
) -> None:
    # two days with traffic (the 1st and the 11th) in a 15-day scope: the month is 30 / 2 of their cost, whatever
    # the scope's length (the one basis: cost per UTC day with traffic x 30)
    con = build_db([call("a", "t", "mid", 1), call("b", "t", "mid", 11)], **config)
    frame = scenario.whatif(
        con,
        {"s": scenario_map(MOVE_T_TO_TIER1, tmp_path)},
        Scope(start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 16)),
    )
    [total] = scenario.summarize(frame).to_dicts()
    assert total["period_days"] == 2
    assert total["monthly_baseline_cost_usd"] == pytest.approx(0.006 * 30 / 2)
    assert total["monthly_baseline_cost_usd"] == pytest.approx(scenario.per_month(0.006, 2))
    assert total["monthly_map_savings_usd"] == pytest.approx((0.006 - 0.0006) * 30 / 2)
    assert total["savings_pct"] == pytest.approx((0.006 - 0.0006) / 0.006)


def test_an_unedited_map_saves_exactly_nothing_and_repricing_is_apart(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path
) -> None:
    # trace x of t (a tier2 task) was served by big (tier3): the current map itself reprices it on mid
    con = build_db([call("a", "t", "mid", 10), call("x", "t", "big", 10, input_tokens=333, output_tokens=77)], **config)
    current = load_routing(config["routing_path"])
    [total] = scenario.summarize(scenario.whatif(con, {"unedited": current})).to_dicts()
    big = (333 * 100 + 77 * 200) / 1e6
    on_mid = (333 * 10 + 77 * 20) / 1e6
    assert total["baseline_cost_usd"] == pytest.approx(0.003 + big)
    assert total["current_map_cost_usd"] == pytest.approx(0.003 + on_mid)
    assert total["repricing_usd"] == pytest.approx(big - on_mid)
    assert total["map_savings_usd"] == 0.0
    assert total["monthly_map_savings_usd"] == 0.0
    # the old total keeps its meaning: actual - scenario, repricing included
    assert total["savings_usd"] == pytest.approx(big - on_mid)
    moved = scenario.summarize(scenario.whatif(con, {"move": scenario_map(MOVE_T_TO_TIER1, tmp_path)})).row(
        0, named=True
    )
    assert moved["map_savings_usd"] == pytest.approx(moved["current_map_cost_usd"] - moved["scenario_cost_usd"])
    assert moved["repricing_usd"] == pytest.approx(total["repricing_usd"])
    with pytest.raises(ValueError, match="needs a name"):
        scenario.whatif(con, {"": current})


def test_profiling_projection_is_the_whatif_figure_for_the_same_map(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path
) -> None:
    con = build_db([call(f"r{i}", "t", "mid", day) for i, day in enumerate((3, 3, 4, 9))], **config)
    write_jsonl(
        tmp_path / "profiling.jsonl",
        [
            {"prompt_id": f"p{i}", "task_type": "t", "tier": tier, "passed": i % 10 != 0, "input_tokens": 100,
             "output_tokens": 100}
            for tier in ("tier1", "tier2", "tier3")
            for i in range(40)
        ],
    )  # fmt: skip
    load_profiling(con, tmp_path / "profiling.jsonl")
    current = load_routing(config["routing_path"])
    recommendation = api.profiling_recommendation(con)
    projection = scenario.monthly_projection(con, current, recommendation)
    monthly = {name: projection.filter(projection["map_name"] == name)["monthly_cost_usd"].sum() for name in
               scenario.PROFILING_MAPS}  # fmt: skip
    maps = scenario.profiling_maps(current, recommendation)
    totals = {row["scenario"]: row for row in scenario.summarize(scenario.whatif(con, maps)).iter_rows(named=True)}
    for name in scenario.PROFILING_MAPS:
        assert monthly[name] == pytest.approx(totals[name]["monthly_scenario_cost_usd"], rel=1e-12)
    # 4 traces of 0.003 on tier2 over 3 days with traffic: 0.012 x 30 / 3 per month on the current map
    assert monthly["current"] == pytest.approx(0.012 * 30 / 3)
    assert projection["traffic_source"].unique().to_list() == ["observed"]


def test_whatif_cli_json_compares_scenarios(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = build_db([call("a", "t", "mid", 10)], **config)
    [(db_path,)] = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    con.close()
    status = main(
        [
            "whatif",
            "--db",
            db_path,
            "--prices",
            str(config["prices_path"]),
            "--routing",
            str(config["routing_path"]),
            "--tier-map",
            str(tmp_path / "move.yaml"),
            "--tier-map",
            str(config["routing_path"]),
            "--json",
        ]
    )
    assert status == 0
    payload = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in payload["scenarios"]] == ["move", "routing"]
    move = payload["scenarios"][0]
    assert {
        "name",
        "baseline_cost_usd",
        "scenario_cost_usd",
        "savings_usd",
        "savings_pct",
        "monthly_baseline_cost_usd",
        "monthly_scenario_cost_usd",
        "guarded_calls",
        "expected_escalations",
        "current_map_cost_usd",
        "repricing_usd",
        "map_savings_usd",
        "map_savings_pct",
        "monthly_current_map_cost_usd",
        "monthly_map_savings_usd",
        "by_task",
    } <= set(move)
    assert set(move["by_task"][0]) >= {
        "task_type",
        "requests",
        "baseline_tier",
        "scenario_tier",
        "baseline_cost_usd",
        "scenario_cost_usd",
        "savings_usd",
        "current_map_cost_usd",
        "repricing_usd",
        "map_savings_usd",
    }
    assert move["scenario_cost_usd"] == pytest.approx(0.0003)
    assert payload["scenarios"][1]["savings_usd"] == pytest.approx(0)
    assert payload["scenarios"][1]["map_savings_usd"] == 0.0


def test_whatif_cli_text_separates_repricing_from_the_maps_savings(
    build_db: BuildDb, config: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = build_db([call("a", "t", "mid", 10), call("x", "t", "big", 10, 1000, 1000)], **config)
    [(db_path,)] = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    con.close()
    paths = ["--prices", str(config["prices_path"]), "--routing", str(config["routing_path"])]
    assert main(["whatif", "--db", db_path, *paths, "--tier-map", str(config["routing_path"])]) == 0
    text = capsys.readouterr().out
    # x: (1000 x 100 + 1000 x 200) / 1M = 0.30 on big, repriced on mid at (1000 x 10 + 1000 x 20) / 1M = 0.03
    assert "repricing of what was served: $0.27" in text
    assert "the map saves $0.00 (0.0% of the current map)" in text
    assert "cost per UTC day with traffic x 30" in text


def test_exports(config: dict[str, Path]) -> None:
    current = load_routing(config["routing_path"])
    cheaper = with_task_tiers(current, {"t": "tier1", "new_task": "tier3"})
    assert (cheaper.tasks["t"].tier, cheaper.tasks["new_task"].tier) == ("tier1", "tier3")
    diff = routing_diff(current, cheaper, "cheaper")
    assert "   t:\n-    tier: tier2\n+    tier: tier1\n" in diff
    assert "+  new_task:\n+    tier: tier3\n" in diff
    exported = yaml.safe_load(litellm_config(cheaper, load_price_book(config["prices_path"])))
    tagged = [entry for entry in exported["model_list"] if entry["model_name"] == "tierscope"]
    assert [(entry["litellm_params"]["order"], entry["litellm_params"]["tags"]) for entry in tagged] == [
        (1, ["task_type:t", "task_type:u"]),
        (2, ["task_type:t", "task_type:u", "default"]),
        (3, ["task_type:t", "task_type:u", "task_type:new_task", "default"]),
    ]
    assert [entry for entry in exported["model_list"] if entry["model_name"] in ("tier1", "tier2", "tier3")] == [
        {"model_name": "tier1", "litellm_params": {"model": "openai/small", "api_key": "os.environ/OPENAI_API_KEY"}},
        {
            "model_name": "tier2",
            "litellm_params": {"model": "anthropic/mid", "api_key": "os.environ/ANTHROPIC_API_KEY"},
        },
        {"model_name": "tier3", "litellm_params": {"model": "big"}},
    ]
    assert exported["router_settings"]["fallbacks"] == [{"tier1": ["tier2"]}, {"tier2": ["tier3"]}]
