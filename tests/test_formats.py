"""Log-format readers: each sample in sample_logs/formats loaded through the real path, checked call by call against
hand-computed tokens and costs (default price book, USD per 1M tokens), plus detection, accounting and dirt."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import REPO, SAMPLE_LOGS, write_jsonl
from tierscope.cli import main
from tierscope.ingest.fields import CANONICAL_FIELDS, STAGED_FIELDS, field_types
from tierscope.ingest.formats import READERS, UnknownFormatError, detect, reader_named
from tierscope.ingest.load import IngestResult, ingest_paths, read_head
from tierscope.queries import api
from tierscope.queries.db import connect, sql_text

FORMATS = SAMPLE_LOGS / "formats"
# Anthropic batch results carry no time: calls take the file's modification time, pinned here
BATCH_FILE_TIME = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)

SAMPLES = {
    "litellm": "litellm.jsonl",
    "litellm_spend_logs": "litellm_spend_logs.csv",
    "otel": "otel_genai.jsonl",
    "openai_batch": "openai_batch_output.jsonl",
    "anthropic_batch": "anthropic_batch_results.jsonl",
    "langfuse": "langfuse_observations.json",
    "helicone": "helicone_requests.jsonl",
}

# file -> (rows_read, loaded, duplicates, quarantined, skipped)
ACCOUNTING = {
    # 13 lines: a line cut short (quarantined), a call logged twice, a cache hit and a batch retrieval (skipped)
    "litellm.jsonl": (11, 9, 1, 1, 2),
    # 8 rows: one cut off after 10 columns (quarantined), one aretrieve_batch (skipped)
    "litellm_spend_logs.csv": (7, 6, 0, 1, 1),
    # 11 spans: 2 HTTP server spans, a tool, a database and an agent span are skipped
    "otel_genai.jsonl": (6, 6, 0, 0, 5),
    # 7 lines: one batch_expired line never ran (skipped)
    "openai_batch_output.jsonl": (6, 6, 0, 0, 1),
    # 7 lines: one expired and one canceled request (skipped)
    "anthropic_batch_results.jsonl": (5, 5, 0, 0, 2),
    # 9 observations: two spans and an event are skipped
    "langfuse_observations.json": (6, 6, 0, 0, 3),
    "helicone_requests.jsonl": (5, 5, 0, 0, 0),
}

COLUMNS = (
    "task_type, requested_model, served_model, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, "
    "reasoning_tokens, status, round(cost_usd, 10)"
)

# request_id -> (task_type, requested, served, (input, cached, cache_write, output, reasoning), status, cost_usd),
# where cost_usd = uncached input x input + cached x cached_input + writes x cache_write + visible output x output
# + reasoning x reasoning (= output when the book has no reasoning price), USD per 1M tokens / 1e6.
# fmt: off
EXPECTED: dict[str, dict[str, tuple[object, ...]]] = {
    "litellm.jsonl": {
        # gpt-4o-mini 0.15 / 0.075 cached / 0.60: 176 x 0.15 + 1024 x 0.075 + 8 x 0.6 = 108.0
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0001":
            ("classification", "tier1", "gpt-4o-mini-2024-07-18", (1200, 1024, 0, 8, 0), "success", 0.000108),
        # LiteLLM's prompt_tokens already hold Anthropic's cache read 2000 and write 500 (input_tokens 500):
        # haiku-4-5 1.00 / 0.10 / 1.25 / 5.00: 500 + 200 + 625 + 2000 = 3325
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0002":
            ("extraction", "tier1", "claude-haiku-4-5-20251001", (3000, 2000, 500, 400, 0), "success", 0.003325),
        # a failure event: an error call with no tokens (its requester_metadata gives the task type)
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0003":
            ("rag_answer", "tier1", "gpt-4o-mini", (0, 0, 0, 0, 0), "error", 0.0),
        # the fallback in the same trace: gpt-4o 2.50 / 10.00: 5000 x 2.5 + 300 x 10 = 15500
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0004":
            ("rag_answer", "tier1", "gpt-4o-2024-08-06", (5000, 0, 0, 300, 0), "success", 0.0155),
        # o3 (2025-06-10 price) 2.00 / 8.00, reasoning at the output price: 4000 + 500 x 8 + 2500 x 8 = 28000
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0005":
            ("reasoning", "tier3", "o3-2025-04-16", (2000, 0, 0, 3000, 2500), "success", 0.028),
        # spend_logs_metadata task type; sonnet-4-5 3 / 15: 36000 + 9000 = 45000 (LiteLLM reported 0.0405)
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0006":
            ("summarization", "tier2", "claude-sonnet-4-5-20250929", (12000, 0, 0, 600, 0), "success", 0.045),
        # opus-4-5 5 / 0.5 / 25: 2000 x 5 + 6000 x 0.5 + 2500 x 25 = 75500
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0007":
            ("code_generation", "tier3", "claude-opus-4-5-20251101", (8000, 6000, 0, 2500, 0), "success", 0.0755),
        # only a use_case key: unknown. 400 x 0.15 + 5 x 0.6 = 63
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0008":
            ("unknown", "tier1", "gpt-4o-mini-2024-07-18", (400, 0, 0, 5, 0), "success", 0.000063),
        # gemini-2.5-flash 0.30 / 2.50: 270 + 10 = 280
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0009":
            ("classification", "gemini-2.5-flash", "gemini-2.5-flash", (900, 0, 0, 4, 0), "success", 0.00028),
    },
    "litellm_spend_logs.csv": {
        # usage in metadata.additional_usage_values: 864 x 0.15 + 1536 x 0.075 + 120 x 0.6 = 316.8
        "chatcmpl-7d21a0c4-0001":
            ("extraction", "tier1", "gpt-4o-mini", (2400, 1536, 0, 120, 0), "success", 0.0003168),
        # sonnet-4-5: 4000 x 3 + 4000 x 0.3 + 1000 x 3.75 + 450 x 15 = 23700
        "chatcmpl-7d21a0c4-0002":
            ("summarization", "tier2", "claude-sonnet-4-5-20250929", (9000, 4000, 1000, 450, 0), "success", 0.0237),
        "chatcmpl-7d21a0c4-0003":
            ("rag_answer", "tier1", "gpt-4o-mini", (0, 0, 0, 0, 0), "error", 0.0),
        "chatcmpl-7d21a0c4-0004":
            ("rag_answer", "tier1", "gpt-4o", (6000, 0, 0, 350, 0), "success", 0.0185),
        # o4-mini 1.10 / 4.40: 3300 + 2200 x 4.4 = 12980
        "chatcmpl-7d21a0c4-0005":
            ("reasoning", "tier3", "o4-mini", (3000, 0, 0, 2200, 1800), "success", 0.01298),
        "chatcmpl-7d21a0c4-0006":
            ("unknown", "tier1", "gpt-4o-mini", (500, 0, 0, 6, 0), "success", 0.0000786),
    },
    "otel_genai.jsonl": {
        # gen_ai.usage.input_tokens include the 1280 cache reads: 520 x 0.15 + 1280 x 0.075 + 12 x 0.6 = 181.2
        "eee19b7ec3c1b174":
            ("classification", "gpt-4o-mini", "gpt-4o-mini-2024-07-18", (1800, 1280, 0, 12, 0), "success", 0.0001812),
        # error.type and status 2, no response model: unattributed, priced by the requested model at 0 tokens
        "b7ad6b7169203334":
            ("rag_answer", "claude-haiku-4-5", None, (0, 0, 0, 0, 0), "error", 0.0),
        # 500 x 3 + 5000 x 0.3 + 1500 x 3.75 + 420 x 15 = 14925
        "b7ad6b7169203335":
            ("rag_answer", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929", (7000, 5000, 1500, 420, 0), "success",
             0.014925),
        # o4-mini: 2500 x 1.1 + 1900 x 4.4 = 11110
        "00f067aa0ba902b7":
            ("reasoning", "o4-mini", "o4-mini-2025-04-16", (2500, 0, 0, 1900, 1500), "success", 0.01111),
        # the older gen_ai.system / prompt_tokens / completion_tokens names; no app.task_type
        "00f067aa0ba902b8":
            ("unknown", "gpt-4.1-nano", "gpt-4.1-nano-2025-04-14", (600, 0, 0, 40, 0), "success", 0.000076),
        "1a2b3c4d5e6f7081":
            ("summarization", "gemini-2.5-flash", "gemini-2.5-flash", (3200, 0, 0, 260, 0), "success", 0.00161),
    },
    "openai_batch_output.jsonl": {
        # batch prices: gpt-4o-mini 0.075 / 0.30, cached inherits 0.075: 476 x .075 + 1024 x .075 + 6 x .3 = 114.3
        "batch_req_6912aa01c4e08190b1d7a10f0001":
            ("classification", None, "gpt-4o-mini-2024-07-18", (1500, 1024, 0, 6, 0), "success", 0.0001143),
        "batch_req_6912aa01c4e08190b1d7a10f0002":
            ("classification", None, "gpt-4o-mini-2024-07-18", (1400, 0, 0, 5, 0), "success", 0.0001065),
        # gpt-4.1-mini batch 0.20 / 0.80: 1040 + 512 = 1552
        "batch_req_6912aa01c4e08190b1d7a10f0003":
            ("extraction", None, "gpt-4.1-mini-2025-04-14", (5200, 0, 0, 640, 0), "success", 0.001552),
        # a Responses body (its metadata gives the task type); gpt-5-mini batch 0.125 / 0.0125 cached / 1.00:
        # 7000 x 0.125 + 2000 x 0.0125 + 500 x 1 + 700 x 1 = 2100
        "batch_req_6912aa01c4e08190b1d7a10f0004":
            ("summarization", None, "gpt-5-mini-2025-08-07", (9000, 2000, 0, 1200, 700), "success", 0.0021),
        # an HTTP 400 line: an error call with no model and no tokens costs nothing
        "batch_req_6912aa01c4e08190b1d7a10f0005":
            ("extraction", None, None, (0, 0, 0, 0, 0), "error", 0.0),
        "batch_req_6912aa01c4e08190b1d7a10f0007":
            ("unknown", None, "gpt-4o-mini-2024-07-18", (2200, 0, 0, 180, 0), "success", 0.000219),
    },
    "anthropic_batch_results.jsonl": {
        # input = 1200 + 3000 cache reads; haiku-4-5 batch 0.50 / 2.50, cached 0.10: 600 + 300 + 875 = 1775
        "msg_01FqDdpbBcPpFz5JpP7XqJ01":
            ("extraction", None, "claude-haiku-4-5-20251001", (4200, 3000, 0, 350, 0), "success", 0.001775),
        # input = 900 + 3000 cache writes: 450 + 3000 x 1.25 + 410 x 2.5 = 5225
        "msg_01FqDdpbBcPpFz5JpP7XqJ02":
            ("extraction", None, "claude-haiku-4-5-20251001", (3900, 0, 3000, 410, 0), "success", 0.005225),
        # sonnet-4-5 batch 1.50 / 7.50: 22500 + 6000 = 28500
        "msg_01FqDdpbBcPpFz5JpP7XqJ03":
            ("summarization", None, "claude-sonnet-4-5-20250929", (15000, 0, 0, 800, 0), "success", 0.0285),
        # opus-4-5 batch 2.50 / 12.50, cached 0.50: 6000 x 2.5 + 10000 x 0.5 + 2000 x 12.5 = 45000
        "msg_01FqDdpbBcPpFz5JpP7XqJ04":
            ("code_generation", None, "claude-opus-4-5-20251101", (16000, 10000, 0, 2000, 0), "success", 0.045),
        # errored: no message id, so its custom_id and a hash of the line; no model and no tokens: it costs nothing
        "task_type-extraction__team-billing__inv-90005#f25806771b6a":
            ("extraction", None, None, (0, 0, 0, 0, 0), "error", 0.0),
    },
    "langfuse_observations.json": {
        # usageDetails input 2800 + input_cached_tokens 3200: 7000 + 3200 x 1.25 + 3800 = 14800
        "obs-7c1e-0003":
            ("rag_answer", "tier2", "gpt-4o-2024-08-06", (6000, 3200, 0, 380, 0), "success", 0.0148),
        # input 300 + cache_read_input_tokens 4000 + cache_creation_input_tokens 1000: 300 + 400 + 1250 + 2500
        "obs-7c1e-0004":
            ("extraction", "tier1", "claude-haiku-4-5-20251001", (5300, 4000, 1000, 500, 0), "success", 0.00445),
        # output 800 + output_reasoning_tokens 2200: 1500 x 2 + 3000 x 8 = 27000
        "obs-7c1e-0005":
            ("reasoning", "tier3", "o3-2025-04-16", (1500, 0, 0, 3000, 2200), "success", 0.027),
        "obs-7c1e-0006":
            ("classification", "tier1", "gpt-4o-mini-2024-07-18", (0, 0, 0, 0, 0), "error", 0.0),
        "obs-7c1e-0007":
            ("classification", "tier1", "gpt-4o-mini-2024-07-18", (950, 0, 0, 3, 0), "success", 0.0001443),
        # gpt-4.1 2.00 / 8.00: 8000 + 4800 = 12800
        "obs-7c1e-0009":
            ("unknown", None, "gpt-4.1-2025-04-14", (4000, 0, 0, 600, 0), "success", 0.0128),
    },
    "helicone_requests.jsonl": {
        # prompt 500 + cache read 1500: 75 + 112.5 + 5.4 = 192.9
        "7f6b2c10-0001-4a5e-9d11-3f2a9c0b0001":
            ("classification", "gpt-4o-mini", "gpt-4o-mini", (2000, 1500, 0, 9, 0), "success", 0.0001929),
        # prompt 2000 + read 8000 + write 2000: 6000 + 2400 + 7500 + 700 x 15 = 26400
        "7f6b2c10-0002-4a5e-9d11-3f2a9c0b0002":
            ("rag_answer", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", (12000, 8000, 2000, 700, 0),
             "success", 0.0264),
        # completion 500 + reasoning 1200; gpt-5 1.25 / 10: 3750 + 5000 + 12000 = 20750
        "7f6b2c10-0003-4a5e-9d11-3f2a9c0b0003":
            ("code_generation", "gpt-5", "gpt-5", (3000, 0, 0, 1700, 1200), "success", 0.02075),
        # HTTP 429
        "7f6b2c10-0004-4a5e-9d11-3f2a9c0b0004":
            ("classification", "gpt-4o-mini", "gpt-4o-mini", (0, 0, 0, 0, 0), "error", 0.0),
        "7f6b2c10-0005-4a5e-9d11-3f2a9c0b0005":
            ("unknown", "gpt-4.1-mini", "gpt-4.1-mini", (6000, 0, 0, 900, 0), "success", 0.00384),
    },
}
# fmt: on


def sample_copies(folder: Path) -> list[Path]:
    """The format samples copied into ``folder``, the Anthropic batch file with a known modification time."""
    paths = [Path(shutil.copy(FORMATS / name, folder / name)) for name in SAMPLES.values()]
    batch = folder / SAMPLES["anthropic_batch"]
    os.utime(batch, (BATCH_FILE_TIME.timestamp(), BATCH_FILE_TIME.timestamp()))
    return paths


@pytest.fixture(scope="module")
def formats_loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, IngestResult]]:
    folder = tmp_path_factory.mktemp("formats")
    db_path = folder / "formats.duckdb"
    con = connect(db_path)
    results = {Path(result.source).name: result for result in ingest_paths(con, sample_copies(folder))}
    con.close()
    return db_path, results


@pytest.fixture
def formats_db(formats_loaded: tuple[Path, dict[str, IngestResult]]) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(formats_loaded[0])
    yield con
    con.close()


def calls_of(con: duckdb.DuckDBPyConnection, file_name: str) -> dict[str, tuple[object, ...]]:
    """request_id -> (task type, requested, served, (input, cached, cache write, output, reasoning), status, cost)."""
    rows = con.execute(
        f"select request_id, {COLUMNS} from int_priced_calls where source like '%/' || $name order by request_id",
        {"name": file_name},
    ).fetchall()
    return {row[0]: (*row[1:4], row[4:9], row[9], row[10]) for row in rows}


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_reader_loads_hand_checked_calls(formats_db: duckdb.DuckDBPyConnection, file_name: str) -> None:
    assert calls_of(formats_db, file_name) == EXPECTED[file_name]


@pytest.mark.parametrize("file_name", sorted(ACCOUNTING))
def test_accounting_per_file(formats_loaded: tuple[Path, dict[str, IngestResult]], file_name: str) -> None:
    result = formats_loaded[1][file_name]
    counts = (result.rows_read, result.loaded, result.duplicates, result.quarantined, result.skipped)
    assert counts == ACCOUNTING[file_name]
    assert result.rows_read == result.loaded + result.duplicates + result.quarantined


def test_each_file_is_read_by_its_own_reader(formats_loaded: tuple[Path, dict[str, IngestResult]]) -> None:
    assert {name: result.source_format for name, result in formats_loaded[1].items()} == {
        file_name: reader for reader, file_name in SAMPLES.items()
    }


def test_attribution_and_time_fields(formats_db: duckdb.DuckDBPyConnection) -> None:
    rows = formats_db.execute(
        """
        select request_id, trace_id, started_at::varchar, provider, team, feature, user_id, latency_ms, service_tier,
               reported_cost_usd, tags
        from calls
        where request_id in ('2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0004', 'chatcmpl-7d21a0c4-0002', 'eee19b7ec3c1b174',
                             'batch_req_6912aa01c4e08190b1d7a10f0003', 'msg_01FqDdpbBcPpFz5JpP7XqJ03', 'obs-7c1e-0003',
                             '7f6b2c10-0005-4a5e-9d11-3f2a9c0b0005')
        order by request_id
        """
    ).fetchall()
    assert rows == [
        # LiteLLM: team alias, key alias as feature, end user; startTime in epoch seconds
        (
            "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0004",
            "trace-l3",
            "2026-11-20 10:12:00.6",
            "openai",
            "search",
            "search-api-prod",
            "cust-1042",
            3800.0,
            None,
            0.0155,
            [],
        ),
        # Helicone: properties Team / Feature; cost already in USD
        (
            "7f6b2c10-0005-4a5e-9d11-3f2a9c0b0005",
            "7f6b2c10-0005-4a5e-9d11-3f2a9c0b0005",
            "2026-11-27 10:00:00",
            "openai",
            "billing",
            "invoice-parser",
            None,
            2400.0,
            None,
            0.00384,
            None,
        ),
        # OpenAI batch: custom_id segments give the team; batch price variant
        (
            "batch_req_6912aa01c4e08190b1d7a10f0003",
            "batch_req_6912aa01c4e08190b1d7a10f0003",
            "2026-11-25 02:11:30",
            "openai",
            "billing",
            None,
            None,
            None,
            "batch",
            None,
            None,
        ),
        # SpendLogs: session_id groups the request's calls; duration from request_duration_ms
        (
            "chatcmpl-7d21a0c4-0002",
            "sess-s2",
            "2026-11-23 09:02:11",
            "anthropic",
            "support",
            "support-bot",
            "u-support",
            5200.0,
            None,
            0.0237,
            [],
        ),
        # OTel: span times in nanoseconds, resource service.name as feature, user.id
        (
            "eee19b7ec3c1b174",
            "5b8efff798038103d269b633813fc60c",
            "2026-11-24 08:00:00.1",
            "openai",
            "support",
            "support-api",
            "agent-77",
            640.0,
            None,
            None,
            None,
        ),
        # Anthropic batch: no time in the file, so its modification time
        (
            "msg_01FqDdpbBcPpFz5JpP7XqJ03",
            "msg_01FqDdpbBcPpFz5JpP7XqJ03",
            "2026-11-28 12:00:00",
            "anthropic",
            "content",
            None,
            None,
            None,
            "batch",
            None,
            None,
        ),
        # Langfuse: trace tags, metadata team
        (
            "obs-7c1e-0003",
            "lf-trace-001",
            "2026-11-26 10:00:00.5",
            None,
            "search",
            None,
            "user-311",
            4600.0,
            None,
            0.0148,
            ["task_type:rag_answer"],
        ),
    ]


def test_quarantine_names_the_line(formats_db: duckdb.DuckDBPyConnection) -> None:
    rows = formats_db.execute(
        "select regexp_extract(source, '[^/]+$'), source_line, reason from quarantine order by source"
    ).fetchall()
    assert rows == [
        ("litellm.jsonl", 7, "not valid JSON"),
        ("litellm_spend_logs.csv", 5, "CSV missing columns: Expected Number of Columns: 32 Found: 10"),
    ]


def test_prompt_and_completion_text_is_never_stored(formats_db: duckdb.DuckDBPyConnection) -> None:
    stored = formats_db.sql("select to_json(calls)::varchar from calls").fetchall()
    stored += formats_db.sql("select to_json(quarantine)::varchar from quarantine").fetchall()
    assert len(stored) == 45
    assert not any("SECRET" in text for (text,) in stored)


def test_reconciliation_lists_the_wrong_price(formats_db: duckdb.DuckDBPyConnection) -> None:
    frame = api.cost_reconciliation(formats_db)
    assert frame.select("request_id", "reported_cost_usd", "computed_cost_usd").rows() == [
        ("2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0006", 0.0405, pytest.approx(0.045)),
    ]
    assert frame["relative_difference"][0] == pytest.approx(-0.1)


def test_unknown_task_hints_name_the_rule_that_would_catch_them(formats_db: duckdb.DuckDBPyConnection) -> None:
    hints = api.unknown_task_hints(formats_db)
    assert dict(hints.select("rule_yaml", "calls").rows()) == {
        "- attribute: team": 2,  # the OTel span and the Helicone request
        "- attribute: deployment.environment": 1,
        "- attribute: feature": 1,  # Helicone-Property-Feature
        "- attribute: pipeline": 1,  # Langfuse metadata
        "- attribute: service.name": 1,
        "- attribute: use_case": 1,  # LiteLLM requester_metadata
        "- attribute: workflow": 1,  # SpendLogs spend_logs_metadata
        '- tag_prefix: "job:"': 1,  # a Langfuse trace tag
    }
    [tag_hint] = hints.filter(pl.col("rule_kind") == "tag_prefix").to_dicts()
    assert tag_hint["example_values"] == ["nightly-digest"]
    assert hints["share_of_unknown_calls"][0] == pytest.approx(2 / 6)
    unknown = formats_db.sql("select count(*) from calls where task_type = 'unknown'").fetchall()
    assert unknown == [(6,)]


def test_a_hinted_rule_gives_the_task_type(tmp_path: Path) -> None:
    routing = tmp_path / "routing.yaml"
    shipped = (REPO / "tierscope" / "config" / "routing.yaml").read_text()
    routing.write_text(
        shipped.replace(
            "  - attribute: app.task_type",
            '  - attribute: app.task_type\n  - attribute: use_case\n  - tag_prefix: "job:"',
        )
    )
    con = connect(tmp_path / "db.duckdb", routing_path=routing)
    ingest_paths(con, [FORMATS / "litellm.jsonl", FORMATS / "langfuse_observations.json"])
    tasks = con.sql(
        "select request_id, task_type from calls "
        "where request_id in ('2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0008', 'obs-7c1e-0009')"
    ).fetchall()
    assert dict(tasks) == {"2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0008": "triage", "obs-7c1e-0009": "nightly-digest"}
    assert con.sql("select count(*) from calls where attribute_keys is not null").fetchall() == [(0,)]


def test_reingest_loads_nothing_twice(tmp_path: Path) -> None:
    con = connect(tmp_path / "db.duckdb")
    [first] = ingest_paths(con, [FORMATS / "otel_genai.jsonl"])
    [second] = ingest_paths(con, [FORMATS / "otel_genai.jsonl"])
    assert (first.loaded, first.duplicates, first.skipped) == (6, 0, 5)
    assert (second.loaded, second.duplicates, second.skipped) == (0, 6, 5)


@pytest.mark.parametrize("reader_name", sorted(SAMPLES))
def test_every_sample_is_detected_as_its_format(reader_name: str) -> None:
    path = FORMATS / SAMPLES[reader_name]
    assert detect(path, read_head(path)).name == reader_name


@pytest.mark.parametrize(
    ("file_name", "path"),
    [
        ("requests.jsonl.gz", SAMPLE_LOGS / "requests.jsonl.gz"),
        ("requests_export.csv", SAMPLE_LOGS / "requests_export.csv"),
    ],
)
def test_generic_samples_stay_generic(file_name: str, path: Path) -> None:
    assert detect(path, read_head(path)).name == "generic", file_name


@pytest.mark.parametrize(
    ("file_name", "content"),
    [
        ("notes.txt", "hello\nworld\n"),
        ("people.json", json.dumps([{"name": "Ada", "role": "engineer"}])),
        ("orders.csv", "order_id,amount,currency\n1,9.99,EUR\n"),
        ("spans.jsonl", json.dumps({"traceId": "abc", "spanId": "def", "name": "GET /"}) + "\n"),
        ("batch_input.jsonl", json.dumps({"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions"}) + "\n"),
    ],
)
def test_a_file_of_the_wrong_kind_matches_no_reader(tmp_path: Path, file_name: str, content: str) -> None:
    path = tmp_path / file_name
    path.write_text(content)
    assert [reader.name for reader in READERS if reader.sniff(path, read_head(path))] == []
    with pytest.raises(UnknownFormatError) as error:
        detect(path, read_head(path))
    for reader in READERS:
        assert reader.name in str(error.value)
    assert "--format" in str(error.value)


def test_profiling_results_are_not_a_log_format() -> None:
    path = SAMPLE_LOGS / "profiling_results.jsonl"
    with pytest.raises(UnknownFormatError):
        detect(path, read_head(path))


def test_format_can_be_forced_and_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(UnknownFormatError, match="unknown format 'splunk'; known formats: litellm, "):
        reader_named("splunk")
    copy = Path(shutil.copy(FORMATS / "litellm.jsonl", tmp_path / "export.txt"))
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [copy], "litellm")
    assert (result.source_format, result.loaded) == ("litellm", 9)


def test_litellm_json_array_and_single_object(tmp_path: Path) -> None:
    records = [json.loads(line) for line in (FORMATS / "litellm.jsonl").read_text().splitlines()[:2]]
    (tmp_path / "payloads.json").write_text(json.dumps(records))
    (tmp_path / "one.json").write_text(json.dumps(records[1] | {"id": "single"}, indent=2))
    con = connect(tmp_path / "db.duckdb")
    results = ingest_paths(con, [tmp_path / "payloads.json", tmp_path / "one.json"])
    assert [(result.source_format, result.loaded) for result in results] == [("litellm", 2), ("litellm", 1)]
    assert con.sql("select input_tokens, cache_write_tokens from calls where request_id = 'single'").fetchall() == [
        (3000, 500)
    ]


def test_spend_logs_as_json_with_metadata_objects(tmp_path: Path) -> None:
    row = {
        "request_id": "sl-1",
        "call_type": "acompletion",
        "spend": 0.0237,
        "prompt_tokens": 9000,
        "completion_tokens": 450,
        "startTime": "2026-11-23T09:02:11.000Z",
        "endTime": "2026-11-23T09:02:16.200Z",
        "model": "claude-sonnet-4-5-20250929",
        "model_group": "tier2",
        "custom_llm_provider": "anthropic",
        "metadata": {
            "user_api_key_team_alias": "support",
            "spend_logs_metadata": {"task_type": "summarization"},
            "usage_object": {"cache_read_input_tokens": 4000, "cache_creation_input_tokens": 1000},
        },
        "request_tags": ["env:prod"],
        "status": "success",
    }
    write_jsonl(tmp_path / "spend.jsonl", [row])
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "spend.jsonl"])
    assert result.source_format == "litellm_spend_logs"
    assert calls_of(con, "spend.jsonl") == {
        "sl-1": ("summarization", "tier2", "claude-sonnet-4-5-20250929", (9000, 4000, 1000, 450, 0), "success", 0.0237)
    }
    assert con.sql("select latency_ms, team, tags from calls").fetchall() == [(5200.0, "support", ["env:prod"])]


def test_helicone_raw_table_dump_cost_is_in_billionths_of_a_dollar(tmp_path: Path) -> None:
    # request_response_rmt stores cost x COST_PRECISION_MULTIPLIER (1e9); the API divides it, a raw dump does not
    raw = {
        "request_id": "raw-1",
        "organization_id": "org-1",
        "request_created_at": "2026-11-27 08:00:00.000",
        "status": 200,
        "user_id": "u-1",
        "properties": {"Task-Type": "classification"},
        "provider": "OPENAI",
        "latency": 700,
        "model": "gpt-4o-mini",
        "prompt_tokens": 500,
        "completion_tokens": 9,
        "reasoning_tokens": 0,
        "prompt_cache_read_tokens": 1500,
        "prompt_cache_write_tokens": 0,
        "cost": 192900,
    }
    write_jsonl(tmp_path / "rmt.jsonl", [raw])
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "rmt.jsonl"])
    assert result.source_format == "helicone"
    assert con.sql("select task_type, input_tokens, reported_cost_usd, status from calls").fetchall() == [
        ("classification", 2000, pytest.approx(0.0001929), "success")
    ]


def test_langfuse_api_page(tmp_path: Path) -> None:
    observations = json.loads((FORMATS / "langfuse_observations.json").read_text())
    (tmp_path / "page.json").write_text(json.dumps({"data": observations, "meta": {"page": 1, "totalItems": 9}}))
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "page.json"])
    assert (result.source_format, result.loaded, result.skipped) == ("langfuse", 6, 3)


def test_otel_export_as_one_object(tmp_path: Path) -> None:
    first = json.loads((FORMATS / "otel_genai.jsonl").read_text().splitlines()[1])
    (tmp_path / "export.json").write_text(json.dumps(first, indent=2))
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "export.json"])
    assert (result.source_format, result.rows_read, result.skipped) == ("otel", 2, 3)


def test_reconcile_cli(
    formats_loaded: tuple[Path, dict[str, IngestResult]], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["reconcile", "--db", str(formats_loaded[0]), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert status == 0
    assert (payload["tolerance"], payload["disagreeing_calls"]) == (0.01, 1)
    [call] = payload["calls"]
    assert (call["request_id"], call["reported_cost_usd"], call["served_model"]) == (
        "2b7f0a6e-1d0c-4c7e-9a61-0c3c5a1e0006",
        0.0405,
        "claude-sonnet-4-5-20250929",
    )
    assert main(["reconcile", "--db", str(formats_loaded[0]), "--tolerance", "0.2"]) == 0
    assert capsys.readouterr().out.startswith("0 calls whose reported cost differs from the price book's by more than")


def test_every_format_loads_the_same_straight_or_general(tmp_path: Path) -> None:
    """A file with nothing to dedup goes from the stage straight into calls (its rejected records typed apart for
    quarantine); the load with dedup (typed table, quarantine, dedup) gives the same calls, quarantine and ledger for
    every format."""

    def tables(con: duckdb.DuckDBPyConnection) -> list[list[tuple[object, ...]]]:
        return [
            con.sql("select * exclude (ingested_at) from calls order by ingest_id, source_line, request_id").fetchall(),
            con.sql("select * exclude (quarantined_at) from quarantine order by ingest_id, source_line").fetchall(),
            con.sql("select * exclude (started_at, finished_at) from ingests order by ingest_id").fetchall(),
        ]

    files = sample_copies(tmp_path)
    both = connect(tmp_path / "both.duckdb")
    results = ingest_paths(both, files)
    general = connect(tmp_path / "general.duckdb")
    ingest_paths(general, files, always_dedup=True)
    with_dedup = {Path(result.source).name: result.with_dedup for result in results}
    assert with_dedup == {name: counts[2] > 0 for name, counts in ACCOUNTING.items()}  # no duplicates: straight
    assert tables(both) == tables(general)


# ------------------------------------------------------------------ no prompt text is kept, whatever the record
MARKER = "MARKER-2c9e-prompt-text"


def assert_marker_nowhere(con: duckdb.DuckDBPyConnection, written: list[Path], marker: str) -> None:
    """The marker is in no text, JSON, list or struct column of any table, nor in any file the ingest wrote."""
    columns = con.execute(
        "select table_name, column_name from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'main' and (data_type like '%VARCHAR%' or data_type like '%JSON%' "
        "or data_type like 'STRUCT%' or data_type like 'MAP%' or data_type like '%[]') "
        "and table_name in (select table_name from duckdb_tables() where database_name = current_database())"
    ).fetchall()
    assert ("quarantine", "known_fields") in columns
    for table, column in columns:
        [(found,)] = con.execute(
            f'select count(*) from "{table}" where contains("{column}"::varchar, $marker)', {"marker": marker}
        ).fetchall()
        assert found == 0, f"{marker} stored in {table}.{column}"
    for path in written:
        assert marker.encode() not in path.read_bytes(), f"{marker} written to {path}"


def _with_marker_lines(lines: list[str], id_key: str | None) -> list[str]:
    """Each JSONL record with the marker in free text (an unknown top-level key and wherever the sample said
    SECRET), then: the record cut off just after the marker (unreadable), the record with its request id as an object
    holding the marker, and a readable object with no known field."""
    out = []
    for line in lines:
        try:
            record = json.loads(line.replace("SECRET", MARKER))
        except json.JSONDecodeError:  # a sample's own unreadable line
            out.append(line.replace("SECRET", MARKER) + MARKER)
            continue
        marked = {"user_prompt": [{"role": "user", "content": f"{MARKER} tell me"}], **record}
        text = json.dumps(marked)
        out.append(text)
        out.append(text[: text.index(MARKER) + len(MARKER) + 3])
        if id_key is not None:
            out.append(json.dumps({**marked, id_key: {"prompt": MARKER}}))
    out.append(json.dumps({"messages": [{"role": "user", "content": MARKER}], "response": MARKER}))
    return out


# JSONL formats: the top-level key of each one's request id (None: nested)
JSONL_ID_KEYS = {
    "litellm.jsonl": "id",
    "otel_genai.jsonl": None,
    "openai_batch_output.jsonl": "id",
    "anthropic_batch_results.jsonl": "custom_id",
    "helicone_requests.jsonl": "request_id",
}


def test_no_prompt_text_is_kept_from_any_reader(tmp_path: Path) -> None:
    inputs = []
    for name, id_key in JSONL_ID_KEYS.items():
        lines = (FORMATS / name).read_text().splitlines()
        path = tmp_path / name
        path.write_text("\n".join(_with_marker_lines(lines, id_key)) + "\n")
        inputs.append(path)
    # Langfuse: prompt and completion in input / output, a metadata value, an observation with a bad count, one with
    # its id as an object, one with no known field
    observations = json.loads((FORMATS / "langfuse_observations.json").read_text().replace("SECRET", MARKER))
    generation = next(item for item in observations if item["type"] == "GENERATION")
    observations += [
        {**generation, "id": "lf-bad", "input": MARKER, "output": MARKER, "usageDetails": {"input": -1}},
        {**generation, "id": {"prompt": MARKER}, "metadata": {"note": MARKER}},
        {"input": [{"role": "user", "content": MARKER}]},
    ]
    (tmp_path / "langfuse.json").write_text(json.dumps(observations, indent=2))
    # the spend logs CSV: messages / response columns, a row cut short, a row with a bad count
    spend_lines = (FORMATS / "litellm_spend_logs.csv").read_text().replace("SECRET", MARKER).splitlines()
    header = spend_lines[0].split(",")
    first = next(csv.reader([spend_lines[1]]))
    bad = dict(zip(header, first, strict=True)) | {"request_id": "sl-bad", "prompt_tokens": "-5", "messages": MARKER}
    rows = [spend_lines[0], *spend_lines[1:], spend_lines[1][:300] + "," + MARKER]
    writer_rows = io.StringIO()
    csv.writer(writer_rows, lineterminator="\n").writerow([bad[column] for column in header])
    (tmp_path / "spend.csv").write_text("\n".join(rows) + "\n" + writer_rows.getvalue())
    # generic: JSONL (with an unknown key), CSV (a prompt column, an unreadable line), Parquet (a messages column)
    generic = [
        {"request_id": "g1", "started_at": "2026-11-01T10:00:00Z", "input_tokens": -1, "output_tokens": 1,
         "prompt": MARKER, "metadata": {"note": MARKER, "task_type": {"text": MARKER}}},
        {"request_id": {"text": MARKER}, "started_at": "2026-11-01T10:00:00Z", "input_tokens": 1, "output_tokens": 1},
    ]  # fmt: skip
    generic_lines = [json.dumps(record) for record in generic]
    (tmp_path / "generic.jsonl").write_text(
        "\n".join([*generic_lines, generic_lines[0][:60] + MARKER, json.dumps({"prompt": MARKER})]) + "\n"
    )
    (tmp_path / "generic.csv").write_text(
        "request_id,started_at,input_tokens,output_tokens,prompt\n"
        f"c1,2026-11-01T10:00:00Z,-3,1,{MARKER}\n"
        f"c2,2026-11-01T10:00:00Z,1,1,{MARKER},{MARKER}\n"
        f'c3,2026-11-01T10:00:00Z,1,1,"{MARKER}\n'
    )
    pl.DataFrame(
        {
            "request_id": ["p1"],
            "started_at": ["2026-11-01"],
            "input_tokens": [-1],
            "output_tokens": [1],
            "messages": [MARKER],
        }
    ).write_parquet(tmp_path / "generic.parquet")
    inputs += [
        tmp_path / name for name in ("langfuse.json", "spend.csv", "generic.jsonl", "generic.csv", "generic.parquet")
    ]
    for path in inputs:
        assert MARKER.encode() in path.read_bytes()
    db = tmp_path / "db.duckdb"
    con = connect(db)
    results = ingest_paths(con, inputs)
    assert all(result.status == "loaded" for result in results), [(r.source, r.error) for r in results]
    assert all(result.rows_read == result.loaded + result.duplicates + result.quarantined for result in results)
    [(quarantined,)] = con.sql("select count(*) from quarantine").fetchall()
    assert quarantined >= 30
    assert_marker_nowhere(con, [], MARKER)
    con.close()
    written = [path for path in tmp_path.iterdir() if path.is_file() and path not in inputs]
    assert db in written
    assert_marker_nowhere(connect(db), written, MARKER)


def test_otel_records_of_the_wrong_shape_are_quarantined_not_skipped(tmp_path: Path) -> None:
    first = json.loads((FORMATS / "otel_genai.jsonl").read_text().splitlines()[1])
    wrong = [
        {"resourceSpans": "nope"},
        {"resourceSpans": [{"scopeSpans": "nope"}]},
        {"resourceSpans": [{"scopeSpans": [{"spans": [5]}]}]},
    ]
    lines = [json.dumps(first), *(json.dumps(record) for record in wrong)]
    (tmp_path / "spans.jsonl").write_text("\n".join(lines) + "\n")
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "spans.jsonl"], "otel")
    assert (result.rows_read - result.quarantined, result.quarantined) == (2, 3)
    assert con.sql("select source_line, reason from quarantine order by 1").fetchall() == [
        (2, "resourceSpans: missing or not a list"),
        (3, "resourceSpans[].scopeSpans: not a list of objects"),
        (4, "spans[]: not a list of objects"),
    ]


def test_absurd_numbers_in_any_reader_are_quarantined(tmp_path: Path) -> None:
    """Counts past the ceiling (or past BIGINT) and a 27-digit span time: quarantined with a reason, never a crash."""
    litellm = [json.loads(line) for line in (FORMATS / "litellm.jsonl").read_text().splitlines()[:2]]
    (tmp_path / "litellm.jsonl").write_text(
        json.dumps({**litellm[0], "prompt_tokens": 5e18})
        + "\n"
        + json.dumps({**litellm[1], "completion_tokens": True})
        + "\n"
    )
    otel = (FORMATS / "otel_genai.jsonl").read_text().splitlines()[1]
    (tmp_path / "otel.jsonl").write_text(
        otel.replace('"startTimeUnixNano": "', '"startTimeUnixNano": "12345678') + "\n"
    )
    anthropic = json.loads((FORMATS / "anthropic_batch_results.jsonl").read_text().splitlines()[0])
    anthropic["result"]["message"]["usage"]["cache_read_input_tokens"] = 2**63
    (tmp_path / "anthropic.jsonl").write_text(json.dumps(anthropic) + "\n")
    observations = json.loads((FORMATS / "langfuse_observations.json").read_text())
    generation = next(item for item in observations if item["type"] == "GENERATION")
    (tmp_path / "langfuse.json").write_text(
        json.dumps([{**generation, "usageDetails": {"input": 1e30, "output": 3}},
                    {**generation, "id": "lf-2", "usageDetails": {"input": True, "output": 3}}])
    )  # fmt: skip
    con = connect(tmp_path / "db.duckdb")
    results = ingest_paths(
        con, [tmp_path / name for name in ("litellm.jsonl", "otel.jsonl", "anthropic.jsonl", "langfuse.json")]
    )
    assert [(result.status, result.loaded) for result in results] == [("loaded", 0)] * 4
    reasons = [reason for (reason,) in con.sql("select reason from quarantine order by source, source_line").fetchall()]
    assert reasons[:5] == [
        "input_tokens: 9.223372036854778e+18 is above the ceiling of 1000000000000 tokens per call; "
        "cached_input_tokens: 9223372036854775808 is above the ceiling of 1000000000000 tokens per call",
        "input_tokens: 1e+30 is above the ceiling of 1000000000000 tokens per call",
        "input_tokens: 'true' is not a whole number",
        "input_tokens: 5e+18 is above the ceiling of 1000000000000 tokens per call",
        "output_tokens: 'true' is not a whole number",
    ]
    # the two model-call spans of the export request, each with its 27-digit start time
    assert len(reasons) == 7
    assert all(
        re.fullmatch(r"started_at: cannot read '12345678\d{19}' as a time \(.*\)", reason) for reason in reasons[5:]
    )


def test_a_truncated_langfuse_export_fails_in_one_line(tmp_path: Path) -> None:
    text = (FORMATS / "langfuse_observations.json").read_text()
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "cut.json"], "langfuse")
    assert result.status == "failed" and result.error is not None and "\n" not in result.error
    assert con.sql("select count(*) from ingests").fetchall() == [(0,)]


def test_validation_types_every_field_as_the_calls_table_declares_it() -> None:
    """A field's type is declared once, by the calls table: what validation (normalize.sql) makes of the staged text
    has that type for every canonical field, so a type changed there and not here fails this."""
    con = connect(":memory:")
    staged = ", ".join(f"null::varchar as {field}" for field in STAGED_FIELDS)
    con.execute(
        f"create temp table ingest_stage as select {staged}, 1::bigint as source_line, null::bigint as record_element, "
        "false as is_malformed, null::varchar as reader_reason"
    )
    typed = {str(row[0]): str(row[1]) for row in con.execute("describe " + sql_text("ingest/normalize.sql")).fetchall()}
    declared = field_types(con)
    assert set(declared) == set(CANONICAL_FIELDS)
    assert {field: typed[field] for field in CANONICAL_FIELDS} == declared
