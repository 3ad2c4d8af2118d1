"""Log-format readers behind one small protocol.

A reader turns one file into the temp table (or view) ``ingest_stage``: the canonical fields (docs/formats.md) as text
(absent fields NULL), plus ``source_line`` (the record number), ``record_element`` (a record's place within an API
page, else NULL), ``is_malformed`` and ``reader_reason``. No reader keeps a record's text. Typing, validation, dedup
and loading are shared (ingest/load.py, queries/sql/ingest/).
Readers are picked by content sniffing, or by name with ``--format``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import duckdb

from tierscope.errors import UserError
from tierscope.ingest.formats.anthropic_batch import AnthropicBatchReader
from tierscope.ingest.formats.generic import GenericReader
from tierscope.ingest.formats.helicone import HeliconeReader
from tierscope.ingest.formats.langfuse import LangfuseReader
from tierscope.ingest.formats.litellm import LiteLLMReader
from tierscope.ingest.formats.litellm_spend_logs import LiteLLMSpendLogsReader
from tierscope.ingest.formats.openai_batch import OpenAIBatchReader
from tierscope.ingest.formats.otel import OTelReader


class UnknownFormatError(UserError, ValueError):
    """No reader recognised a file (or --format named no reader)."""


class Reader(Protocol):
    name: str
    description: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether this reader recognises the file from its name and first bytes (already decompressed)."""
        ...

    def stage(self, con: duckdb.DuckDBPyConnection, path: Path) -> int:
        """Create the temp table (or view) ingest_stage from the file; return how many records were skipped
        because they are not model calls (an OpenTelemetry span of a tool or an HTTP request, say)."""
        ...

    def locate(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        """When ingest_typed has rejected rows: give them their line, byte offset, byte length and sha256 in the file
        (staging knows only record numbers)."""
        ...


# Specific formats first: a generic file is recognised by field names that several exports share.
READERS: tuple[Reader, ...] = (
    LiteLLMReader(),
    LiteLLMSpendLogsReader(),
    OTelReader(),
    OpenAIBatchReader(),
    AnthropicBatchReader(),
    LangfuseReader(),
    HeliconeReader(),
    GenericReader(),
)

FORMAT_NAMES: tuple[str, ...] = tuple(reader.name for reader in READERS)


def reader_named(name: str) -> Reader:
    for reader in READERS:
        if reader.name == name:
            return reader
    raise UnknownFormatError(f"unknown format {name!r}; known formats: {', '.join(r.name for r in READERS)}")


def detect(path: Path, head: bytes) -> Reader:
    for reader in READERS:
        if reader.sniff(path, head):
            return reader
    raise UnknownFormatError(
        f"{path}: no reader recognises this file; known formats: "
        + ", ".join(f"{r.name} ({r.description})" for r in READERS)
        + ". Use --format to force one."
    )
