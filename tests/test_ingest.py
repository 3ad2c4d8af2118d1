"""Generic-format ingest: accounting, quarantine, dedup, idempotence, every container and alias."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import REPO, SAMPLE_LOGS, write_jsonl
from tierscope.ingest.formats import UnknownFormatError
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


def test_dirty_jsonl_quarantines_with_line_field_and_raw_text(tmp_path: Path) -> None:
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
    source.write_text("\n".join(lines) + "\n")
    con = connect(tmp_path / "db.duckdb")
    [result] = ingest_paths(con, [source])
    assert (result.rows_read, result.loaded, result.duplicates, result.quarantined) == (11, 4, 1, 6)
    quarantined = con.sql("select source_line, reason, raw_text from quarantine order by source_line").pl()
    assert quarantined["source_line"].to_list() == [6, 7, 8, 9, 10, 11]
    reasons = quarantined["reason"].to_list()
    assert reasons[0] == "not valid JSON, or an object with no known field"
    assert quarantined["raw_text"][0] == '{"request_id": "bad1", broken'
    assert reasons[1].startswith("started_at: cannot read 'yesterday' as a time")
    assert reasons[2] == "input_tokens: -1 is negative (a count >= 0 expected)"
    assert reasons[3] == "request_id: missing (required)"
    assert reasons[4].startswith("cached_input_tokens + cache_write_tokens: 11 exceed input_tokens 10")
    assert reasons[5] == "input_tokens: '1.2k' is not a whole number"
    assert '"started_at":"yesterday"' in quarantined["raw_text"][1]
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
    quarantined = con.sql("select source_line, reason, raw_text from quarantine order by source_line").fetchall()
    assert quarantined[0][0] == 3 and quarantined[0][1].startswith("CSV too many columns")
    assert quarantined[0][2] == "2026-11-01T10:00:01Z,c2,gpt-4o,1000,100,search,unexpected"
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
    expected = r"notes.txt: no reader recognises this file; known formats: .*generic \(canonical columns"
    with pytest.raises(UnknownFormatError, match=expected):
        ingest_paths(con, [source])


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
    stored += con.sql("select raw_text from quarantine").fetchall()
    assert len(stored) == 2
    assert not any("SECRET" in text for (text,) in stored)


def test_sample_files_exist_and_are_small() -> None:
    total = sum(path.stat().st_size for path in SAMPLE_LOGS.iterdir() if path.is_file())
    assert total < 20 * 1024 * 1024


def test_task_type_from_rules_in_order(tmp_path: Path) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(
        (REPO / "tierscope" / "config" / "routing.yaml").read_text()
        + "task_type_from:\n  - {tag_prefix: 'task:'}\n  - {field: task_type}\n  - {attribute: feature_task}\n"
    )
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


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of an ingest, without the times it was made at."""
    return {
        "requests": con.sql(
            "select * exclude (ingested_at) from calls order by ingest_id, source_line, request_id"
        ).fetchall(),
        "quarantine": con.sql(
            "select * exclude (quarantined_at) from quarantine order by ingest_id, source_line"
        ).fetchall(),
        "ingests": con.sql("select * exclude (started_at, finished_at) from ingests order by ingest_id").fetchall(),
    }


def _load_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[Path]
) -> tuple[dict[str, list[tuple[object, ...]]], dict[str, list[tuple[object, ...]]], list[bool]]:
    """The files loaded as ingest_paths loads them, and loaded with the straight load switched off; and for each
    file whether the straight load took it."""
    import tierscope.ingest.load as load

    straight = load._load_straight
    taken: list[bool] = []

    def spy(*args: object, **kwargs: object) -> load.Loaded | None:
        loaded = straight(*args, **kwargs)  # type: ignore[arg-type]
        taken.append(loaded is not None)
        return loaded

    monkeypatch.setattr(load, "_load_straight", spy)
    both = connect(tmp_path / "both.duckdb")
    ingest_paths(both, files)
    monkeypatch.setattr(load, "_load_straight", lambda *args, **kwargs: None)
    general = connect(tmp_path / "general.duckdb")
    ingest_paths(general, files)
    return _tables(both), _tables(general), taken


def test_straight_load_gives_the_general_load_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    both, general, taken = _load_both_ways(tmp_path, monkeypatch, files)
    assert taken == [True, False, True, False, True, True]  # only a repeated request_id takes the general load
    assert both == general
    ledger = {Path(str(row[1])).name: row[4:8] for row in both["ingests"]}  # rows_read, loaded, duplicates, quarantined
    assert ledger == {
        "clean.jsonl": (10, 10, 0, 0),
        "overlapping.jsonl": (2, 1, 1, 0),
        "rejected.jsonl": (2, 1, 0, 1),
        "repeated.jsonl": (2, 1, 1, 0),
        "unreadable.jsonl": (2, 1, 0, 1),
        "export.csv": (1, 1, 0, 0),
    }
    assert [row[0] for row in both["ingests"]] == [1, 2, 3, 4, 5, 6]  # a straight load given up leaves no gap


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


def test_straight_load_numbers_records_in_file_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # more records than one row group (122,880), read by several threads, with blank lines between some
    lines = [
        json.dumps({"request_id": f"r{i}", "started_at": "2026-11-01T10:00:00Z", "input_tokens": i, "output_tokens": 1})
        + ("\n" if i % 50_000 == 7 else "")
        for i in range(300_000)
    ]
    source = tmp_path / "big.jsonl"
    source.write_text("\n".join(lines) + "\n")
    both, general, taken = _load_both_ways(tmp_path, monkeypatch, [source])
    assert taken == [True]
    assert both == general
    # source_line is the record number: the n-th non-blank line, whatever thread read it
    numbered = [(row[0], row[23]) for row in both["requests"]]
    assert numbered == [(f"r{i}", i + 1) for i in range(300_000)]


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
