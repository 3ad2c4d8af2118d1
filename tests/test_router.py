"""Content-based routers, end to end (docs/router.md): LiteLLM's routing decisions read from genuine payloads (made by
LiteLLM's Router and its complexity router, mocked responses, no network), the router_tier dimension, the audit with
baselines computed here by hand, no prompt-quoting field stored anywhere, and the exported LiteLLM config routing by
itself under LiteLLM's own Router."""

from __future__ import annotations

import asyncio
import copy
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from tests.conftest import REPO, SAMPLE_LOGS, write_jsonl
from tests.litellm_support import (
    LLM_ROUTER_NAME,
    MEDIUM_PROMPT,
    REASONING_PROMPT,
    SIMPLE_PROMPT,
    RoutedRequest,
    routed_payloads,
)
from tests.streaming_support import post, serve, watch_once
from tierscope.cli import main
from tierscope.format import money
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.profiling import load_profiling
from tierscope.ingest.spool import spool_dir
from tierscope.queries import api
from tierscope.queries.config import load_price_book, load_routing
from tierscope.queries.db import connect
from tierscope.queries.scenario import litellm_config

MARKER = "PLANTED-PROMPT-QUOTE-7f3a"
PROMPT_QUOTING = ("signals", "matched_keyword", "escalation_keyword", "classifier_crux", "switchyard_evidence")
# USD per 1M tokens in tierscope/config/prices.yaml (in effect now): input, cached input, output
GPT_4O_MINI = (0.15, 0.075, 0.60)
GPT_4O = (2.50, 1.25, 10.00)
O3 = (2.00, 0.50, 8.00)
CLAUDE_OPUS_4_7 = (5.00, 0.50, 25.00)
# LiteLLM's mocked classifier call: 10 prompt and 20 completion tokens on gpt-4o-mini, as LiteLLM prices it
CLASSIFIER_COST = (10 * 0.15 + 20 * 0.60) / 1e6

REQUESTS = (
    RoutedRequest(SIMPLE_PROMPT, "classification", 1000, 100),
    RoutedRequest(MEDIUM_PROMPT, "summarization", 2000, 400, cached_tokens=1500),
    RoutedRequest(REASONING_PROMPT, "reasoning", 3000, 900),
    # a code generation task an LLM classifier judges simple: sent to tier1, where profiling passes 45% of it
    RoutedRequest(SIMPLE_PROMPT, "code_generation", 800, 200, router=LLM_ROUTER_NAME),
    # every tier fails: the routed call carries the decision, LiteLLM logs its fallbacks without one
    RoutedRequest(SIMPLE_PROMPT, "extraction", 500, 50, fails=True),
)


def cost(prices: tuple[float, float, float], input_tokens: int, output_tokens: int, cached: int = 0) -> float:
    """Hand pricing: uncached input, cached input and output, each at its own price."""
    return ((input_tokens - cached) * prices[0] + cached * prices[1] + output_tokens * prices[2]) / 1e6


@pytest.fixture(scope="module")
def payloads() -> list[dict[str, Any]]:
    made = routed_payloads(REQUESTS)
    [classified] = [p for p in made if (p["metadata"].get("routing_decision") or {}).get("classifier_model")]
    assert classified["metadata"]["routing_decision"]["classifier_cost"] == pytest.approx(CLASSIFIER_COST)
    return made


