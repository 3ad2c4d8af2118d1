"""Generic-format ingest: accounting, quarantine, dedup, idempotence, every container and alias."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import REPO, SAMPLE_LOGS, write_jsonl
from tierscope.ingest.load import IngestResult, ingest_paths
from tierscope.queries.db import connect

GOOD = [
    {
        "request_id": "r1",
        "started_at": "2026-11-01T10:00:00Z",
        "task_type": "classification",
        "served_model": "gpt-4o-mini",
        "input_tokens": 1000,
        "output_tokens": 10,
        "tags": ["env:prod", "a"],
    },
    {
        "request_id": "r2",
        "started_at": "2026-11-01T12:00:00+02:00",
        "served_model": "gpt-4o",
        "input_tokens": 10,
        "output_tokens": 1,
    },
    {
        "request_id": "r3",
        "started_at": 1761991200,
        "served_model": "gpt-4o",
        "input_tokens": 1,
        "output_tokens": 1,
    },
    {
        "request_id": "r4",
        "started_at": 1761991200500,
        "served_model": "gpt-4o",
        "input_tokens": 1,
        "output_tokens": 1,
    },
]


def accounting_holds(result: IngestResult) -> bool:
    return result.rows_read == result.loaded + result.duplicates + result.quarantined


def test_dirty_jsonl_quarantines_with_line_field_and_place(tmp_path: Path) -> None:
    lines = [json.dumps(record) for record in GOOD]
    lines.insert(1, "")  # a blank line shifts the line numbers after it
    lines += [
        '{"request_id": "bad1", broken',
        json.dumps({"request_id": "bad2", "started_at": "yesterday", "input_tokens": 5, "output_tokens": 1}),
        json.dumps({"request_id": "bad3", "started_at": "2026-11-01", "input_tokens": -1, "output_tokens": 1}),
        json.dumps({"started_at": "2026-11-01", "input_tokens": 1, "output_tokens": 1}),
        json.dumps(
            {
                "request_id": "bad5",
                "started_at": "2026-11-01",
                "input_tokens": 10,
                "output_tokens": 1,
                "cached_input_tokens": 11,
            }
        ),
        json.dumps({"request_id": "bad6", "started_at": "2026-11-01", "input_tokens": "1.2k", "output_tokens": 1}),
        json.dumps(GOOD[0]),  # a duplicate of r1
    ]
    source = tmp_path / "dirty.jsonl"
    text = "\n".join(lines) + "\n"
    source.write_text(text)
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [source])
    assert (result.rows_read, result.loaded, result.duplicates, result.quarantined) == (11, 4, 1, 6)
    quarantined = con.sql(
        "select source_line, byte_offset, byte_length, record_sha256, reason, known_fields "
        "from quarantine order by source_line"
    ).pl()
    assert quarantined["source_line"].to_list() == [6, 7, 8, 9, 10, 11]
    reasons = quarantined["reason"].to_list()
    assert reasons[0] == "not valid JSON"
    assert reasons[1].startswith("started_at: cannot read 'yesterday' as a time")
    assert reasons[2] == "input_tokens: -1 is negative (a count >= 0 expected)"
    assert reasons[3] == "request_id: missing (required)"
    assert reasons[4].startswith("cached_input_tokens + cache_write_tokens: 11 exceed input_tokens 10")
    assert reasons[5] == "input_tokens: '1.2k' is not a whole number"
    # each record found again by its bytes: offset, length and hash of its line (without the line end)
    data = text.encode()
    for line_number, offset, length, digest in quarantined.select(
        "source_line", "byte_offset", "byte_length", "record_sha256"
    ).iter_rows():
        record = data[offset : offset + length]
        assert record == lines[line_number - 1].encode()
        assert digest == hashlib.sha256(record).hexdigest()
    assert quarantined["known_fields"][0] == "{}"  # nothing of an unreadable line
    assert json.loads(quarantined["known_fields"][1]) == {  # as typed: the time that cannot be read is not there
        "request_id": "bad2",
        "trace_id": "bad2",
        "task_type": "unknown",
        "input_tokens": "5",
        "output_tokens": "1",
        "cached_input_tokens": "0",
        "cache_write_tokens": "0",
        "reasoning_tokens": "0",
        "status": "success",
        "escalated": "false",
    }
    assert [str(problem) for problem in result.problems][1].startswith(f"{source}:7: started_at")


def test_times_and_tags_are_normalised(tmp_path: Path) -> None:
    con = connect(tmp_path / "db.duckdb")
    ingest_paths(con, [write_jsonl(tmp_path / "good.jsonl", GOOD)])
    rows = con.sql(
        "select request_id, started_at::varchar, task_type, trace_id, status, escalated, tags "
        "from calls order by request_id"
    ).fetchall()
    assert rows == [
        ("r1", "2026-11-01 10:00:00", "classification", "r1", "success", False, ["env:prod", "a"]),
        ("r2", "2026-11-01 10:00:00", "unknown", "r2", "success", False, None),  # +02:00 -> UTC
        ("r3", "2025-11-01 10:00:00", "unknown", "r3", "success", False, None),  # epoch seconds
        ("r4", "2025-11-01 10:00:00.5", "unknown", "r4", "success", False, None),  # epoch milliseconds
    ]


def test_reingest_loads_nothing_twice(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "calls.jsonl", [*GOOD, {"request_id": "x", "started_at": "never"}])
    con = connect(tmp_path / "db.duckdb")
    [first] = ingest_paths(con, [source])
    [second] = ingest_paths(con, [source])
    assert (first.loaded, first.duplicates, first.quarantined) == (4, 0, 1)
    assert (second.loaded, second.duplicates, second.quarantined) == (0, 4, 1)
    assert accounting_holds(first) and accounting_holds(second)
    assert con.sql("select count(*) from calls").fetchall() == [(4,)]
    assert con.sql("select count(*) from quarantine").fetchall() == [(1,)]
    assert con.sql("select count(*) from ingests").fetchall() == [(2,)]


def test_csv_with_alias_columns_and_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(
        "timestamp,request_id,model,prompt_tokens,completion_tokens,team\n"
        "2026-11-01T10:00:00Z,c1,gpt-4o,1000,100,search\n"
        "2026-11-01T10:00:01Z,c2,gpt-4o,1000,100,search,unexpected\n"
        "2026-11-01T10:00:02Z,c3,gpt-4o,-4,100,search\n"
    )
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [source])
    assert (result.rows_read, result.loaded, result.duplicates, result.quarantined) == (3, 1, 0, 2)
    assert con.sql("select served_model, input_tokens, output_tokens, team from calls").fetchall() == [
        ("gpt-4o", 1000, 100, "search")
    ]
    quarantined = con.sql(
        "select source_line, reason, byte_offset, byte_length, record_sha256 from quarantine order by source_line"
    ).fetchall()
    assert quarantined[0][0] == 3 and quarantined[0][1].startswith("CSV too many columns")
    bad_line = b"2026-11-01T10:00:01Z,c2,gpt-4o,1000,100,search,unexpected"
    assert source.read_bytes()[quarantined[0][2] : quarantined[0][2] + quarantined[0][3]] == bad_line
    assert quarantined[0][4] == hashlib.sha256(bad_line).hexdigest()
    assert quarantined[1][1] == "input_tokens: -4 is negative (a count >= 0 expected)"


def test_parquet_and_gzip_containers_load_the_same_calls(tmp_path: Path) -> None:
    frame = pl.DataFrame(GOOD[:2]).with_columns(pl.col("tags").fill_null([]))
    frame.write_parquet(tmp_path / "calls.parquet")
    with gzip.open(tmp_path / "calls.jsonl.gz", "wt") as handle:
        handle.write("".join(json.dumps(record) + "\n" for record in GOOD[:2]))
    for name in ("calls.parquet", "calls.jsonl.gz"):
        con = connect(tmp_path / f"{name}.duckdb")
        [result] = ingest_paths(con, [tmp_path / name])
        assert result.loaded == 2, name
        assert con.sql("select request_id, started_at::varchar, input_tokens from calls order by 1").fetchall() == [
            ("r1", "2026-11-01 10:00:00", 1000),
            ("r2", "2026-11-01 10:00:00", 10),
        ], name


def test_sample_month_accounting(sample_db: duckdb.DuckDBPyConnection) -> None:
    ledger = sample_db.sql("select source, rows_read, loaded, duplicates, quarantined from ingests order by 1").pl()
    assert (ledger["rows_read"] == ledger["loaded"] + ledger["duplicates"] + ledger["quarantined"]).all()
    by_file = {Path(row[0]).name: row[1:] for row in ledger.rows()}
    # the generator's documented dirt: 15 repeated lines and 12 malformed ones; 3 bad CSV rows
    assert by_file == {
        "requests.jsonl.gz": (100_027, 100_000, 15, 12),
        "requests_export.csv": (2_003, 2_000, 0, 3),
    }
    assert sample_db.sql("select count(*) from calls").fetchall() == [(102_000,)]


def test_unknown_format_names_the_known_ones(tmp_path: Path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("hello\nworld\n")
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [source])
    assert (result.status, result.rows_read) == ("failed", 0)
    assert result.error is not None
    assert re.match(r"no reader recognises this file; known formats: .*generic \(canonical columns", result.error)


def test_prompt_text_is_never_stored(tmp_path: Path) -> None:
    record = {
        **GOOD[0],
        "messages": [{"role": "user", "content": "SECRET PROMPT"}],
        "response": "SECRET ANSWER",
    }
    bad = {**record, "request_id": "q", "input_tokens": -1}
    con = connect(tmp_path / "db.duckdb")
    ingest_paths(con, [write_jsonl(tmp_path / "c.jsonl", [record, bad])])
    stored = con.sql("select to_json(calls)::varchar from calls").fetchall()
    stored += con.sql("select to_json(quarantine)::varchar from quarantine").fetchall()
    assert len(stored) == 2
    assert not any("SECRET" in text for (text,) in stored)


def test_sample_files_exist_and_are_small() -> None:
    total = sum(path.stat().st_size for path in SAMPLE_LOGS.iterdir() if path.is_file())
    assert total < 20 * 1024 * 1024


def test_task_type_from_rules_in_order(tmp_path: Path) -> None:
    routing = tmp_path / "routing.yaml"
    shipped = (REPO / "tierscope" / "config" / "routing.yaml").read_text()
    rules = "task_type_from:\n  - {tag_prefix: 'task:'}\n  - {field: task_type}\n  - {attribute: feature_task}\n"
    routing.write_text(re.sub(r"task_type_from:.*?\n(?=#)", rules, shipped, flags=re.DOTALL))
    base = {"started_at": "2026-11-01", "input_tokens": 1, "output_tokens": 1}
    records = [
        {**base, "request_id": "tag_wins", "task_type": "field", "tags": ["task:from_tag"]},
        {**base, "request_id": "field_next", "task_type": "field", "tags": ["other:x"]},
        {**base, "request_id": "attribute_last", "metadata": {"feature_task": "from_metadata"}},
        {**base, "request_id": "none", "metadata": {"something": "else"}},
    ]
    con = connect(tmp_path / "db.duckdb", routing_path=routing)
    ingest_paths(con, [write_jsonl(tmp_path / "c.jsonl", records)])
    assert dict(con.sql("select request_id, task_type from calls").fetchall()) == {
        "tag_wins": "from_tag",
        "field_next": "field",
        "attribute_last": "from_metadata",
        "none": "unknown",
    }


def test_counts_are_never_rounded_or_lost(tmp_path: Path) -> None:
    base = {"started_at": "2026-11-01T10:00:00Z", "served_model": "gpt-4o", "output_tokens": 1}
    records = [
        {**base, "request_id": "fractional", "input_tokens": 12.7},
        {**base, "request_id": "as_text", "input_tokens": "12"},
        {**base, "request_id": "whole_float", "input_tokens": 12.0},
    ]
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [write_jsonl(tmp_path / "c.jsonl", records)])
    assert (result.loaded, result.quarantined) == (2, 1)
    assert con.sql("select request_id, input_tokens from calls order by 1").fetchall() == [
        ("as_text", 12),
        ("whole_float", 12),
    ]
    assert con.sql("select reason from quarantine").fetchall() == [("input_tokens: '12.7' is not a whole number",)]


# ------------------------------------------------------------------ straight load vs general load (ingest/load.py)
ODD_BUT_VALID = [
    {**GOOD[0], "request_id": "  padded ", "team": "\u00a0search\u3000", "feature": " a b ", "user_id": "ü"},
    {**GOOD[1], "request_id": "s1", "status": "OK", "escalated": True, "quality_passed": False},
    {**GOOD[2], "request_id": "s2", "status": " Error ", "started_at": "2026-11-01 10:00:00 America/New_York"},
    {**GOOD[3], "request_id": "s3", "status": "FAILED", "trace_id": "", "cached_tokens": 1, "prompt_tokens": 2},
    {
        **GOOD[0],
        "request_id": "s4",
        "status": "200",
        "started_at": "2026-11-01T10:00:00.5+05:30",
        "tags": ["task_type:x", " y "],
    },
    {**GOOD[0], "request_id": "s5", "task_type": " ", "metadata": {"task_type": "from_metadata"}},
]


# Every stored row of an ingest, without the times it was made at (per table: the columns left out).
_STORED = {"calls": "ingested_at", "quarantine": "quarantined_at", "ingests": "started_at, finished_at"}


def _rows_apart(con: duckdb.DuckDBPyConnection, other: str) -> dict[str, int]:
    """Per stored table, how many rows differ between this database and the attached one ``other`` (compared in
    SQL, as multisets: a row repeated in one and not the other counts)."""
    apart = {}
    for table, left_out in _STORED.items():
        mine = f"select * exclude ({left_out}) from main.{table}"
        theirs = f"select * exclude ({left_out}) from {other}.{table}"
        [(count,)] = con.sql(
            f"select count(*) from (({mine} except all {theirs}) union all ({theirs} except all {mine}))"
        ).fetchall()
        apart[table] = count
    return apart


def _load_both_ways(tmp_path: Path, files: list[Path]) -> tuple[duckdb.DuckDBPyConnection, list[bool], dict[str, int]]:
    """The files loaded as ingest_paths loads them, and loaded again with every file through the load with dedup:
    the first database (the other attached as ``general``), for each file whether it took the load with dedup, and
    per stored table the rows that differ between the two."""
    general = connect(tmp_path / "general.duckdb")
    ingest_paths(general, files, always_dedup=True)
    general.close()
    both = connect(tmp_path / "both.duckdb")
    results = ingest_paths(both, files)
    both.execute(f"attach '{tmp_path / 'general.duckdb'}' as general (read_only)")
    return both, [result.with_dedup for result in results], _rows_apart(both, "general")


def test_straight_load_gives_the_general_load_rows(tmp_path: Path) -> None:
    clean = write_jsonl(tmp_path / "clean.jsonl", [*GOOD, *ODD_BUT_VALID])
    overlapping = write_jsonl(tmp_path / "overlapping.jsonl", [GOOD[0], {**GOOD[1], "request_id": "new"}])
    rejected = write_jsonl(
        tmp_path / "rejected.jsonl",
        [{**GOOD[1], "request_id": "n"}, {**GOOD[0], "request_id": "n2", "input_tokens": -3}],
    )
    repeated = write_jsonl(
        tmp_path / "repeated.jsonl", [{**GOOD[1], "request_id": "d"}, {**GOOD[2], "request_id": "d"}]
    )
    unreadable = tmp_path / "unreadable.jsonl"
    unreadable.write_text(json.dumps({**GOOD[1], "request_id": "u"}) + "\n{broken\n")
    csv = tmp_path / "export.csv"
    csv.write_text("request_id,started_at,input_tokens,output_tokens\nc1,2026-11-01T10:00:00Z,5,1\n")
    files = [clean, overlapping, rejected, repeated, unreadable, csv]
    both, with_dedup, apart = _load_both_ways(tmp_path, files)
    assert with_dedup == [False, True, False, True, False, False]  # only a repeated request_id takes the general load
    assert apart == {"calls": 0, "quarantine": 0, "ingests": 0}
    ingests = both.sql(
        "select ingest_id, source, rows_read, loaded, duplicates, quarantined from ingests order by ingest_id"
    ).fetchall()
    ledger = {Path(str(row[1])).name: row[2:] for row in ingests}
    assert ledger == {
        "clean.jsonl": (10, 10, 0, 0),
        "overlapping.jsonl": (2, 1, 1, 0),
        "rejected.jsonl": (2, 1, 0, 1),
        "repeated.jsonl": (2, 1, 1, 0),
        "unreadable.jsonl": (2, 1, 0, 1),
        "export.csv": (1, 1, 0, 0),
    }
    assert [row[0] for row in ingests] == [1, 2, 3, 4, 5, 6]  # a straight load given up leaves no gap


def test_straight_load_values_of_odd_records(tmp_path: Path) -> None:
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [write_jsonl(tmp_path / "odd.jsonl", ODD_BUT_VALID)])
    assert (result.loaded, result.quarantined) == (6, 0)
    rows = con.sql(
        "select request_id, trace_id, started_at::varchar, task_type, status, escalated, quality_passed, team, "
        "feature, user_id, input_tokens, cached_input_tokens, tags from calls order by source_line"
    ).fetchall()
    assert rows == [
        ("padded", "padded", "2026-11-01 10:00:00", "classification", "success", False, None, "search", "a b", "ü",
         1000, 0, ["env:prod", "a"]),
        ("s1", "s1", "2026-11-01 10:00:00", "unknown", "success", True, False, None, None, None, 10, 0, None),
        ("s2", "s2", "2026-11-01 15:00:00", "unknown", "error", False, None, None, None, None, 1, 0, None),
        ("s3", "s3", "2025-11-01 10:00:00.5", "unknown", "error", False, None, None, None, None, 1, 1, None),
        ("s4", "s4", "2026-11-01 04:30:00.5", "classification", "success", False, None, None, None, None, 1000, 0,
         ["task_type:x", " y "]),
        ("s5", "s5", "2026-11-01 10:00:00", "from_metadata", "success", False, None, None, None, None, 1000, 0,
         ["env:prod", "a"]),
    ]  # fmt: skip


def test_straight_load_numbers_records_in_file_order(tmp_path: Path) -> None:
    # more records than one row group (122,880), read by several threads, with blank lines between some
    lines = [
        json.dumps({"request_id": f"r{i}", "started_at": "2026-11-01T10:00:00Z", "input_tokens": i, "output_tokens": 1})
        + ("\n" if i % 50_000 == 7 else "")
        for i in range(300_000)
    ]
    source = tmp_path / "big.jsonl"
    source.write_text("\n".join(lines) + "\n")
    both, with_dedup, apart = _load_both_ways(tmp_path, [source])
    assert with_dedup == [False]
    assert apart == {"calls": 0, "quarantine": 0, "ingests": 0}
    # source_line is the record number: the n-th non-blank line, whatever thread read it
    [(calls, misnumbered)] = both.sql(
        "select count(*), count(*) filter (where request_id <> 'r' || (source_line - 1)) from calls"
    ).fetchall()
    assert (calls, misnumbered) == (300_000, 0)


def test_in_transaction_runs_once_with_the_rows(tmp_path: Path) -> None:
    from tierscope.ingest.load import ingest_file

    seen: list[int] = []

    def hook(transaction: duckdb.DuckDBPyConnection) -> None:
        [(calls,)] = transaction.execute("select count(*) from calls").fetchall()
        seen.append(int(calls))

    con = connect(tmp_path / "db.duckdb")
    ingest_file(con, write_jsonl(tmp_path / "a.jsonl", GOOD[:2]), in_transaction=hook)  # straight
    ingest_file(
        con, write_jsonl(tmp_path / "b.jsonl", [GOOD[2], {**GOOD[3], "output_tokens": -1}]), in_transaction=hook
    )
    assert seen == [2, 3]


def test_normalize_shortcuts_agree_with_the_general_expressions(tmp_path: Path) -> None:
    """clean_text, utc_time and the flag cast take shortcuts for common values; each equals the general expression."""
    con = connect(tmp_path / "db.duckdb")
    texts = ["abc", " abc", "abc ", "a b", "", " ", "\u00a0x\u00a0", "\u3000", "\tx\t", "ü", "e\u0301", "x\r\ny", None]
    times = [
        "2026-11-01T10:00:00Z", " 2026-11-01T12:00:00+02:00 ", "2026-11-01", "2026-11-01 10:00:00 Europe/Paris",
        "\u00a02026-11-01T10:00:00Z", "\t2026-11-01 ", "infinity", "-infinity", "epoch", "yesterday", "1761991200",
        "290000-01-01", None,
    ]  # fmt: skip
    flags = ["true", "FALSE", " True ", "t", "yes", "No", "1", "0", "\u00a0true", "on", "maybe", "", None]
    differ = con.sql(
        """
        select 'clean_text', value from unnest($texts) as t(value)
        where clean_text(value) is distinct from nullif(trim(value), '')
        union all
        select 'utc_time', value from unnest($times) as t(value)
        where utc_time(value) is not null
          and utc_time(value)
              is distinct from try_cast(try_cast(trim(value) as timestamptz) at time zone 'UTC' as timestamp)
        union all
        select 'flag', value from unnest($flags) as t(value)
        where coalesce(try_cast(value as boolean), try_cast(lower(trim(value)) as boolean))
              is distinct from try_cast(lower(trim(value)) as boolean)
        """,
        params={"texts": texts, "times": times, "flags": flags},
    ).fetchall()
    assert differ == []


def test_connection_settings_are_left_as_they_were(tmp_path: Path) -> None:
    """The straight load inserts without keeping row order (each row has its record number); the connection's own
    preserve_insertion_order comes back after a load, a rolled-back one too."""
    from tierscope.ingest.load import ingest_file

    def order(con: duckdb.DuckDBPyConnection) -> bool:
        [(value,)] = con.execute("select current_setting('preserve_insertion_order')").fetchall()
        return bool(value)

    def fail(transaction: duckdb.DuckDBPyConnection) -> None:
        raise RuntimeError("hook failed")

    con = connect(tmp_path / "db.duckdb")
    ingest_file(con, write_jsonl(tmp_path / "a.jsonl", GOOD[:2]))
    assert order(con) is True
    with pytest.raises(RuntimeError, match="hook failed"):
        ingest_file(con, write_jsonl(tmp_path / "b.jsonl", GOOD[2:]), in_transaction=fail)
    assert order(con) is True
    assert con.sql("select count(*) from calls").fetchall() == [(2,)]
    con.execute("set preserve_insertion_order = false")
    [result] = ingest_paths(con, [write_jsonl(tmp_path / "c.jsonl", [{**GOOD[2], "request_id": "c1"}, GOOD[3]])])
    assert order(con) is False
    assert result.loaded == 2
    assert con.sql("select request_id, source_line from calls where source like '%c.jsonl' order by 2").fetchall() == [
        ("c1", 1),
        ("r4", 2),
    ]


# ------------------------------------------------------------------ a database can always be opened
def _plant_calls(con: duckdb.DuckDBPyConnection, tokens: list[int]) -> None:
    """Calls written with SQL directly (as a broken tool or a hand edit would), past every check of the load path,
    with a ledger row so that the next refresh takes them in."""
    con.execute("insert into ingests (ingest_id, source, source_format, source_fingerprint, started_at) "
                "values (nextval('ingest_id_seq'), 'planted', 'generic', 'planted', now())")  # fmt: skip
    for index, count in enumerate(tokens):
        con.execute(
            "insert into calls (request_id, trace_id, started_at, task_type, requested_model, served_model, "
            "provider, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, "
            "latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier, user_id, team, feature, "
            "tags, source, source_line, ingest_id, ingested_at, attribute_keys, trace_started_at, time_source) "
            "select 'planted' || $index, 'planted' || $index, timestamp '2026-11-01 10:00:00', "
            "'classification', null, 'gpt-4o', null, $count, 1, 0, 0, 0, null, 'success', false, null, null, null, "
            "null, null, null, null, 'planted', 1, currval('ingest_id_seq'), now(), null, null, null",
            {"index": index, "count": count},
        )


def test_stored_token_sums_cannot_overflow(tmp_path: Path) -> None:
    con = connect(tmp_path / "db.duckdb")
    _plant_calls(con, [2**62, 2**62])
    con.close()
    con = connect(tmp_path / "db.duckdb")  # the refresh on open sums them: 2^63 is past BIGINT
    assert con.sql("select sum(input_tokens) from call_rollup").fetchall() == [(2**63,)]
    assert con.sql("select sum(input_tokens) from trace_rollup").fetchall() == [(2**63,)]
    assert con.sql("select input_tokens from int_traces_in_scope(null, null, null, null, null)").fetchall() == [
        (2**62,),
        (2**62,),
    ]
    assert con.sql("select stale_reason from derived_state").fetchall() == [(None,)]


def test_a_failed_refresh_fails_its_file_and_the_database_stays_openable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tierscope.cli import main
    from tierscope.queries.db import derived_stale_reason

    db = tmp_path / "db.duckdb"
    con = connect(db)
    ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", GOOD[:2])])
    # a derived table the refresh can no longer merge into (as after a crash or a hand edit)
    con.execute("alter table call_rollup drop column cost_usd")
    second = write_jsonl(tmp_path / "b.jsonl", GOOD[2:])
    # the refresh runs in the file's transaction: the file fails whole, nothing of it is stored or half-derived
    [result] = ingest_paths(con, [second])
    assert result.status == "failed" and result.error is not None and "cost_usd" in result.error
    assert con.sql("select count(*) from calls").fetchall() == [(2,)]
    # loaded without the refresh (as a stream does), the calls are committed and the refresh on open fails
    [result] = ingest_paths(con, [second], refresh=False)
    assert (result.status, result.loaded) == ("loaded", 2)
    con.close()
    capsys.readouterr()

    con = connect(db)  # opens; says what is stale, on stderr and in derived_state
    reason = derived_stale_reason(con)
    assert reason is not None and "cost_usd" in reason
    assert con.sql("select count(*) from calls").fetchall() == [(4,)]
    con.close()
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1 and "the derived tables are behind the stored calls" in warning
    assert "tierscope rebuild" in warning

    assert main(["rebuild", "--db", str(db)]) == 0
    con = connect(db)
    assert derived_stale_reason(con) is None
    assert con.sql("select sum(calls) from call_rollup").fetchall() == [(4,)]
    con.close()
    capsys.readouterr()
    assert main(["report", "--db", str(db), "--json"]) == 0
    assert sum(row["calls"] for row in json.loads(capsys.readouterr().out)["rows"]) == 4


def test_a_failed_rebuild_on_open_keeps_the_old_derived_tables(tmp_path: Path) -> None:
    from tierscope.queries.db import DatabaseError, derived_stale_reason

    db = tmp_path / "db.duckdb"
    con = connect(db)
    ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", GOOD)])
    # a derived table another process left in a shape the rebuild cannot replace (a view of the same name)
    con.execute("drop table simulator_rollup; create view simulator_rollup as select 1 as day")
    con.close()
    # a routing change every derived table reads: they are rebuilt on open, which fails
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        (REPO / "tierscope" / "config" / "routing.yaml")
        .read_text()
        .replace("default_tier: tier2", "default_tier: tier1")
    )
    con = connect(db, routing_path=routing)
    assert derived_stale_reason(con) is not None
    assert con.sql("select count(*) from calls").fetchall() == [(4,)]
    con.close()
    with pytest.raises(DatabaseError, match="the derived tables cannot be rebuilt"):
        connect(db, rebuild=True, routing_path=routing)


# ------------------------------------------------------------------ no file stops a run; each failure is one line
def _lines(records: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(record) + "\n" for record in records).encode()


def _cli_ingest(capsys: pytest.CaptureFixture[str], db: Path, *paths: Path) -> tuple[int, dict, str]:
    from tierscope.cli import main

    status = main(["ingest", *(str(path) for path in paths), "--db", str(db), "--json"])
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def _assert_accounting(payload: dict) -> None:
    for entry in payload["files"]:
        assert entry["rows_read"] == entry["loaded"] + entry["duplicates"] + entry["quarantined"], entry
    assert payload["rows_read"] == payload["loaded"] + payload["duplicates"] + payload["quarantined"]


def test_unreadable_files_fail_one_line_each_and_the_others_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = gzip.compress(_lines(GOOD) * 20)
    pl.DataFrame(GOOD[:2]).drop("tags").write_parquet(tmp_path / "whole.parquet")
    parquet = (tmp_path / "whole.parquet").read_bytes()
    broken = {
        "truncated.jsonl.gz": packed[: len(packed) // 2],
        "corrupt.jsonl.gz": packed[:20] + bytes(16) + packed[36:],
        "trailing_garbage.jsonl.gz": packed + b"not gzip at all",
        "magic_only.jsonl.gz": b"\x1f\x8b",
        "truncated_array.json": json.dumps(GOOD).encode()[:-30],
        "truncated.parquet": parquet[: len(parquet) // 2],
        "junk.parquet": b"PAR1" + b"junk" * 8,
    }
    for name, data in broken.items():
        (tmp_path / name).write_bytes(data)
    good = write_jsonl(tmp_path / "good.jsonl", GOOD)
    status, payload, err = _cli_ingest(capsys, tmp_path / "db.duckdb", *(tmp_path / name for name in broken), good)
    assert status == 2
    entries = {Path(entry["path"]).name: entry for entry in payload["files"]}
    assert (entries["good.jsonl"]["status"], entries["good.jsonl"]["loaded"]) == ("loaded", 4)
    for name in broken:
        entry = entries[name]
        assert entry["status"] == "failed", name
        assert entry["error"] and "\n" not in entry["error"], name
        assert entry["rows_read"] == entry["loaded"] == entry["quarantined"] == 0, name
        assert f"tierscope: failed {tmp_path / name}: " in err, name
    assert "gzip" in entries["truncated.jsonl.gz"]["error"]
    assert "Traceback" not in err and err.count("\n") == len(broken)
    _assert_accounting(payload)
    con = connect(tmp_path / "db.duckdb")
    assert con.sql("select count(*) from calls").fetchall() == [(4,)]
    assert con.sql("select count(*) from ingests").fetchall() == [(1,)]  # nothing of a failed file is stored


def test_gzip_is_read_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    (tmp_path / "plain.jsonl.gz").write_bytes(_lines(GOOD[:2]))
    (tmp_path / "packed.jsonl").write_bytes(gzip.compress(_lines(GOOD[2:])))
    con = connect(tmp_path / "db.duckdb")
    results = ingest_paths(con, [tmp_path / "plain.jsonl.gz", tmp_path / "packed.jsonl"])
    assert [(result.status, result.loaded, result.quarantined) for result in results] == [
        ("loaded", 2, 0),
        ("loaded", 2, 0),
    ]


def test_a_folder_with_empty_and_unknown_files_loads_every_other_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", GOOD[:2])
    (folder / "b_empty.jsonl").write_bytes(b"")
    (folder / "c_notes.txt").write_text("hello\nworld\n")
    write_jsonl(folder / "d.jsonl", GOOD[2:])
    (folder / "e_blank.csv").write_text("\n  \n")
    status, payload, err = _cli_ingest(capsys, tmp_path / "db.duckdb", folder)
    assert status == 0
    shown = {
        Path(entry["path"]).name: (entry["status"], entry["rows_read"], entry["loaded"]) for entry in payload["files"]
    }
    assert shown == {
        "a.jsonl": ("loaded", 2, 2),
        "b_empty.jsonl": ("loaded", 0, 0),
        "c_notes.txt": ("skipped", 0, 0),
        "d.jsonl": ("loaded", 2, 2),
        "e_blank.csv": ("loaded", 0, 0),
    }
    assert (
        err.strip()
        == f"tierscope: skipped {folder / 'c_notes.txt'}: no reader recognises this file (--format forces one)"
    )
    _assert_accounting(payload)


# ------------------------------------------------------------------ values that were read silently wrong
def test_epoch_times_are_read_by_magnitude_and_kept_to_plausible_years(tmp_path: Path) -> None:
    base = {"input_tokens": 1, "output_tokens": 1}
    times: dict[str, object] = {
        "seconds": 1761991200.5,
        "milliseconds": 1761991200500,
        "microseconds": 1761991200500000,
        "nanoseconds": 1761991200500000000,
        "nanoseconds_text": "1761991200500000999",
        "iso": "2025-11-01T10:00:00.5Z",
        "infinity": "infinity",
        "minus_infinity": "-infinity",
        "year_2100": 4102444800,
        "year_1969": "1969-12-31T23:59:59Z",
        "year_1": "0001-01-01",
        "too_many_digits": "123456789012345678901234567",
    }
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(
        con,
        [
            write_jsonl(
                tmp_path / "t.jsonl", [{**base, "request_id": key, "started_at": value} for key, value in times.items()]
            )
        ],
    )
    assert (result.loaded, result.quarantined) == (6, 6)
    assert con.sql("select distinct started_at::varchar from calls").fetchall() == [("2025-11-01 10:00:00.5",)]
    reasons = dict(
        con.sql("select json_extract_string(known_fields, '$.request_id'), reason from quarantine").fetchall()
    )
    assert reasons["infinity"] == "started_at: infinity is outside the years 1970 to 2099"
    assert reasons["year_2100"] == "started_at: 2100-01-01 00:00:00 is outside the years 1970 to 2099"
    assert reasons["year_1969"] == "started_at: 1969-12-31 23:59:59 is outside the years 1970 to 2099"
    assert reasons["too_many_digits"].startswith("started_at: cannot read '123456789012345678901234567' as a time")
    assert set(reasons) == {"infinity", "minus_infinity", "year_2100", "year_1969", "year_1", "too_many_digits"}


def test_counts_are_json_numbers_or_numeric_text_within_the_ceiling(tmp_path: Path) -> None:
    base = {"started_at": "2026-11-01T10:00:00Z", "served_model": "gpt-4o", "output_tokens": 1}
    counts: dict[str, object] = {
        "true": True,
        "false": False,
        "text": "12",
        "ceiling": 10**12,
        "above": 10**12 + 1,
        "huge": 2**62,
        "enormous": 1e30,
        "object": {"tokens": 5},
    }
    records = [{**base, "request_id": key, "input_tokens": value} for key, value in counts.items()]
    records.append({**base, "request_id": "true_output", "input_tokens": 3, "output_tokens": True})
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [write_jsonl(tmp_path / "c.jsonl", records)])
    assert dict(con.sql("select request_id, input_tokens from calls").fetchall()) == {"text": 12, "ceiling": 10**12}
    reasons = dict(
        con.sql("select json_extract_string(known_fields, '$.request_id'), reason from quarantine").fetchall()
    )
    assert reasons == {
        "true": "input_tokens: 'true' is not a whole number",
        "false": "input_tokens: 'false' is not a whole number",
        "above": "input_tokens: 1000000000001 is above the ceiling of 1000000000000 tokens per call",
        "huge": "input_tokens: 4611686018427387904 is above the ceiling of 1000000000000 tokens per call",
        "enormous": "input_tokens: 1e+30 is above the ceiling of 1000000000000 tokens per call",
        "object": "input_tokens: a JSON object or list is not a whole number",
        "true_output": "output_tokens: 'true' is not a whole number",
    }
    assert result.quarantined == 7


def test_text_fields_must_be_scalars(tmp_path: Path) -> None:
    marker = "MARKER-7f3a-PROMPT"
    base = {**GOOD[1], "served_model": "gpt-4o"}
    records = [
        {**base, "request_id": "task", "task_type": {"prompt": marker}},
        {**base, "request_id": ["list", marker]},
        {**base, "request_id": "team", "team": {"content": marker}},
        {**base, "request_id": "model", "served_model": [marker]},
        {**base, "request_id": "tags", "tags": ["ok", {"content": marker}]},
        # an attribute that is an object gives no task type; the call itself is fine
        {**base, "request_id": "metadata", "metadata": {"task_type": {"prompt": marker}}},
    ]
    csv = tmp_path / "c.csv"
    csv.write_text(
        "request_id,started_at,input_tokens,output_tokens,feature\n"
        f'c1,2026-11-01T10:00:00Z,5,1,"{{""prompt"": ""{marker}""}}"\n'
    )
    pl.DataFrame(
        {
            "request_id": ["p1"],
            "started_at": ["2026-11-01T10:00:00Z"],
            "input_tokens": [5],
            "output_tokens": [1],
            "task_type": [{"prompt": marker}],
        }
    ).write_parquet(tmp_path / "p.parquet")
    con = connect(tmp_path / "db.duckdb")
    ingest_paths(con, [write_jsonl(tmp_path / "j.jsonl", records), csv, tmp_path / "p.parquet"])
    assert con.sql("select request_id, task_type from calls").fetchall() == [("metadata", "unknown")]
    reasons = sorted(reason for (reason,) in con.sql("select reason from quarantine").fetchall())
    assert reasons == [
        "feature: a JSON object or list where text is expected",
        "request_id: a JSON object or list where text is expected",
        "served_model: a JSON object or list where text is expected",
        "tags: not a list of strings (a JSON list of strings, or comma-separated text)",
        "task_type: a JSON object or list where text is expected",
        "task_type: a JSON object or list where text is expected",
        "team: a JSON object or list where text is expected",
    ]
    assert marker not in str(con.sql("select * from quarantine").fetchall() + con.sql("select * from calls").fetchall())


def test_lone_cr_line_ends_split_records(tmp_path: Path) -> None:
    lines = [json.dumps({**record, "request_id": f"cr{index}"}) for index, record in enumerate(GOOD)]
    lines.insert(2, '{"request_id": "broken",')
    source = tmp_path / "mac.jsonl"
    source.write_bytes("\r".join(lines).encode() + b"\r")
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [source])
    assert (result.rows_read, result.loaded, result.quarantined) == (5, 4, 1)
    [(line, offset, length, reason)] = con.sql(
        "select source_line, byte_offset, byte_length, reason from quarantine"
    ).fetchall()
    assert (line, reason) == (3, "not valid JSON")
    assert source.read_bytes()[offset : offset + length] == b'{"request_id": "broken",'
    # a lone CR far into a file of LF lines: the records it joins are one unreadable line, named as such
    filler = [json.dumps({**GOOD[0], "request_id": f"f{index}"}) for index in range(1000)]
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(("\n".join(filler) + "\n" + lines[0] + "\r" + lines[1] + "\n").encode())
    [result] = ingest_paths(con, [mixed])
    assert (result.rows_read, result.quarantined) == (1001, 1)
    assert [str(problem) for problem in result.problems] == [
        f"{mixed}:1001: not valid JSON (it holds a lone CR: several records on one line?)"
    ]


def test_a_pretty_printed_json_document_is_read_as_json(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(GOOD[0], indent=2))
    (tmp_path / "array.json").write_text(
        json.dumps([{**record, "request_id": f"a{i}"} for i, record in enumerate(GOOD)], indent=2)
    )
    (tmp_path / "several.json").write_text(
        "\n".join(json.dumps({**record, "request_id": f"s{i}"}, indent=2) for i, record in enumerate(GOOD[:3]))
    )
    con = connect(tmp_path / "db.duckdb")
    results = ingest_paths(con, [tmp_path / "one.json", tmp_path / "array.json", tmp_path / "several.json"])
    assert [(result.rows_read, result.loaded) for result in results] == [(1, 1), (4, 4), (3, 3)]


def test_an_array_record_that_fails_validation_is_located_by_its_bytes(tmp_path: Path) -> None:
    records = [GOOD[0], {**GOOD[1], "input_tokens": -5}, GOOD[2]]
    text = json.dumps(records, indent=2)
    (tmp_path / "array.json").write_text(text)
    con = connect(tmp_path / "db.duckdb")
    ingest_paths(con, [tmp_path / "array.json"])
    [(line, offset, length, digest)] = con.sql(
        "select source_line, byte_offset, byte_length, record_sha256 from quarantine"
    ).fetchall()
    record = text.encode()[offset : offset + length]
    assert json.loads(record) == records[1]
    assert digest == hashlib.sha256(record).hexdigest()
    assert line == text[:offset].count("\n") + 1


# ------------------------------------------------------------------ databases and config files that cannot be used
def test_unusable_databases_are_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tierscope.cli import main

    good = write_jsonl(tmp_path / "good.jsonl", GOOD)
    (tmp_path / "text.duckdb").write_text("not a database\n" * 100)
    (tmp_path / "folder.duckdb").mkdir()
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    other.execute("create table users (name varchar); insert into users values ('ada')")
    other.close()
    expected = {
        "text.duckdb": "not a DuckDB database file",
        "folder.duckdb": "is a folder, not a database file",
        "other.duckdb": "a DuckDB database of another tool (tables users); tierscope writes only into an empty "
        "database or one it made",
    }
    for name, message in expected.items():
        for command in (["ingest", str(good)], ["report"]):
            assert main([*command, "--db", str(tmp_path / name)]) == 2, (name, command)
            err = capsys.readouterr().err
            assert err == f"tierscope: {tmp_path / name}: {message}\n", (name, command)
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    assert other.sql("select table_name from duckdb_tables()").fetchall() == [("users",)]  # untouched
    other.close()
    empty = duckdb.connect(str(tmp_path / "empty.duckdb"))
    empty.close()
    assert main(["ingest", str(good), "--db", str(tmp_path / "empty.duckdb")]) == 0


def test_unusable_config_files_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tierscope.cli import main

    good = write_jsonl(tmp_path / "good.jsonl", GOOD)
    (tmp_path / "latin1.yaml").write_bytes("models:\n  caf\xe9: {}\n".encode("latin-1"))
    for option, value in (("--prices", tmp_path / "latin1.yaml"), ("--prices", tmp_path), ("--routing", tmp_path)):
        assert main(["ingest", str(good), "--db", str(tmp_path / "db.duckdb"), option, str(value)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"tierscope: {value}: ") and err.count("\n") == 1, err


def test_quarantine_text_of_an_older_database_leaves_the_file(tmp_path: Path) -> None:
    marker = b"MARKER-old-raw-line"
    db = tmp_path / "old.duckdb"
    con = connect(db)
    ingest_paths(con, [write_jsonl(tmp_path / "a.jsonl", [GOOD[0], {**GOOD[1], "input_tokens": -1}])])
    # the quarantine as it was: the raw line of each rejected record
    con.execute("alter table quarantine add column raw_text varchar")
    con.execute("update quarantine set raw_text = $text", {"text": (marker * 50).decode()})
    con.close()
    assert marker in db.read_bytes()
    con = connect(db)
    assert "raw_text" not in [
        column for (column,) in con.sql("select column_name from (describe quarantine)").fetchall()
    ]
    assert con.sql("select reason from quarantine").fetchall() == [
        ("input_tokens: -1 is negative (a count >= 0 expected)",)
    ]
    assert con.sql("select count(*) from calls").fetchall() == [(1,)]
    [(next_id,)] = con.sql("select nextval('ingest_id_seq')").fetchall()
    assert next_id == 2  # the ledger's sequence carried over
    con.close()
    assert marker not in db.read_bytes()


def test_a_record_nested_too_deep_to_locate_is_still_quarantined(tmp_path: Path) -> None:
    deep = "[" * 5000 + "]" * 5000  # DuckDB reads it; Python's parser cannot walk it to find the record's bytes
    text = "[" + json.dumps(GOOD[0]) + ', {"request_id": "deep", "input_tokens": -1, "x": ' + deep + "}]"
    (tmp_path / "deep.json").write_text(text)
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [tmp_path / "deep.json"])
    assert (result.status, result.loaded, result.quarantined) == ("loaded", 1, 1)
    assert con.sql("select source_line, byte_offset from quarantine").fetchall() == [(2, None)]


# ------------------------------------------------------------------ memory: a limit by default, configurable
def test_memory_limit_defaults_to_2gb_and_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tierscope.cli import main
    from tierscope.queries.config import ConfigError

    limit = "select current_setting('memory_limit')"
    con = connect(tmp_path / "a.duckdb")
    assert con.sql(limit).fetchall() == [("1.8 GiB",)]  # 2GB
    con.close()
    con = connect(tmp_path / "a.duckdb", memory_limit="512MB")
    assert con.sql(limit).fetchall() == [("488.2 MiB",)]
    con.close()
    monkeypatch.setenv("TIERSCOPE_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match="'lots' is not a memory size"):
        connect(tmp_path / "a.duckdb")
    with pytest.raises(SystemExit):
        main(["ingest", "--db", str(tmp_path / "a.duckdb"), "--memory-limit", "lots", str(tmp_path)])


def test_verbose_ingest_says_where_the_time_went(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tierscope.cli import main

    first = write_jsonl(tmp_path / "first.jsonl", GOOD[:2])
    repeated = write_jsonl(tmp_path / "repeated.jsonl", [GOOD[2], {**GOOD[3], "request_id": GOOD[2]["request_id"]}])
    con = connect(tmp_path / "db.duckdb")
    results = ingest_paths(con, [first, repeated])
    con.close()
    for result in results:
        steps = dict(result.steps)
        # the read, the load's SQL, the derived tables' maintenance and the commit, each timed once
        assert {"read", "ingest/load_calls.sql", "steps/merge_rollups.sql", "commit"} <= set(steps), steps
        assert all(seconds >= 0 for seconds in steps.values())
        assert sum(steps.values()) <= result.seconds
    assert "ingest/normalize.sql" in dict(results[1].steps)  # the load with dedup types the file into a table

    assert main(["ingest", str(first), "--db", str(tmp_path / "cli.duckdb"), "--verbose"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert {"step", "read", "ingest/load_calls.sql", "commit", "other"} <= set(lines), out
    shares = [float(words[-1].strip("<%")) for words in lines.values() if words and words[-1].endswith("%")]
    assert 99.0 <= sum(shares) <= 101.0, out  # the steps and "other" add up to the file's time
