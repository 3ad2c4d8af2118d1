"""Where a file's records are: its lines (LF, CRLF or a lone CR) found set-based over large chunks of its bytes, and
the records of a JSON document. Used to split a JSONL file whose lines end with a lone CR (DuckDB's reader does not)
and, for quarantined records only, to give each its line, byte offset, byte length and sha256.

Offsets are into the file as read: decompressed when it is gzip. A line's bytes exclude its line end.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import duckdb
import polars as pl
import pyarrow as pa

CHUNK_BYTES = 64 << 20
GZIP_MAGIC = b"\x1f\x8b"
# ASCII whitespace: a line holding only these is blank (not a record), as for DuckDB's JSONL reader.
BLANK = b" \t\n\r\x0b\x0c"

LOCATED_SCHEMA = {
    "record": pl.Int64,
    "element": pl.Int64,
    "line": pl.Int64,
    "byte_offset": pl.Int64,
    "byte_length": pl.Int64,
    "record_sha256": pl.String,
    "json_problem": pl.String,
}


def open_decompressed(path: Path) -> BinaryIO:
    """The file for reading bytes, through gzip when it is gzip-compressed (by its magic bytes, not its name)."""
    with path.open("rb") as raw:
        magic = raw.read(2)
    return cast(BinaryIO, gzip.open(path, "rb") if magic == GZIP_MAGIC else path.open("rb"))


@dataclass(frozen=True)
class Lines:
    """The lines of one chunk of a file: ``frame`` has each line's number, record number (the n-th line that is not
    blank, counted from the start of the file), start and length within ``data``, and whether it is a record."""

    data: bytes
    offset: int
    frame: pl.DataFrame


def _chunks(path: Path, cr_ends_lines: bool) -> Iterator[tuple[bytes, int]]:
    """The file's bytes in large chunks that each end at a line end, with their offsets; never cut between a CR and
    the LF after it."""
    rest = b""
    offset = 0
    with open_decompressed(path) as handle:
        while block := handle.read(CHUNK_BYTES):
            block = rest + block
            cut = max(block.rfind(b"\n"), block.rfind(b"\r") if cr_ends_lines else -1) + 1
            if cut == len(block) and block.endswith(b"\r"):
                cut -= 1  # its LF may be the next block's first byte
            rest = block[cut:]
            if cut:
                yield block[:cut], offset
                offset += cut
    if rest:
        yield rest, offset


def file_lines(path: Path, cr_ends_lines: bool) -> Iterator[Lines]:
    """Every line of the file, chunk by chunk. Line ends are LF (and CRLF); with ``cr_ends_lines`` a lone CR too."""
    lines_before = records_before = 0
    for data, offset in _chunks(path, cr_ends_lines):
        byte = pl.Series(pa.Array.from_buffers(pa.uint8(), len(data), [None, pa.py_buffer(data)]))
        ends_line = byte == 10
        if cr_ends_lines:
            ends_line = ends_line | ((byte == 13) & (byte.shift(-1) != 10).fill_null(True))
        ends = ends_line.arg_true().cast(pl.Int64)
        if ends.is_empty() or ends[-1] != len(data) - 1:
            ends = ends.append(pl.Series([len(data)], dtype=pl.Int64))  # a last line without a line end
        starts = pl.concat([pl.Series([0], dtype=pl.Int64), ends[:-1] + 1])
        # the byte before a line end, when it is a CR, belongs to a CRLF (or is a trailing CR): not the line's
        before_end = byte.gather((ends - 1).clip(lower_bound=0))
        lengths = ends - starts - ((ends > starts) & (before_end == 13)).cast(pl.Int64)
        first = byte.gather(starts.clip(upper_bound=len(data) - 1))
        # a line is a record when it holds a byte that is not whitespace; only lines that start with whitespace are
        # looked at closely (the rare indented or blank-with-spaces line)
        is_record = (lengths > 0) & ~first.is_in(list(BLANK))
        doubtful = ((lengths > 0) & first.is_in(list(BLANK))).arg_true()
        if not doubtful.is_empty():
            flags = is_record.to_list()
            for index in doubtful.to_list():
                flags[index] = bool(data[starts[index] : starts[index] + lengths[index]].strip(BLANK))
            is_record = pl.Series(flags, dtype=pl.Boolean)
        frame = pl.DataFrame({"start": starts, "length": lengths, "is_record": is_record}).with_columns(
            line=pl.int_range(1, len(starts) + 1, dtype=pl.Int64) + lines_before,
            record=pl.col("is_record").cast(pl.Int64).cum_sum() + records_before,
        )
        lines_before += frame.height
        records_before += int(frame["is_record"].sum())
        yield Lines(data, offset, frame)


def json_problem(record: bytes) -> str | None:
    """Why a record's bytes are not a JSON object, or None when they are one."""
    try:
        value = json.loads(record)
    except (ValueError, RecursionError):
        if b"\r" in record.rstrip(b"\r"):
            return "not valid JSON (it holds a lone CR: several records on one line?)"
        return "not valid JSON"
    return None if isinstance(value, dict) else "not a JSON object"