def planted(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payloads with the marker in every field LiteLLM marks as quoting the prompt, and in the prompt itself."""
    marked = copy.deepcopy(payloads)
    for payload in marked:
        payload["messages"] = [{"role": "user", "content": MARKER}]
        decision = payload["metadata"].get("routing_decision")
        if decision:
            # as LiteLLM types them: signals a list of text, evidence an object, the others text
            decision.update({field: f"{MARKER} in {field}" for field in PROMPT_QUOTING})
            decision.update(signals=[MARKER], switchyard_evidence={"quote": MARKER})
    return marked


@pytest.fixture(scope="module")
def routed_db(tmp_path_factory: pytest.TempPathFactory, payloads: list[dict[str, Any]]) -> Path:
    folder = tmp_path_factory.mktemp("routed")
    source = write_jsonl(folder / "litellm_payloads.jsonl", planted(payloads))
    db = folder / "routed.duckdb"
    con = connect(db)
    [result] = ingest_paths(con, [source])
    assert (result.source_format, result.loaded, result.quarantined) == ("litellm", len(payloads), 0)
    load_profiling(con, SAMPLE_LOGS / "profiling_results.jsonl")
    con.close()
    return db


@pytest.fixture
def routed(routed_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(routed_db)
    yield con
    con.close()


def decisions(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[Any, ...]]:
    rows = con.execute(
        """
        select request_id, router_name, router_type, router_tier, routed_model, savings_baseline_model,
               classifier_model, classifier_cost_usd, router_escalated, router_context_escalated, router_cause,
               router_score, autorouter_savings_usd
        from calls
        """
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_routing_decisions_are_read_into_typed_columns(
    routed: duckdb.DuckDBPyConnection, payloads: list[dict[str, Any]]
) -> None:
    stored = decisions(routed)
    assert len(stored) == len(payloads)
    for payload in payloads:
        decision = payload["metadata"].get("routing_decision")
        if decision is None:  # a fallback LiteLLM logged without a decision: no router tier
            assert stored[payload["id"]] == (None,) * 12
            continue
        assert stored[payload["id"]] == (
            decision["router_model_name"],
            "complexity",
            decision["tier"],
            decision["routed_model"],
            "openai/o3",
            decision.get("classifier_model"),
            decision.get("classifier_cost"),
            decision.get("escalated"),
            decision.get("context_escalated"),
            decision["cause"],
            pytest.approx(decision.get("score")),
            payload["autorouter_savings"],
        )
    tiers = dict(routed.execute("select task_type, router_tier from calls where router_tier is not null").fetchall())
    assert tiers == {
        "classification": "SIMPLE",
        "summarization": "MEDIUM",
        "reasoning": "REASONING",
        "code_generation": "SIMPLE",
        "extraction": "SIMPLE",
    }
    undecided = routed.execute("select count(*) from calls where router_tier is null").fetchone()
    assert undecided == (3,)  # the failing request's two fallbacks, the LLM classifier's own call
    claimed = routed.execute("select autorouter_savings_usd from calls where task_type = 'classification'").fetchone()
    assert claimed is not None and claimed[0] > 0  # LiteLLM's own claim, as it logged it


def test_tier_label_wins_and_spend_logs_rows_carry_the_decision(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    """A renamed tier is read by its label; SpendLogs rows (CSV, JSON-typed columns as text) carry the decision and
    the claimed saving in their metadata column, as LiteLLM's proxy writes them."""
    labelled = copy.deepcopy([payload for payload in payloads if payload["metadata"].get("routing_decision")])
    labelled[0]["metadata"]["routing_decision"]["tier_label"] = "fast"
    rows = [
        {
            "request_id": payload["id"],
            "call_type": payload["call_type"],
            "spend": payload["response_cost"],
            "prompt_tokens": payload["prompt_tokens"],
            "completion_tokens": payload["completion_tokens"],
            "startTime": "2026-11-20 10:00:00",
            "endTime": "2026-11-20 10:00:01",
            "model": payload["model"],
            "model_group": payload["model_group"],
            "custom_llm_provider": payload["custom_llm_provider"],
            "metadata": json.dumps(
                {
                    "routing_decision": payload["metadata"]["routing_decision"],
                    "autorouter_savings": payload["autorouter_savings"],
                    "usage_object": payload["metadata"]["usage_object"],
                }
            ),
            "request_tags": json.dumps(payload["request_tags"]),
            "status": payload["status"],
        }
        for payload in labelled
    ]
    source = tmp_path / "spend_logs.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    con = connect(tmp_path / "spend.duckdb")
    [result] = ingest_paths(con, [source])
    assert (result.source_format, result.loaded) == ("litellm_spend_logs", len(rows))
    stored = decisions(con)
    assert stored[labelled[0]["id"]][2] == "fast"
    for payload in labelled[1:]:
        decision = payload["metadata"]["routing_decision"]
        assert stored[payload["id"]][:7] == (
            decision["router_model_name"],
            "complexity",
            decision["tier"],
            decision["routed_model"],
            "openai/o3",
            decision.get("classifier_model"),
            decision.get("classifier_cost"),
        )
        assert stored[payload["id"]][11] == payload["autorouter_savings"]
    con.close()


def test_a_bad_router_field_is_quarantined_by_name(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    bad = copy.deepcopy(next(p for p in payloads if p["metadata"].get("routing_decision")))
    bad["metadata"]["routing_decision"]["classifier_cost"] = "lots"
    con = connect(tmp_path / "bad.duckdb")
    [result] = ingest_paths(con, [write_jsonl(tmp_path / "bad.jsonl", [bad])])
    assert result.quarantined == 1
    [(reason,)] = con.execute("select reason from quarantine").fetchall()
    assert reason == "classifier_cost_usd: 'lots' is not a number"
    con.close()


def every_table_text(db: Path) -> str:
    """Every row of every table of the database, as text."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [row[0] for row in con.execute("select table_name from duckdb_tables()").fetchall()]
        return "\n".join(str(con.execute(f'select * from "{table}"').fetchall()) for table in tables)
    finally:
        con.close()


def test_prompt_quoting_fields_are_stored_nowhere(tmp_path: Path, routed_db: Path, payloads: list[dict]) -> None:
    """The marker planted in signals, matched_keyword, escalation_keyword, classifier_crux and switchyard_evidence
    (and the prompt) reaches no table, no quarantined record and no spool file; the decision's other fields do."""
    marked = planted(payloads)
    source = (routed_db.parent / "litellm_payloads.jsonl").read_text()
    assert source.count(MARKER) > len(payloads)  # planted in every field above
    assert MARKER not in every_table_text(routed_db)
    assert "SIMPLE" in every_table_text(routed_db)

    # a record quarantined for another field keeps its known fields, never these
    broken = copy.deepcopy(next(p for p in marked if p["metadata"].get("routing_decision")))
    broken["prompt_tokens"] = -5
    db = tmp_path / "quarantine.duckdb"
    con = connect(db)
    [result] = ingest_paths(con, [write_jsonl(tmp_path / "broken.jsonl", [broken])])
    assert result.quarantined == 1
    [(known,)] = con.execute("select known_fields from quarantine").fetchall()
    assert json.loads(known)["router_tier"] == "SIMPLE"
    con.close()
    assert MARKER not in every_table_text(db)

    # serve keeps only what the reader reads: the spool, then the database watch loads from it
    served = tmp_path / "served.duckdb"
    receiver, url = serve(served)
    try:
        status, answer = post(f"{url}/litellm", json.dumps(marked).encode())
        assert status == 200, answer
    finally:
        receiver.stop()
    spooled = b"".join(path.read_bytes() for path in spool_dir(served).iterdir() if path.is_file())
    assert b"routing_decision" in spooled and b"SIMPLE" in spooled
    assert MARKER.encode() not in spooled
    empty = tmp_path / "nothing-to-tail"
    empty.mkdir()
    watch_once(empty, served)
    assert MARKER not in every_table_text(served)
    con = connect(served)
    assert decisions(con) == decisions(connect(routed_db))
    con.close()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_report_by_router_tier(routed_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = run_json(capsys, "report", "--by", "router_tier", "--json", "--db", str(routed_db))
    rows = {row["router_tier"]: row for row in answer["rows"]}
    assert set(rows) == {"SIMPLE", "MEDIUM", "REASONING", None}
    assert (rows["SIMPLE"]["calls"], rows["SIMPLE"]["requests"]) == (3, 3)
    # the fallbacks and the classifier's call carry no decision: their calls are under null, their requests are
    # counted under the routed call of the same trace
    assert (rows[None]["calls"], rows[None]["requests"]) == (3, 0)
    assert rows["MEDIUM"]["cost_usd"] == pytest.approx(cost(GPT_4O, 2000, 400, cached=1500))
    assert sum(row["requests"] for row in answer["rows"]) == len(REQUESTS)


def test_router_audit_against_hand_computed_baselines(
    routed_db: Path, payloads: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    answer = run_json(capsys, "router", "--json", "--db", str(routed_db))
    keys = ["task_type", "router_tier", "calls", "cost_usd", "baseline_cost_usd", "claimed_savings_usd"]
    assert [list(row) for row in answer["rows"]] == [[*keys, "net_savings_usd"]] * 5
    assert list(answer["totals"]) == keys[2:] + ["net_savings_usd"]
    rows = {(row["task_type"], row["router_tier"]): row for row in answer["rows"]}
    claims = {
        payload["request_tags"][0]: payload["autorouter_savings"] or 0.0
        for payload in payloads
        if payload["request_tags"]
    }
    expected = {
        ("classification", "SIMPLE"): (cost(GPT_4O_MINI, 1000, 100), cost(O3, 1000, 100)),
        ("summarization", "MEDIUM"): (cost(GPT_4O, 2000, 400, 1500), cost(O3, 2000, 400, 1500)),
        ("reasoning", "REASONING"): (cost(O3, 3000, 900), cost(O3, 3000, 900)),
        # the classifier's cost is added to the request it routed
        ("code_generation", "SIMPLE"): (cost(GPT_4O_MINI, 800, 200) + CLASSIFIER_COST, cost(O3, 800, 200)),
        ("extraction", "SIMPLE"): (0.0, 0.0),  # a failed call used no tokens
    }
    for key, (spent, baseline) in expected.items():
        row = rows[key]
        assert row["calls"] == 1
        assert row["cost_usd"] == pytest.approx(spent)
        assert row["baseline_cost_usd"] == pytest.approx(baseline)
        assert row["net_savings_usd"] == pytest.approx(baseline - spent)
        assert row["claimed_savings_usd"] == pytest.approx(claims[f"task_type:{key[0]}"])
    totals = answer["totals"]
    assert totals["calls"] == 5
    assert totals["net_savings_usd"] == pytest.approx(sum(b - s for s, b in expected.values()))
    assert totals["claimed_savings_usd"] == pytest.approx(sum(claims.values()))


def test_router_audit_flags_risk_with_the_map_what_if(
    routed: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str], routed_db: Path
) -> None:
    """code_generation sent to tier1 (profiling pass rate 45% < 85%) is at risk; under the map it goes to tier3,
    whose first model is claude-opus-4-7. Tasks served where profiling passes them are not."""
    frame = api.router_audit(routed)
    risky = frame.filter(frame["is_risk"])
    assert risky["task_type"].to_list() == ["code_generation"]
    [row] = risky.iter_rows(named=True)
    assert (row["served_tiers"], row["map_tier"], row["risk_calls"]) == ("tier1", "tier3", 1)
    assert row["min_pass_rate"] == pytest.approx(0.45)
    assert row["risk_cost_usd"] == pytest.approx(cost(GPT_4O_MINI, 800, 200) + CLASSIFIER_COST)
    assert row["map_cost_usd"] == pytest.approx(cost(CLAUDE_OPUS_4_7, 800, 200))
    assert row["classifier_cost_usd"] == pytest.approx(CLASSIFIER_COST)
    assert main(["router", "--db", str(routed_db)]) == 0
    text = capsys.readouterr().out
    assert "RISK code_generation -> SIMPLE: served on tier1, profiling pass rate 45.0% under the floor" in text
    assert f"(classifier {money(CLASSIFIER_COST)})" in text and "1 call cost" in text


def test_generic_records_carry_a_decision_and_cache_writes_price_as_such(tmp_path: Path) -> None:
    """The generic format takes the router fields by name; the baseline prices cached and cache-write tokens at the
    baseline model's own prices (claude-opus-4-7: cache reads $0.50, writes $6.25 per 1M)."""
    record = {
        "request_id": "r1",
        "started_at": "2026-11-20T10:00:00Z",
        "task_type": "summarization",
        "served_model": "claude-sonnet-4-6",
        "input_tokens": 10000,
        "output_tokens": 1000,
        "cached_input_tokens": 6000,
        "cache_write_tokens": 2000,
        "router_name": "auto",
        "router_tier": "medium",
        "savings_baseline_model": "anthropic/claude-opus-4-7",
        "router_escalated": True,
        "autorouter_savings_usd": 0.01,
    }
    con = connect(tmp_path / "generic.duckdb")
    ingest_paths(con, [write_jsonl(tmp_path / "calls.jsonl", [record])])
    [row] = api.router_audit(con).iter_rows(named=True)
    baseline = (2000 * 5.00 + 6000 * 0.50 + 2000 * 6.25 + 1000 * 25.00) / 1e6
    assert row["baseline_cost_usd"] == pytest.approx(baseline)
    assert row["router_escalation_rate"] == 1.0
    assert row["claimed_savings_usd"] == pytest.approx(0.01)
    con.close()


# The exported config under LiteLLM's own Router ------------------------------------------------------------------


def litellm_router(config: dict[str, Any], failing: str | None = None) -> Any:
    """LiteLLM's Router from the exported config, every deployment answering "ok" (the failing model an error)."""
    from litellm import Router

    model_list = copy.deepcopy(config["model_list"])
    for deployment in model_list:
        params = deployment["litellm_params"]
        if not params["model"].startswith("auto_router/"):
            params["mock_response"] = "litellm.InternalServerError" if params["model"] == failing else "ok"
    return Router(model_list=model_list, **config["router_settings"], retry_after=0)


def served_by(router: Any, model: str, tags: list[str], prompt: str = "hello") -> str:
    async def ask() -> str:
        response = await router.acompletion(
            model=model, messages=[{"role": "user", "content": prompt}], metadata={"tags": tags}
        )
        return str(response.model)

    return asyncio.run(ask())


def test_exported_config_routes_by_task_type_and_falls_back(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    """For every task type a tagged request is served by its tier's model; a failing tier falls back to the next,
    for tag routing and for content routing (LiteLLM's complexity router over the tier groups)."""
    routing = load_routing(REPO / "tierscope" / "config" / "routing.yaml")
    out = tmp_path / "litellm.yaml"
    assert main(["export", "litellm", "--out", str(out)]) == 0
    config = yaml.safe_load(out.read_text())
    assert config == yaml.safe_load(litellm_config(routing, load_price_book()))
    tiers = list(routing.tiers)
    first = {tier: models[0] for tier, models in routing.tiers.items()}
    router = litellm_router(config)
    for task, profile in routing.tasks.items():
        assert served_by(router, "tierscope", [f"task_type:{task}"]) == first[profile.tier], task
    assert served_by(router, "tierscope", []) == first[routing.default_tier]
    assert served_by(router, "tierscope", ["task_type:not_in_the_map"]) == first[routing.default_tier]
    for lower, upper in zip(tiers, tiers[1:], strict=False):
        failing = config["model_list"][tiers.index(lower)]["litellm_params"]["model"]
        router = litellm_router(config, failing=failing)
        task = next(task for task, profile in routing.tasks.items() if profile.tier == lower)
        assert served_by(router, "tierscope", [f"task_type:{task}"]) == first[upper], (lower, task)
    router = litellm_router(config)
    assert served_by(router, "tierscope-auto", [], SIMPLE_PROMPT) == first[tiers[0]]
    assert served_by(router, "tierscope-auto", [], REASONING_PROMPT) == first[tiers[-1]]
    router = litellm_router(config, failing=config["model_list"][0]["litellm_params"]["model"])
    assert served_by(router, "tierscope-auto", [], SIMPLE_PROMPT) == first[tiers[1]]


def test_router_audit_page(routed_db: Path, routed: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page shows the audit per task type x router tier, the risk with its what-if, and cost by router tier;
    the router tier filter narrows all of it."""
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard_pages import APP, TIMEOUT, default_scope, shown_table, texts

    monkeypatch.setenv("TIERSCOPE_DB", str(routed_db))
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    app.run()
    app.switch_page("views/router.py").run()
    assert not app.exception, [exception.message for exception in app.exception]
    audit = api.router_audit(routed, default_scope(routed))
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Routed calls"] == f"{audit['calls'].sum():,}"
    assert metrics["Net saving vs baseline"] == money(float(audit["net_savings_usd"].sum()))
    table = shown_table(app, 0)
    assert table["task_type"].to_list() == audit["task_type"].to_list()
    assert table["baseline_cost_usd"].to_list() == pytest.approx(audit["baseline_cost_usd"].to_list())
    risk = shown_table(app, 1)
    assert risk["task_type"].to_list() == ["code_generation"] and risk["map_tier"].to_list() == ["tier3"]
    assert "What-if: replacing the router's choice by the task-type map" in texts(app)
    by_tier = shown_table(app, 2)
    assert set(by_tier["router_tier"]) == {"SIMPLE", "MEDIUM", "REASONING", "(no tier)"}
    app.multiselect(key="router_tiers").set_value(["MEDIUM"]).run()
    assert shown_table(app, 0)["task_type"].to_list() == ["summarization"]
    assert set(shown_table(app, 1)["router_tier"]) == {"MEDIUM", "(no tier)"}  # no risk table now
    assert "The router sends no task type in view" in texts(app)
