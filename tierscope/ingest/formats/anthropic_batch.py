"""Anthropic Message Batches results: JSONL, one ``MessageBatchIndividualResponse`` per line.

Field names are those of the Message Batches API results (``custom_id``, ``result.type`` = ``succeeded`` /
``errored`` / ``canceled`` / ``expired``, ``result.message`` a Message with ``id``, ``model`` and ``usage``:
``input_tokens``, ``output_tokens``, ``cache_read_input_tokens``, ``cache_creation_input_tokens``; Anthropic API
reference, "Retrieve Message Batch results"). Read (queries/sql/ingest/read_anthropic_batch.sql):

- ``result.message.id`` -> request_id (an errored line has none: its custom_id plus a hash of the line)
- started_at: results carry no time, so every call takes the file's modification time (when it was downloaded)
- ``result.message.model`` -> served_model (the results do not say what was requested); provider ``anthropic``;
  service_tier ``batch`` (batch prices apply)
- tokens: Anthropic's ``input_tokens`` EXCLUDE cache reads and writes, so input = ``input_tokens`` +
  ``cache_read_input_tokens`` + ``cache_creation_input_tokens``; cached = ``cache_read_input_tokens``; cache writes
  = ``cache_creation_input_tokens``; output = ``output_tokens`` (thinking tokens are in it, not broken out)
- ``errored`` is an error call; ``canceled`` and ``expired`` requests never ran: skipped and counted
- attributes: the ``custom_id``'s ``__``-separated ``key-value`` segments (``task_type-extraction__team-billing__0042``;
  custom_ids may only hold letters, digits, ``_`` and ``-``), which also give team, feature, user_id and trace_id

Message content is never read.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, has_keys, head_text


class AnthropicBatchReader(ExportReader):
    name = "anthropic_batch"
    description = "Anthropic Message Batches results JSONL"
    sql_file = "ingest/read_anthropic_batch.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head)
        return has_keys(text, "custom_id", "result", "type") and any(
            f'"{result_type}"' in text for result_type in ("succeeded", "errored", "canceled", "expired")
        )
