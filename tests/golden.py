"""Golden results: every ``queries.api`` function, the what-if and drift on one fixed database, kept as Parquet files.

The golden database is the demo month (every sample file and the profiling run) plus two small files of edge cases
(cached, cache-write and reasoning tokens, batch prices, long context, an unpriced model, a price change inside
the month, duplicates, quarantined lines, and traces that the second file continues), loaded through the real path
with a price book that changes one model's price mid-month. ``tests/test_golden.py`` compares today's results with
the files in ``tests/golden/``: a change to how a number is computed shows up as a difference to review.

Regenerate after an intended change: ``.venv/bin/python -m tests.golden --write`` (then read the diff).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import polars as pl
import yaml
from polars.testing import assert_frame_equal

from tierscope.cli.commands.demo import DEMO_FILES
from tierscope.ingest.load import ingest_paths
from tierscope.ingest.profiling import load_profiling
from tierscope.queries import api, scenario
from tierscope.queries.config import load_routing
from tierscope.queries.db import connect
from tierscope.settings import DEFAULT_PRICES, DEFAULT_ROUTING, SAMPLE_LOGS

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
# the demo's files but the Anthropic batch results, whose calls carry no time of their own (the file's mtime)
SAMPLE_FILES = tuple(name for name in DEMO_FILES if not name.startswith("formats/anthropic_batch"))
PRICE_CHANGE_MODEL = "gpt-4o-mini"
PRICE_CHANGE_DAY = dt.date(2026, 11, 15)

# Columns that say when something was done rather than what the data is.
VOLATILE = {"ingested_at", "finished_at", "loaded_at", "quarantined_at", "last_ingest_at", "seconds"}
# the ingest ledger's started_at is when an ingest began, not a call's time
VOLATILE_IN = {"ingest_history": {"started_at"}}

SCOPES: dict[str, api.Scope] = {
    "all": api.ALL,
    "whole_days_filtered": api.Scope(
        start=dt.date(2026, 11, 10), end=dt.date(2026, 11, 20), teams=("search", "support"), providers=("openai",)
    ),
    "partial_days": api.Scope(start=dt.datetime(2026, 11, 3, 7), end=dt.datetime(2026, 11, 12, 5)),
    "inside_one_day": api.Scope(start=dt.datetime(2026, 11, 20, 9, 30), end=dt.datetime(2026, 11, 20, 17)),
    "open_start_tasks": api.Scope(end=dt.date(2026, 11, 8), task_types=("extraction", "reasoning", "unknown")),
}


def _call(
    request_id: str, trace_id: str, at: dt.datetime, model: str, input_tokens: int, output_tokens: int, **extra: object
) -> dict[str, object]:
    return {
        "request_id": request_id,
        "trace_id": trace_id,
        "started_at": at.isoformat() + "Z",
        "task_type": extra.pop("task_type", "extraction"),
        "requested_model": extra.pop("requested_model", "tier1"),
        "served_model": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "team": extra.pop("team", "search"),
        "provider": extra.pop("provider", "openai"),
        **extra,
    }


def edge_case_files(folder: Path) -> list[Path]:
    """Two generic JSONL files of edge cases; the second continues three traces of the first."""
    day = dt.datetime(2026, 11, 14, 23, 0)
    first = [
        _call(
            "edge-cache",
            "edge-t1",
            day,
            "claude-sonnet-4-5",
            12_000,
            800,
            cached_input_tokens=9_000,
            cache_write_tokens=2_000,
            task_type="summarization",
            requested_model="tier2",
            provider="anthropic",
        ),
        _call(
            "edge-reason",
            "edge-t2",
            day,
            "o3",
            3_000,
            4_000,
            reasoning_tokens=3_200,
            task_type="reasoning",
            requested_model="tier3",
        ),
        _call("edge-batch", "edge-t3", day, "gpt-4o", 5_000, 400, service_tier="batch", task_type="rag_answer"),
        _call(
            "edge-long",
            "edge-t4",
            day,
            "claude-sonnet-4-5",
            250_000,
            1_000,
            task_type="rag_answer",
            provider="anthropic",
        ),
        _call("edge-unpriced", "edge-t5", day, "mystery-model-x", 1_000, 100, provider="mystery"),
        _call("edge-before-change", "edge-t6", day, PRICE_CHANGE_MODEL, 2_000, 300),
        _call("edge-cont-1", "edge-c1", day, PRICE_CHANGE_MODEL, 4_000, 200),
        _call("edge-cont-2", "edge-c2", day, "gpt-4o", 6_000, 300, task_type="summarization", team="growth"),
        _call("edge-cont-3", "edge-c3", day, PRICE_CHANGE_MODEL, 1_500, 50, task_type="classification"),
        _call("edge-dup", "edge-t7", day, "gpt-4o", 100, 10),
        _call("edge-dup", "edge-t7", day, "gpt-4o", 100, 10),
    ]
    later = day + dt.timedelta(hours=2)  # after midnight: the price change is in effect
    second = [
        _call("edge-cont-1b", "edge-c1", later, "gpt-4o", 4_000, 250, escalated=True, requested_model="tier2"),
        _call(
            "edge-cont-2b",
            "edge-c2",
            later,
            "claude-opus-4-7",
            6_000,
            350,
            task_type="summarization",
            team="growth",
            provider="anthropic",
        ),
        _call("edge-cont-3b", "edge-c3", later, PRICE_CHANGE_MODEL, 1_500, 60, task_type="classification"),
        _call("edge-after-change", "edge-t8", later, PRICE_CHANGE_MODEL, 2_000, 300),
        _call("edge-dup", "edge-t7", day, "gpt-4o", 100, 10),
    ]
    paths = [folder / "edge_a.jsonl", folder / "edge_b.jsonl"]
    for path, records in zip(paths, (first, second), strict=True):
        lines = [json.dumps(record) for record in records]
        if path.name == "edge_a.jsonl":
            lines.append('{"request_id": "edge-broken", "started_at": ')  # cut off: quarantined
            lines.append(json.dumps(_call("edge-negative", "edge-t9", day, "gpt-4o", -5, 10)))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def golden_prices(folder: Path) -> Path:
    """The shipped price book with one model's price changed from PRICE_CHANGE_DAY."""
    book = yaml.safe_load(DEFAULT_PRICES.read_text(encoding="utf-8"))
    entries = book["models"][PRICE_CHANGE_MODEL]["prices"]
    changed = {**entries[-1], "effective_from": PRICE_CHANGE_DAY, "input": 0.2, "output": 0.9}
    entries.append(changed)
    path = folder / "golden_prices.yaml"
    path.write_text(yaml.safe_dump(book, sort_keys=False), encoding="utf-8")
    return path


