"""Fuzzing the load path and the config files (Hypothesis): malformed inputs for every reader, made by mutating the
format samples and generic JSONL / CSV / Parquet records (truncation, byte flips, values of the wrong type, huge
numbers, deep nesting, other encodings, CR line ends, gzip wrapping), and mutated prices.yaml / routing.yaml.

For every example, through the real CLI: no traceback (``main`` returns 0 or 2), rows_read = loaded + duplicates +
quarantined for every file of ``--json``, a failed file is one line on stderr, the database still opens and ``report``
works, and the prompt text planted in the inputs is in no table and no file the ingest wrote.

Bounded and deterministic: a fixed number of examples, derandomized, no example database (so CI runs the same
inputs every time, in well under a minute on two cores).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO, SAMPLE_LOGS
from tests.test_formats import assert_marker_nowhere
from tierscope.cli import main

MARKER = "FUZZ-MARKER-41d7-prompt"
FORMATS = SAMPLE_LOGS / "formats"
CONFIG = REPO / "tierscope" / "config"

settings.register_profile(
    "tierscope-fuzz",
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
FUZZ = settings.get_profile("tierscope-fuzz")

# ------------------------------------------------------------------ the inputs
# The prompt text sits where real logs keep it: in keys no reader maps, nested in objects and lists (a marker in a
# canonical scalar field, such as started_at, may legitimately be quoted in a reject reason, so none is put there).
CONVERSATION = [{"role": "user", "content": f"{MARKER} my card is 4242"}]


def _with_conversation(record: object) -> object:
    if isinstance(record, dict):
        return {**record, "conversation": CONVERSATION}
    return record


def _sample_records(name: str) -> list[object]:
    """A JSON sample's records with the marker where it keeps prompt text; an unreadable line is kept as text."""
    text = (FORMATS / name).read_text().replace("SECRET", MARKER)
    if name.endswith(".json"):
        return [_with_conversation(record) for record in json.loads(text)]
    records: list[object] = []
    for line in text.splitlines():
        try:
            records.append(_with_conversation(json.loads(line)))
        except json.JSONDecodeError:
            records.append(line)
    return records


JSON_SAMPLES = [
    "litellm.jsonl",
    "otel_genai.jsonl",
    "openai_batch_output.jsonl",
    "anthropic_batch_results.jsonl",
    "helicone_requests.jsonl",
    "langfuse_observations.json",
]
GENERIC_RECORD = {
    "request_id": "g1",
    "trace_id": "t1",
    "started_at": "2026-11-01T10:00:00Z",
    "task_type": "extraction",
    "served_model": "gpt-4o-mini",
    "input_tokens": 1200,
    "output_tokens": 40,
    "cached_input_tokens": 200,
    "team": "search",
    "tags": ["env:prod"],
    "metadata": {"task_type": "extraction", "note": CONVERSATION},
    "conversation": CONVERSATION,
}

# Values of the wrong type for any field: scalars that readers must refuse or read right, and objects / lists that
# carry the marker (an object where text is expected must never be stored).
ODD_SCALARS = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        ["infinity", "-infinity", "NaN", "1e30", "-1", "12.7", "0x10", "2026-13-45", "1761991200000000000",
         "123456789012345678901234567", "", " ", "\u0000", "\ud7ff\u00e9"]
    ),
)  # fmt: skip
STRUCTURED = st.one_of(
    st.just({"content": MARKER}),
    st.just([{"content": MARKER}]),
    st.integers(min_value=50, max_value=400).map(
        lambda depth: json.loads("[" * depth + json.dumps(MARKER) + "]" * depth)
    ),
)
ODD_VALUES = st.one_of(ODD_SCALARS, STRUCTURED)