def _located(lines: list[tuple[int, int | None, int, int, int]], data: bytes, base: int) -> pl.DataFrame:
    """Rows of LOCATED_SCHEMA for (record, element, line, start, length) found in ``data`` (at ``base`` in the file);
    one Python step per located record: these are the quarantined ones only."""
    rows = [
        {
            "record": record,
            "element": element,
            "line": line,
            "byte_offset": base + start,
            "byte_length": length,
            "record_sha256": hashlib.sha256(data[start : start + length]).hexdigest(),
            "json_problem": json_problem(data[start : start + length]),
        }
        for record, element, line, start, length in lines
    ]
    return pl.DataFrame(rows, schema=LOCATED_SCHEMA)


def locate_lines(path: Path, wanted: pl.Series, *, by: str, cr_ends_lines: bool) -> pl.DataFrame:
    """The wanted records of a line-based file (JSONL, CSV) located: ``by`` ``record`` (JSONL: the n-th non-blank
    line) or ``line`` (CSV: the line number)."""
    keys = wanted.unique().cast(pl.Int64)
    found = []
    for lines in file_lines(path, cr_ends_lines):
        hits = lines.frame.filter(pl.col("is_record") & pl.col(by).is_in(keys.implode()))
        if hits.height:
            found.append(
                _located(
                    [(row[by], None, row["line"], row["start"], row["length"]) for row in hits.iter_rows(named=True)],
                    lines.data,
                    lines.offset,
                )
            )
    return pl.concat(found) if found else pl.DataFrame(schema=LOCATED_SCHEMA)


def stage_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The temp table ingest_lines (record_number, text): the non-blank lines of a JSONL file whose lines may end
    with a lone CR, numbered as records, as text (NULL for a line that is not UTF-8). Each line is a slice of the
    chunk's buffer (an Arrow array over it, no copy per line), with its line end: JSON ignores it."""
    con.execute("create or replace temp table ingest_lines (record_number bigint, text varchar)")
    for lines in file_lines(path, cr_ends_lines=True):
        bounds = pl.concat([lines.frame["start"], pl.Series([len(lines.data)], dtype=pl.Int64)]).to_arrow()
        every_line = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), lines.frame.height, [None, bounds.buffers()[1], pa.py_buffer(lines.data)]
        )
        records = lines.frame["is_record"].to_arrow()
        batch = pa.table(
            {
                "record_number": lines.frame["record"].to_arrow().filter(records),
                "line": every_line.filter(records),
            }
        )
        con.register("ingest_line_batch", batch)
        try:
            con.execute("insert into ingest_lines select record_number, try(decode(line)) from ingest_line_batch")
        finally:
            con.unregister("ingest_line_batch")


