"""Cost of a call: hand-computed expectations for every pricing rule of docs/concepts.md (USD per 1M tokens)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import BuildDb
from tierscope.queries import api

PRICES = """
models:
  small:
    provider: acme
    context_window: 1000
    aliases: [small-2025-01-01]
    prices:
      - {effective_from: 2025-01-01, input: 1.0, output: 2.0, cached_input: 0.5, cache_write: 1.5,
         batch: {input: 0.5, output: 1.0}}
      - {effective_from: 2025-06-01, input: 2.0, output: 4.0}
  thinker:
    prices:
      - {effective_from: 2025-01-01, input: 10.0, output: 40.0, reasoning: 30.0}
  longctx:
    prices:
      - {effective_from: 2025-01-01, input: 1.0, output: 10.0, cached_input: 0.1,
         above_tokens: 200000, above: {input: 2.0, output: 15.0}}
  future:
    prices:
      - {effective_from: 2030-01-01, input: 1.0, output: 1.0}
"""

ROUTING = """
tiers:
  tier1: [small, longctx]
  tier2: [thinker]
default_tier: tier1
"""

M = 1_000_000


def call(request_id: str, model: str | None, started_at: str = "2025-03-01T12:00:00Z", **fields: object) -> dict:
    record: dict[str, object] = {
        "request_id": request_id,
        "started_at": started_at,
        "task_type": "t",
        "input_tokens": M,
        "output_tokens": M,
    }
    if model is not None:
        record["served_model"] = model
    record.update(fields)
    return record


CASES = [
    # cached + cache writes: 0.5M uncached x 1 + 0.4M x 0.5 + 0.1M x 1.5 + 0.5M out x 2
    (
        call("cached", "small", cached_input_tokens=400_000, cache_write_tokens=100_000, output_tokens=500_000),
        1.85,
    ),
    # batch variant: 1M x 0.5 + 1M x 1.0
    (call("batch", "small", service_tier="batch"), 1.5),
    # an unknown service tier is priced at the standard price
    (call("scale", "small", service_tier="scale"), 3.0),
    # the day before the price change, and the instant it takes effect
    (call("before", "small", started_at="2025-05-31T23:59:59Z"), 3.0),
    (call("after", "small", started_at="2025-06-01T00:00:00Z"), 6.0),
    # after the change no cached price is listed: cached tokens fall back to the input price (2.0)
    (
        call("after_cached", "small", started_at="2025-07-01T00:00:00Z", cached_input_tokens=M, output_tokens=0),
        2.0,
    ),
    # reasoning at its own price: 1M x 10 + 0.4M visible x 40 + 0.6M reasoning x 30
    (call("reasoning", "thinker", reasoning_tokens=600_000), 44.0),
    # long context: 300k input exceeds 200k, so the whole call is at the `above` price; cached inherits 0.1
    (
        call("long", "longctx", input_tokens=300_000, output_tokens=100_000, cached_input_tokens=100_000),
        0.4 + 0.01 + 1.5,
    ),
    # exactly at the threshold is not above it
    (call("at_threshold", "longctx", input_tokens=200_000, output_tokens=100_000), 0.2 + 1.0),
    # aliases: dated and provider-prefixed names price as the model
    (call("dated", "small-2025-01-01"), 3.0),
    (call("prefixed", "acme/small"), 3.0),
    (call("casing", "SMALL"), 3.0),
    # a call that used no tokens (a failed call) costs nothing, even on a model with no price
    (call("failed_unknown", "mystery-model", input_tokens=0, output_tokens=0, status="error"), 0.0),
]


@pytest.fixture
def priced(build_db: BuildDb, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    (tmp_path / "prices.yaml").write_text(PRICES)
    (tmp_path / "routing.yaml").write_text(ROUTING)
    records = [record for record, _ in CASES] + [
        call("unknown", "mystery-model"),
        call("not_yet", "future"),
        call("unattributed", None, requested_model="small"),
    ]
    return build_db(records, prices_path=tmp_path / "prices.yaml", routing_path=tmp_path / "routing.yaml")


@pytest.mark.parametrize(("record", "expected"), CASES, ids=[record["request_id"] for record, _ in CASES])
def test_cost_of_a_call(priced: duckdb.DuckDBPyConnection, record: dict, expected: float) -> None:
    [(cost_usd,)] = priced.execute(
        "select cost_usd from int_priced_calls where request_id = $id", {"id": record["request_id"]}
    ).fetchall()
    assert cost_usd == pytest.approx(expected, abs=1e-12)


def test_unpriced_calls_are_never_zero(priced: duckdb.DuckDBPyConnection) -> None:
    rows = priced.execute(
        "select request_id, cost_usd, is_priced from int_priced_calls where request_id in ('unknown', 'not_yet') "
        "order by request_id"
    ).fetchall()
    assert rows == [("not_yet", None, False), ("unknown", None, False)]
    unpriced = api.unpriced_models(priced).select("model_name", "reason", "calls").rows()
    assert sorted(unpriced) == [
        ("future", "no price in effect at started_at", 1),
        ("mystery-model", "not in the price book", 1),
    ]


def test_unattributed_call_is_priced_by_requested_model(priced: duckdb.DuckDBPyConnection) -> None:
    rows = priced.execute(
        "select cost_usd, is_unattributed, served_tier from int_priced_calls where request_id = 'unattributed'"
    ).fetchall()
    assert rows == [(pytest.approx(3.0), True, "untiered")]
    assert api.data_quality(priced)["unattributed_calls"].item() == 1


def test_attributed_cost_sums_to_total(priced: duckdb.DuckDBPyConnection) -> None:
    total = sum(expected for _, expected in CASES) + 3.0  # + the unattributed call
    for dimension in api.DIMENSIONS:
        frame = api.cost_by(priced, dimension)
        assert frame["cost_usd"].sum() == pytest.approx(total, abs=1e-9), dimension
        assert frame["unpriced_calls"].sum() == 2, dimension
        assert frame["calls"].sum() == len(CASES) + 3, dimension
    assert api.task_costs(priced)["cost_usd"].sum() == pytest.approx(total, abs=1e-9)


def test_audits_return_no_offending_rows(priced: duckdb.DuckDBPyConnection) -> None:
    """SQLMesh-style audits: each query returns the rows that break an invariant, and must return none."""
    audits = {
        "unique request_id": "select request_id from calls group by request_id having count(*) > 1",
        "priced calls have a cost": "select request_id from int_priced_calls where is_priced and cost_usd is null",
        "one price per call": "select request_id from int_priced_calls group by request_id having count(*) > 1",
        "traces cost what their calls cost": """
            select 1 from (select sum(cost_usd) as c from int_traces_in_scope(null, null, null, null, null)) t,
            (select sum(cost_usd) as c from calls
            join int_priced_calls using (request_id)) p where abs(t.c - p.c) > 1e-9""",
    }
    for name, query in audits.items():
        assert priced.execute(query).fetchall() == [], name