def build(folder: Path) -> duckdb.DuckDBPyConnection:
    """The golden database in ``folder``, opened. Every file is loaded from ``folder`` (the samples copied there),
    so that sources read the same wherever the checkout is (see :func:`stable`)."""
    prices = golden_prices(folder)
    con = connect(folder / "golden.duckdb", prices, DEFAULT_ROUTING)
    samples = []
    for name in SAMPLE_FILES:
        copy = folder / "samples" / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE_LOGS / name, copy)
        samples.append(copy)
    ingest_paths(con, samples)
    ingest_paths(con, edge_case_files(folder))
    load_profiling(con, SAMPLE_LOGS / "profiling_results.jsonl")
    return con


def _scenarios() -> dict[str, object]:
    current = load_routing(DEFAULT_ROUTING)
    tasks = {name: profile.model_dump() for name, profile in current.tasks.items()}
    tasks["reasoning"]["tier"] = "tier2"
    tasks["summarization"]["tier"] = "tier1"
    cheaper = current.model_validate({**current.model_dump(), "tasks": tasks})
    return {"current": current, "cheaper": cheaper}


def results(con: duckdb.DuckDBPyConnection) -> Iterator[tuple[str, pl.DataFrame]]:
    """(name, frame) for every result kept golden."""
    scoped: dict[str, Callable[[duckdb.DuckDBPyConnection, api.Scope], pl.DataFrame]] = {
        "task_costs": api.task_costs,
        **{f"cost_by_{dimension}": (lambda c, s, d=dimension: api.cost_by(c, d, s)) for dimension in api.DIMENSIONS},
        "daily_cost": api.daily_cost,
        "tier_mix": api.tier_mix,
        "escalation_by_window": api.escalation_by_window,
        "drift_flags": api.drift_flags,
        "unpriced_models": api.unpriced_models,
        "data_quality": api.data_quality,
        "cost_reconciliation": api.cost_reconciliation,
        "reconciliation_summary": api.reconciliation_summary,
        "filter_values": api.filter_values,
        "kpis": api.kpis,
        "savings_opportunity": api.savings_opportunity,
        "model_costs": api.model_costs,
        "cost_by_team_feature": api.cost_by_team_feature,
        "output_length_histogram": api.output_length_histogram,
        "model_flow": api.model_flow,
        "unattributed_calls": api.unattributed_calls,
        "task_audit": api.task_audit,
        "unknown_task_hints": api.unknown_task_hints,
        "focus_daily": api.focus_daily,
        "month_forecast": lambda c, s: api.month_forecast(c, None, s),
        "spend_anomalies": api.spend_anomalies,
        "model_performance": api.model_performance,
        "cache_savings": api.cache_savings,
        "router_audit": api.router_audit,
        "whatif": lambda c, s: scenario.whatif(c, _scenarios(), s),  # type: ignore[arg-type]
    }
    for scope_name, scope in SCOPES.items():
        for name, function in scoped.items():
            yield f"{name}.{scope_name}", function(con, scope)
    unscoped: dict[str, Callable[[duckdb.DuckDBPyConnection], pl.DataFrame]] = {
        "quarantine": api.quarantine,
        "ingest_history": api.ingest_history,
        "price_book": api.price_book,
        "profiling_pass_rates": api.profiling_pass_rates,
        "profiling_recommendation": api.profiling_recommendation,
        "cost_projection": api.cost_projection,
        "freshness": api.freshness,
    }
    for name, function in unscoped.items():
        yield name, function(con)