def _leaf_paths(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    """Every place in a JSON value that holds a scalar, except the marker's own (it stays where it is)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "conversation":
                yield from _leaf_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaf_paths(item, (*path, index))
    elif value != MARKER and not (isinstance(value, str) and MARKER in value):
        yield path


def _replace(value: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    head, *rest = path
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], tuple(rest), new)}  # type: ignore[index]
    assert isinstance(value, list) and isinstance(head, int)
    return [*value[:head], _replace(value[head], tuple(rest), new), *value[head + 1 :]]


@st.composite
def odd_records(draw: st.DrawFn, records: list[object]) -> list[object]:
    """The records with up to three scalars replaced by values of the wrong type."""
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        index = draw(st.integers(min_value=0, max_value=len(records) - 1))
        paths = list(_leaf_paths(records[index]))
        if paths:
            path = draw(st.sampled_from(paths))
            records = [*records[:index], _replace(records[index], path, draw(ODD_VALUES)), *records[index + 1 :]]
    return records


def _jsonl(records: list[object]) -> bytes:
    return "".join((record if isinstance(record, str) else json.dumps(record)) + "\n" for record in records).encode()


def _csv(records: list[dict[str, object]]) -> bytes:
    """Generic records as CSV: lists and objects as JSON text in their cell; the marker in the last two columns,
    which no reader maps (so a damaged delimiter can only join it to another unmapped column)."""
    columns = [key for key in GENERIC_RECORD if key not in ("metadata", "conversation")] + ["note", "conversation"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        cells = {**record, "note": "x", "conversation": json.dumps(CONVERSATION)}
        writer.writerow(
            [json.dumps(cells.get(c)) if isinstance(cells.get(c), list | dict) else cells.get(c) for c in columns]
        )
    return out.getvalue().encode()


def _parquet(records: list[dict[str, object]]) -> bytes:
    frame = pl.DataFrame(
        {key: [str(record.get(key)) for record in records] for key in GENERIC_RECORD if key != "conversation"}
    )
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


# Byte-level damage: (name, function of (data, draw)). Flips never touch CSV (a flipped delimiter could join the
# marker's column to a mapped one, which would then hold it legitimately).
def _truncate(data: bytes, draw: st.DrawFn) -> bytes:
    return data[: draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))]


def _flip(data: bytes, draw: st.DrawFn) -> bytes:
    flipped = bytearray(data)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if flipped:
            flipped[draw(st.integers(min_value=0, max_value=len(flipped) - 1))] = draw(st.integers(0, 255))
    return bytes(flipped)


DAMAGE: dict[str, Callable[[bytes, st.DrawFn], bytes]] = {
    "truncate": _truncate,
    "flip": _flip,
    "cr_line_ends": lambda data, draw: data.replace(b"\n", b"\r"),
    "crlf_line_ends": lambda data, draw: data.replace(b"\n", b"\r\n"),
    "blank_lines": lambda data, draw: data.replace(b"\n", b"\n \n\t\n"),
    "repeat": lambda data, draw: data + data,
    "utf16": lambda data, draw: data.decode("utf-8", "replace").encode("utf-16"),
    "latin1": lambda data, draw: data.decode("utf-8", "replace").encode("latin-1", "replace"),
    "bom": lambda data, draw: b"\xef\xbb\xbf" + data,
    "gzip": lambda data, draw: gzip.compress(data),
    "gzip_truncated": lambda data, draw: gzip.compress(data)[: draw(st.integers(min_value=2, max_value=40))],
    "gzip_trailing": lambda data, draw: gzip.compress(data) + b"trailing",
}


@st.composite
def damaged_files(draw: st.DrawFn) -> tuple[str, bytes, bool]:
    """(file name, bytes, whether the marker must be absent afterwards) of one malformed input."""
    base = draw(st.sampled_from([*JSON_SAMPLES, "spend_logs.csv", "generic.jsonl", "generic.json", "generic.csv",
                                 "generic.parquet"]))  # fmt: skip
    marker_checked = True
    if base in JSON_SAMPLES:
        records = draw(odd_records(_sample_records(base)))
        if base.endswith(".json"):
            data = json.dumps(records, indent=draw(st.sampled_from([None, 2]))).encode()
        else:
            data = _jsonl(records)
        name = base
    elif base == "spend_logs.csv":
        text = (FORMATS / "litellm_spend_logs.csv").read_text()
        data = re.sub(r"SECRET[A-Z :0-9a-z]*", MARKER, text).encode()
        name = base
    else:
        records = draw(odd_records([{**GENERIC_RECORD, "request_id": f"g{index}"} for index in range(3)]))
        dicts = [record for record in records if isinstance(record, dict)]
        if base == "generic.jsonl":
            data = _jsonl(records)
        elif base == "generic.json":
            data = json.dumps(records, indent=2).encode()
        elif base == "generic.csv":
            data = _csv(dicts)
        else:
            data = _parquet(dicts)
            marker_checked = False  # (no marker in it: a flipped footer could point a column at another's data)
        name = base
    damage = draw(st.lists(st.sampled_from(sorted(DAMAGE)), max_size=2))
    if name.endswith(".csv"):
        damage = [step for step in damage if step != "flip"]
    for step in damage:
        data = DAMAGE[step](data, draw)
    return name, data, marker_checked


# ------------------------------------------------------------------ the properties
@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


@FUZZ
@given(files=st.lists(damaged_files(), min_size=1, max_size=3))
def test_any_input_loads_or_fails_in_one_line(fuzz_dir: Path, files: list[tuple[str, bytes, bool]]) -> None:
    example = Path(tempfile.mkdtemp(dir=fuzz_dir))
    inputs = []
    for index, (name, data, _) in enumerate(files):
        path = example / f"{index}_{name}"
        path.write_bytes(data)
        inputs.append(path)
    db = fuzz_dir / "fuzz.duckdb"  # one database for every example: each adds to what the others left
    status, out, err = _run(["ingest", *(str(path) for path in inputs), "--db", str(db), "--json"])
    assert status in (0, 2), err
    payload = json.loads(out)
    assert len(payload["files"]) == len(inputs)
    for entry in payload["files"]:
        assert entry["rows_read"] == entry["loaded"] + entry["duplicates"] + entry["quarantined"], entry
        assert entry["status"] in ("loaded", "failed", "skipped"), entry
        if entry["status"] != "loaded":
            assert entry["error"] and "\n" not in entry["error"], entry
            assert f"tierscope: {entry['status']} {entry['path']}: {entry['error']}\n" in err
    assert (status == 2) == any(entry["status"] == "failed" for entry in payload["files"])
    assert "Traceback" not in err

    report_status, report_out, report_err = _run(["report", "--db", str(db), "--json"])
    assert report_status == 0, report_err
    assert "rows" in json.loads(report_out)

    if all(checked for _, _, checked in files):
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert_marker_nowhere(con, [], MARKER)
        finally:
            con.close()
        written = [path for path in fuzz_dir.iterdir() if path.is_file()]
        assert_marker_nowhere_in_files(written)


def assert_marker_nowhere_in_files(written: list[Path]) -> None:
    for path in written:
        assert MARKER.encode() not in path.read_bytes(), path


# ------------------------------------------------------------------ config files
def _config_damage(draw: st.DrawFn, text: str) -> bytes:
    lines = text.splitlines(keepends=True)
    step = draw(
        st.sampled_from(["truncate", "flip", "repeat_line", "bad_date", "deep", "latin1", "swap_value", "tabs"])
    )
    if step == "truncate":
        return text.encode()[: draw(st.integers(min_value=0, max_value=len(text)))]
    if step == "flip":
        return _flip(text.encode(), draw)
    if step == "repeat_line":
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        return "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]]).encode()
    if step == "bad_date":
        date = draw(st.sampled_from(["2024-13-01", "2024-02-30", "0000-01-01", "2024-1-1", "9999-12-31"]))
        return re.sub(r"\d{4}-\d{2}-\d{2}", date, text, count=1).encode()
    if step == "deep":
        depth = draw(st.integers(min_value=10, max_value=100_000))
        return (text + "extra: " + "[" * depth + "\n").encode()
    if step == "latin1":
        return (text + "# caf\xe9\n").encode("latin-1")
    if step == "swap_value":
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        value = draw(st.sampled_from(["{}", "[]", "-1", "1e999", "null", "!!binary aGk=", "&a [*a]", "*nope"]))
        return "".join([*lines[:index], re.sub(r":\s.*$", f": {value}", lines[index]), *lines[index + 1 :]]).encode()
    return text.replace("  ", "\t", 1).encode()


@st.composite
def damaged_configs(draw: st.DrawFn) -> tuple[str, bytes]:
    which = draw(st.sampled_from(["prices", "routing"]))
    return which, _config_damage(draw, (CONFIG / f"{which}.yaml").read_text())


@pytest.fixture(scope="module")
def config_db(fuzz_dir: Path) -> Path:
    db = fuzz_dir / "config.duckdb"
    assert _run(["ingest", str(FORMATS / "helicone_requests.jsonl"), "--db", str(db)])[0] == 0
    return db


@settings(FUZZ, max_examples=40)  # a refused config file costs little: most are refused before the database opens
@given(config=damaged_configs())
def test_any_config_file_is_used_or_refused_in_a_message_naming_it(
    fuzz_dir: Path, config_db: Path, config: tuple[str, bytes]
) -> None:
    which, data = config
    path = Path(tempfile.mkdtemp(dir=fuzz_dir)) / f"{which}.yaml"
    path.write_bytes(data)
    status, _, err = _run(["report", "--db", str(config_db), f"--{which}", str(path)])
    assert status in (0, 2), err
    if status == 2:
        assert err.startswith(f"tierscope: {path}: ") and "Traceback" not in err, err
        assert all(str(path) in line for line in err.splitlines()), err
