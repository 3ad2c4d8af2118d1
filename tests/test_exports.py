"""FinOps formats out: the FOCUS daily cost file, the date-partitioned Parquet export, formula-safe CSV, and the
import of LiteLLM's price list into the price book."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tests.conftest import REPO, BuildDb, write_jsonl
from tierscope.cli import main
from tierscope.ingest.prices_import import import_litellm, name_key, per_million
from tierscope.queries import api
from tierscope.queries.config import DEFAULT_TASK_TYPE_RULES, ConfigError, load_price_book, load_routing
from tierscope.queries.export import csv_safe, csv_text, write_focus, write_parquet

CALLS = [
    # gpt-4o 2.50 / 1.25 cached / 10.00: 800 x 2.5 + 200 x 1.25 + 100 x 10 = 2000 + 250 + 1000
    {
        "request_id": "f1",
        "started_at": "2026-11-01T09:00:00Z",
        "task_type": "extraction",
        "team": "search",
        "served_model": "gpt-4o",
        "input_tokens": 1000,
        "cached_input_tokens": 200,
        "output_tokens": 100,
    },
    # the same SKUs, same day and task, no team: a row of its own (Tags differ). 1000 x 2.5 + 50 x 10
    {
        "request_id": "f2",
        "started_at": "2026-11-01T17:00:00Z",
        "task_type": "extraction",
        "served_model": "gpt-4o",
        "input_tokens": 1000,
        "output_tokens": 50,
    },
    # batch: claude-haiku-4-5 batch 0.50 / 2.50, cache write at 1.25: 100 x 0.5 + 400 x 1.25 + 10 x 2.5
    {
        "request_id": "f3",
        "started_at": "2026-11-02T01:00:00Z",
        "task_type": "classification",
        "team": "support",
        "served_model": "claude-haiku-4-5-20251001",
        "service_tier": "batch",
        "input_tokens": 500,
        "cache_write_tokens": 400,
        "output_tokens": 10,
    },
    # unpriced: left out of the FOCUS file
    {
        "request_id": "f4",
        "started_at": "2026-11-02T02:00:00Z",
        "served_model": "in-house-llm",
        "input_tokens": 10,
        "output_tokens": 10,
    },
]

FOCUS_ROWS = [
    # ChargePeriodStart, SkuId, SkuPriceId, ConsumedQuantity, ListUnitPrice, BilledCost, Tags, SubAccountId
    ("2026-11-01", "gpt-4o/cached_input", "gpt-4o/cached_input/standard@1.25", 200, 1.25, 0.00025,
     '{"task_type":"extraction","team":"search"}', "search"),
    ("2026-11-01", "gpt-4o/input", "gpt-4o/input/standard@2.5", 1000, 2.5, 0.0025,
     '{"task_type":"extraction"}', None),
    ("2026-11-01", "gpt-4o/input", "gpt-4o/input/standard@2.5", 800, 2.5, 0.002,
     '{"task_type":"extraction","team":"search"}', "search"),
    ("2026-11-01", "gpt-4o/output", "gpt-4o/output/standard@10.0", 50, 10.0, 0.0005,
     '{"task_type":"extraction"}', None),
    ("2026-11-01", "gpt-4o/output", "gpt-4o/output/standard@10.0", 100, 10.0, 0.001,
     '{"task_type":"extraction","team":"search"}', "search"),
    ("2026-11-02", "claude-haiku-4-5/cache_write", "claude-haiku-4-5/cache_write/batch@1.25", 400, 1.25, 0.0005,
     '{"task_type":"classification","team":"support"}', "support"),
    ("2026-11-02", "claude-haiku-4-5/input", "claude-haiku-4-5/input/batch@0.5", 100, 0.5, 0.00005,
     '{"task_type":"classification","team":"support"}', "support"),
    ("2026-11-02", "claude-haiku-4-5/output", "claude-haiku-4-5/output/batch@2.5", 10, 2.5, 0.000025,
     '{"task_type":"classification","team":"support"}', "support"),
]  # fmt: skip

FOCUS_COLUMNS = {
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "ChargePeriodStart", "ChargePeriodEnd",
    "BillingPeriodStart", "BillingPeriodEnd", "BillingCurrency", "BillingAccountId", "ServiceName", "ServiceCategory",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "SkuId", "SkuPriceId", "ConsumedQuantity", "ConsumedUnit",
    "PricingQuantity", "PricingUnit", "ListUnitPrice", "ContractedUnitPrice", "ChargeCategory", "ChargeFrequency",
    "ChargeDescription", "Tags",
}  # fmt: skip


@pytest.fixture
def tiny_db(build_db: BuildDb) -> duckdb.DuckDBPyConnection:
    return build_db(CALLS)


def test_focus_daily_rows_are_hand_checked(tiny_db: duckdb.DuckDBPyConnection) -> None:
    focus = api.focus_daily(tiny_db)
    assert set(focus.columns) >= FOCUS_COLUMNS
    rows = focus.select(
        pl.col("ChargePeriodStart").dt.strftime("%Y-%m-%d"),
        "SkuId",
        "SkuPriceId",
        "ConsumedQuantity",
        "ListUnitPrice",
        pl.col("BilledCost").round(10),
        "Tags",
        "SubAccountId",
    ).rows()
    assert sorted(rows, key=lambda row: (row[0], row[1], row[3])) == sorted(
        FOCUS_ROWS, key=lambda row: (row[0], row[1], row[3])
    )


def test_focus_costs_reconcile_with_the_price_book(tiny_db: duckdb.DuckDBPyConnection) -> None:
    focus = api.focus_daily(tiny_db)
    for column in ("EffectiveCost", "ListCost", "ContractedCost"):
        assert focus[column].to_list() == focus["BilledCost"].to_list()
    [(priced_total,)] = tiny_db.sql("select sum(cost_usd) from int_priced_calls where is_priced").fetchall()
    assert focus["BilledCost"].sum() == pytest.approx(priced_total)
    assert priced_total == pytest.approx((2000 + 250 + 1000 + 2500 + 500 + 50 + 500 + 25) / 1e6)
    assert (focus["PricingQuantity"] * focus["ListUnitPrice"] - focus["BilledCost"]).abs().max() < 1e-12


def test_focus_fixed_columns(tiny_db: duckdb.DuckDBPyConnection) -> None:
    focus = api.focus_daily(tiny_db)
    constant = focus.select(
        "BillingCurrency", "ChargeCategory", "ChargeFrequency", "ServiceCategory", "ConsumedUnit", "PricingUnit"
    ).unique()
    assert constant.rows() == [("USD", "Usage", "Usage-Based", "AI and Machine Learning", "Tokens", "1M Tokens")]
    haiku = focus.filter(pl.col("SkuId") == "claude-haiku-4-5/input").row(0, named=True)
    assert (haiku["ProviderName"], haiku["PublisherName"], haiku["ServiceName"]) == (
        "anthropic",
        "anthropic",
        "anthropic API",
    )
    assert haiku["ChargeDescription"] == "claude-haiku-4-5 input tokens (batch)"
    assert (haiku["ChargePeriodStart"], haiku["ChargePeriodEnd"]) == (
        dt.datetime(2026, 11, 2),
        dt.datetime(2026, 11, 3),
    )
    assert (haiku["BillingPeriodStart"], haiku["BillingPeriodEnd"]) == (
        dt.datetime(2026, 11, 1),
        dt.datetime(2026, 12, 1),
    )


def test_focus_scope_filters(tiny_db: duckdb.DuckDBPyConnection) -> None:
    focus = api.focus_daily(tiny_db, api.Scope(start=dt.date(2026, 11, 2), teams=("support",)))
    assert focus["SkuId"].sort().to_list() == [
        "claude-haiku-4-5/cache_write",
        "claude-haiku-4-5/input",
        "claude-haiku-4-5/output",
    ]


def test_focus_csv_file(tiny_db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    written = write_focus(tiny_db, tmp_path / "out" / "focus.csv")
    assert written.rows == len(FOCUS_ROWS)
    text = (tmp_path / "out" / "focus.csv").read_text()
    assert text.splitlines()[0].startswith("BilledCost,EffectiveCost,ListCost,ContractedCost,")
    assert "2026-11-02T00:00:00Z" in text
    back = pl.read_csv(tmp_path / "out" / "focus.csv")
    assert back["BilledCost"].sum() == pytest.approx(api.focus_daily(tiny_db)["BilledCost"].sum())


def test_focus_parquet_file(tiny_db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    write_focus(tiny_db, tmp_path / "focus.parquet")
    assert_frame_equal(pl.read_parquet(tmp_path / "focus.parquet"), api.focus_daily(tiny_db))


def test_csv_safe_neutralises_formulas() -> None:
    frame = pl.DataFrame(
        {
            "text": ['=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "plain", "a=b", None],
            "number": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            "tags": [["=1", "ok"], [], ["x"], ["y"], ["z"], ["w"], ["v"], ["u"], None],
        }
    )
    safe = csv_safe(frame)
    assert safe["text"].to_list() == [
        '\'=HYPERLINK("x")',
        "'+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\tcmd",
        "'\rcmd",
        "plain",
        "a=b",
        None,
    ]
    assert safe["number"].to_list() == frame["number"].to_list()
    assert safe["tags"].to_list()[:3] == ["'=1, ok", "", "x"]
    assert "'=1, ok" in safe.write_csv()


def test_every_csv_goes_through_the_one_writer() -> None:
    """A leading line break and full-width formula signs are neutralised too, and no module but the export one
    writes CSV itself (the dashboard's downloads call csv_text)."""
    frame = pl.DataFrame({"task_type": ["\n=cmd|' /C calc'!A0", "＝1+1", "＋1", "－1", "＠SUM(A1)", "fine"]})
    cells = pl.read_csv(io.StringIO(csv_text(frame)))["task_type"].to_list()
    assert cells == ["'\n=cmd|' /C calc'!A0", "'＝1+1", "'＋1", "'－1", "'＠SUM(A1)", "fine"]
    writers = [
        str(path.relative_to(REPO))
        for path in (REPO / "tierscope").rglob("*.py")
        if "write_csv(" in path.read_text(encoding="utf-8") and path.name != "export.py"
    ]
    assert writers == []


def test_parquet_export_partitions_by_day(tiny_db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    out = tmp_path / "lake"
    written = write_parquet(tiny_db, out)
    assert (written.rows, written.files) == (4, 2)
    assert sorted(path.name for path in out.iterdir()) == ["date=2026-11-01", "date=2026-11-02"]
    back = duckdb.sql(
        f"select date::varchar, request_id from read_parquet('{out}/*/*.parquet', hive_partitioning = true) order by 2"
    ).fetchall()
    assert back == [("2026-11-01", "f1"), ("2026-11-01", "f2"), ("2026-11-02", "f3"), ("2026-11-02", "f4")]
    with pytest.raises(FileExistsError, match="not empty"):
        write_parquet(tiny_db, out)


# A small LiteLLM price list with its real key names (model_prices_and_context_window.json), USD per token.
LITELLM_PRICES = {
    "sample_spec": {
        "max_tokens": "LEGACY parameter. set to max_output_tokens if provider specifies it.",
        "input_cost_per_token": 0.0,
        "output_cost_per_token": 0.0,
        "litellm_provider": "one of https://docs.litellm.ai/docs/providers",
        "mode": "one of: chat, embedding, completion, image_generation, audio_transcription, audio_speech",
    },
    "gpt-4o": {
        "max_tokens": 16384,
        "max_input_tokens": 128000,
        "max_output_tokens": 16384,
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token_batches": 1.25e-06,
        "output_cost_per_token_batches": 5e-06,
        "litellm_provider": "openai",
        "mode": "chat",
    },
    "azure/gpt-4o": {
        "max_input_tokens": 128000,
        "input_cost_per_token": 2.75e-06,
        "output_cost_per_token": 1.1e-05,
        "litellm_provider": "azure",
        "mode": "chat",
    },
    "claude-sonnet-4-5-20250929": {
        "max_input_tokens": 200000,
        "input_cost_per_token": 3.3e-06,
        "output_cost_per_token": 1.65e-05,
        "cache_read_input_token_cost": 3.3e-07,
        "cache_creation_input_token_cost": 4.125e-06,
        "cache_creation_input_token_cost_above_1hr": 6.6e-06,
        "input_cost_per_token_above_200k_tokens": 6.6e-06,
        "output_cost_per_token_above_200k_tokens": 2.475e-05,
        "cache_read_input_token_cost_above_200k_tokens": 6.6e-07,
        "litellm_provider": "anthropic",
        "mode": "chat",
    },
    "gemini/gemini-3-pro-preview": {
        "max_input_tokens": 1048576,
        "input_cost_per_token": 2e-06,
        "output_cost_per_token": 1.2e-05,
        "output_cost_per_reasoning_token": 1.2e-05,
        "cache_read_input_token_cost": 2e-07,
        "input_cost_per_token_above_200k_tokens": 4e-06,
        "output_cost_per_token_above_200k_tokens": 1.8e-05,
        "input_cost_per_token_flex": 1e-06,
        "input_cost_per_token_priority": 3.6e-06,
        "output_cost_per_token_priority": 2.16e-05,
        "litellm_provider": "gemini",
        "mode": "chat",
    },
    "text-embedding-3-small": {
        "max_input_tokens": 8191,
        "input_cost_per_token": 2e-08,
        "output_cost_per_token": 0.0,
        "litellm_provider": "openai",
        "mode": "embedding",
    },
}


@pytest.fixture
def litellm_json(tmp_path: Path) -> Path:
    path = tmp_path / "model_prices_and_context_window.json"
    path.write_text(json.dumps(LITELLM_PRICES))
    return path


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text((REPO / "tierscope" / "config" / "prices.yaml").read_text())
    return path


def test_per_token_to_per_million_is_exact() -> None:
    assert [per_million(value) for value in (2.5e-06, 1.25e-06, 4.125e-06, 3.3e-07, 1e-05)] == [
        2.5,
        1.25,
        4.125,
        0.33,
        10.0,
    ]
    assert name_key("gemini/gemini-3-pro-preview") == "gemini-3-pro-preview"
    assert name_key("claude-sonnet-4-5-20250929") == "claude-sonnet-4-5"


def test_import_adds_updates_and_keeps(litellm_json: Path, book: Path) -> None:
    summary = import_litellm(
        litellm_json, book, book, dt.date(2026, 12, 1), ["gpt-4o", "claude-sonnet-4-5", "gemini-3-pro-preview", "nope"]
    )
    assert summary.as_json() == {
        "added": ["gemini-3-pro-preview"],
        "updated": ["claude-sonnet-4-5"],
        "unchanged": ["gpt-4o"],  # LiteLLM's gpt-4o prices equal the latest entry: nothing to add
        "not_found": ["nope"],
    }
    prices = load_price_book(book)
    gemini = prices.models["gemini-3-pro-preview"]
    assert (gemini.provider, gemini.context_window, gemini.aliases) == (
        "google",
        1048576,
        ["gemini/gemini-3-pro-preview"],
    )
    assert gemini.prices[0].model_dump(exclude_none=True) == {
        "effective_from": dt.date(2026, 12, 1),
        "input": 2.0,
        "output": 12.0,
        "cached_input": 0.2,
        "reasoning": 12.0,
        "flex": {"input": 1.0},
        "priority": {"input": 3.6, "output": 21.6},
        "above_tokens": 200000,
        "above": {"input": 4.0, "output": 18.0},
    }
    sonnet = prices.models["claude-sonnet-4-5"]
    assert [entry.effective_from for entry in sonnet.prices] == [dt.date(2025, 9, 29), dt.date(2026, 12, 1)]
    assert sonnet.prices[-1].model_dump(exclude_none=True) == {
        "effective_from": dt.date(2026, 12, 1),
        "input": 3.3,
        "output": 16.5,
        "cached_input": 0.33,
        "cache_write": 4.125,
        "above_tokens": 200000,
        "above": {"input": 6.6, "output": 24.75, "cached_input": 0.66},
    }
    assert len(prices.models["gpt-4o"].prices) == 2
    assert book.read_text().startswith("# tierscope price book")  # the header comments are kept


def test_import_prices_calls_by_effective_date(litellm_json: Path, book: Path, build_db: BuildDb) -> None:
    import_litellm(litellm_json, book, book, dt.date(2026, 12, 1), ["claude-sonnet-4-5"])
    base = {"served_model": "claude-sonnet-4-5", "input_tokens": 100_000, "output_tokens": 0}
    con = build_db(
        [
            {**base, "request_id": "before", "started_at": "2026-11-30T23:59:59Z"},
            {**base, "request_id": "after", "started_at": "2026-12-01T00:00:00Z"},
        ],
        prices_path=book,
    )
    assert dict(con.sql("select request_id, cost_usd from int_priced_calls").fetchall()) == {
        "before": pytest.approx(0.30),
        "after": pytest.approx(0.33),
    }


def test_import_same_day_replaces_and_earlier_day_is_refused(litellm_json: Path, book: Path) -> None:
    import_litellm(litellm_json, book, book, dt.date(2026, 12, 1), ["claude-sonnet-4-5"])
    cheaper = {**LITELLM_PRICES, "claude-sonnet-4-5-20250929": {**LITELLM_PRICES["claude-sonnet-4-5-20250929"]}}
    cheaper["claude-sonnet-4-5-20250929"]["input_cost_per_token"] = 3.2e-06
    litellm_json.write_text(json.dumps(cheaper))
    import_litellm(litellm_json, book, book, dt.date(2026, 12, 1), ["claude-sonnet-4-5"])
    sonnet = load_price_book(book).models["claude-sonnet-4-5"]
    assert [(entry.effective_from, entry.input) for entry in sonnet.prices] == [
        (dt.date(2025, 9, 29), 3.0),
        (dt.date(2026, 12, 1), 3.2),
    ]
    cheaper["claude-sonnet-4-5-20250929"]["input_cost_per_token"] = 3.1e-06
    litellm_json.write_text(json.dumps(cheaper))
    with pytest.raises(ConfigError, match=r"models.claude-sonnet-4-5: a price from 2026-12-01 is already there"):
        import_litellm(litellm_json, book, book, dt.date(2026, 11, 1), ["claude-sonnet-4-5"])


def test_import_all_text_models_prefers_the_unprefixed_name(litellm_json: Path, book: Path, tmp_path: Path) -> None:
    out = tmp_path / "merged.yaml"
    summary = import_litellm(litellm_json, book, out, dt.date(2026, 12, 1))
    # the embedding model and the sample spec are not chat models; azure/gpt-4o shares gpt-4o's key and loses to it
    assert (summary.added, summary.updated, summary.unchanged) == (
        ["gemini-3-pro-preview"],
        ["claude-sonnet-4-5"],
        ["gpt-4o"],
    )
    assert "text-embedding-3-small" not in load_price_book(out).models
    assert (
        book.read_text() == (REPO / "tierscope" / "config" / "prices.yaml").read_text()
    )  # --out leaves the book alone


def test_prices_and_export_cli(
    litellm_json: Path, book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "prices",
            "import-litellm",
            str(litellm_json),
            "--prices",
            str(book),
            "--models",
            "gemini-3-pro-preview",
            "--effective-from",
            "2026-12-01",
            "--json",
        ]
    )
    payload = json.loads(capsys.readouterr().out)
    assert status == 0
    assert payload == {
        "out": str(book),
        "effective_from": "2026-12-01",
        "added": ["gemini-3-pro-preview"],
        "updated": [],
        "unchanged": [],
        "not_found": [],
    }

    db = tmp_path / "cli.duckdb"
    write_jsonl(tmp_path / "calls.jsonl", CALLS)
    assert main(["ingest", str(tmp_path / "calls.jsonl"), "--db", str(db), "--json"]) == 0
    capsys.readouterr()
    assert main(["export", "focus", "--out", str(tmp_path / "focus.csv"), "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"path": str(tmp_path / "focus.csv"), "rows": 8, "files": 1}
    assert main(["export", "parquet", "--out", str(tmp_path / "lake"), "--db", str(db)]) == 0
    assert capsys.readouterr().out == f"4 rows written to {tmp_path / 'lake'} (2 files)\n"
    assert main(["export", "parquet", "--out", str(tmp_path / "lake"), "--db", str(db)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_default_rules_match_the_shipped_routing_file() -> None:
    assert list(DEFAULT_TASK_TYPE_RULES) == load_routing(REPO / "tierscope" / "config" / "routing.yaml").task_type_from