def stable(name: str, frame: pl.DataFrame, folder: Path) -> pl.DataFrame:
    """The frame without the columns that record when things were done, and with the build folder's path (in
    sources) written as ``<golden>``."""
    volatile = VOLATILE | VOLATILE_IN.get(name, set())
    kept = frame.drop([column for column in frame.columns if column in volatile])
    return kept.with_columns(
        pl.col(column).str.replace_all(str(folder), "<golden>", literal=True)
        for column, dtype in kept.schema.items()
        if dtype == pl.String
    )


def write(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Rewrite the golden files whose result changed (or is new) and remove those of results that went; returns
    the names written, so that a regeneration's diff holds only what really changed."""
    GOLDEN_DIR.mkdir(exist_ok=True)
    kept: set[str] = set()
    written: list[str] = []
    for name, frame in results(con):
        result = stable(name, frame, folder)
        path = GOLDEN_DIR / f"{name}.parquet"
        kept.add(path.name)
        if path.exists() and equal(result, pl.read_parquet(path)):
            continue
        result.write_parquet(path)
        written.append(name)
    for old in GOLDEN_DIR.glob("*.parquet"):
        if old.name not in kept:
            old.unlink()
    return written


def equal(today: pl.DataFrame, golden: pl.DataFrame) -> bool:
    """Whether a result equals its golden file: costs to 1e-9 relative, counts exactly, rows in any order (marts
    order ties arbitrarily)."""
    try:
        assert_frame_equal(today, golden, check_row_order=False, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
    except AssertionError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite tests/golden/ from today's code")
    args = parser.parse_args()
    if not args.write:
        parser.error("nothing to do: pass --write to regenerate the golden files")
    with tempfile.TemporaryDirectory(prefix="tierscope-golden-") as folder:
        con = build(Path(folder))
        try:
            written = write(con, Path(folder))
            print(f"{len(written)} golden results rewritten in {GOLDEN_DIR}: {', '.join(written) or 'none'}")
        finally:
            con.close()


if __name__ == "__main__":
    main()