# ------------------------------------------------------------------ the records of a JSON document
_DECODER = json.JSONDecoder(strict=False)


def _skip_blank(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


def _array_spans(text: str, index: int) -> Iterator[tuple[int, int, Any]]:
    """(start, end, value) of each element of the JSON array starting at ``index``."""
    index = _skip_blank(text, index + 1)
    if text.startswith("]", index):
        return
    while True:
        value, end = _DECODER.raw_decode(text, index)
        yield index, end, value
        index = _skip_blank(text, end)
        if not text.startswith(",", index):
            return
        index = _skip_blank(text, index + 1)


def _member_value_start(text: str, index: int, wanted_key: str) -> int | None:
    """Where the value of ``wanted_key`` starts in the JSON object starting at ``index`` (its last occurrence)."""
    found = None
    index = _skip_blank(text, index + 1)
    while text.startswith('"', index):
        key, end = _DECODER.raw_decode(text, index)
        index = _skip_blank(text, _skip_blank(text, end) + 1)  # past the ':'
        if key == wanted_key:
            found = index
        _, end = _DECODER.raw_decode(text, index)
        index = _skip_blank(text, end)
        if not text.startswith(",", index):
            break
        index = _skip_blank(text, index + 1)
    return found


def _document_records(text: str, expand_pages: bool) -> Iterator[tuple[int, int | None, int, int]]:
    """(record, element, start, end) of every record of a JSON document: the elements of a top-level array, or each
    top-level value; with ``expand_pages``, the elements of a record's ``data`` array (an API page) one by one."""
    index = _skip_blank(text, 0)
    values: Iterator[tuple[int, int, Any]]
    if text.startswith("[", index):
        values = _array_spans(text, index)
    else:

        def top_level() -> Iterator[tuple[int, int, Any]]:
            position = index
            while position < len(text):
                value, end = _DECODER.raw_decode(text, position)
                yield position, end, value
                position = _skip_blank(text, end)

        values = top_level()
    for record, (start, end, value) in enumerate(values, start=1):
        data_start = (
            _member_value_start(text, start, "data")
            if expand_pages and isinstance(value, dict) and isinstance(value.get("data"), list)
            else None
        )
        if data_start is None:
            yield record, None, start, end
        else:
            for element, (element_start, element_end, _) in enumerate(_array_spans(text, data_start), start=1):
                yield record, element, element_start, element_end


def locate_document(path: Path, wanted: pl.DataFrame, *, expand_pages: bool) -> pl.DataFrame:
    """The wanted (record, element) of a JSON document located. The whole file is read into memory: this runs for
    quarantined records only, and a JSON document is parsed whole by DuckDB anyway."""
    with open_decompressed(path) as handle:
        data = handle.read()
    # latin-1 maps every byte to one character, so character positions are byte offsets
    text = data.decode("latin-1")
    keys = {(int(record), None if element is None else int(element)) for record, element in wanted.iter_rows()}
    last = max(record for record, _ in keys)
    spans = []
    records = _document_records(text, expand_pages)
    # a record Python's parser cannot walk past (nested deeper than its recursion limit) leaves the records from
    # there on unlocated (their line and byte columns NULL), not the file unloaded
    with contextlib.suppress(ValueError, RecursionError):
        for record, element, start, end in records:
            if record > last:
                break
            if (record, element) in keys:
                spans.append((record, element, start, end))
    if not spans:
        return pl.DataFrame(schema=LOCATED_SCHEMA)
    line_ends = pl.Series(pa.Array.from_buffers(pa.uint8(), len(data), [None, pa.py_buffer(data)])) == 10
    newline_positions = line_ends.arg_true().cast(pl.Int64)
    lines = newline_positions.search_sorted(pl.Series([start for _, _, start, _ in spans], dtype=pl.Int64)) + 1
    return _located(
        [
            (record, element, int(line), start, end - start)
            for (record, element, start, end), line in zip(spans, lines.to_list(), strict=True)
        ],
        data,
        0,
    )
