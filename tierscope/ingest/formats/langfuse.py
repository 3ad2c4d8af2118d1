"""Langfuse observation exports: the observations table exported as JSON / JSONL, or pages of the public API
(``GET /api/public/observations``, ``/api/public/v2/observations``: ``{"data": [...], "meta": ...}``).

Field names are those of Langfuse's ``ObservationsView`` / ``ObservationV2`` (Langfuse OpenAPI spec; the generated
clients list them): ``id``, ``traceId``, ``type``, ``startTime``, ``endTime``, ``latency``, ``model`` /
``providedModelName``, ``usageDetails``, ``costDetails``, ``totalCost`` / ``calculatedTotalCost``, ``level``,
``metadata``, ``userId``, and the trace's ``tags`` (the v2 API's ``trace_context`` field group; ``traceTags`` in
the UI's table). Read (queries/sql/ingest/read_langfuse.sql):

- ``id`` -> request_id; ``traceId`` -> trace_id; ``startTime`` / ``endTime`` (else ``latency`` seconds) -> started_at,
  latency_ms
- ``model`` (else ``providedModelName``) -> served_model; ``metadata.requested_model`` (else LangChain's
  ``ls_model_name``) -> requested_model; ``metadata.provider`` (else ``ls_provider``) -> provider
- ``usageDetails``: Langfuse's usage types exclude each other (its OpenAI mapping subtracts
  ``prompt_tokens_details.*`` from ``input`` into ``input_cached_tokens``..., and ``completion_tokens_details.*``
  from ``output`` into ``output_reasoning_tokens``; Anthropic's ``cache_read_input_tokens`` /
  ``cache_creation_input_tokens`` are separate types too). As Langfuse itself does, input = the sum of the usage
  types whose name contains ``input``, output = those containing ``output``; cached = the input types naming
  ``cache_read`` or ``cached``; cache writes = those naming ``cache_creation`` / ``cache_write``; reasoning = the
  output types naming ``reasoning``. Without usageDetails, the deprecated ``usage.input`` / ``usage.output``.
- ``costDetails.total`` (else ``totalCost``, ``calculatedTotalCost``) -> reported_cost_usd
- ``level`` ``ERROR`` -> an error call; ``userId`` -> user_id; ``metadata.team`` / ``metadata.feature``
- ``tags`` (else ``traceTags``) -> tags; ``metadata`` -> attributes

Only ``GENERATION`` and ``EMBEDDING`` observations are model calls; spans, events, tools, agents... are skipped and
counted. ``input`` and ``output`` (prompt and completion) are never read.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, has_keys, head_text


class LangfuseReader(ExportReader):
    name = "langfuse"
    description = "Langfuse observations export or API pages (JSON / JSONL)"
    sql_file = "ingest/read_langfuse.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head)
        return has_keys(text, "traceId", "startTime", "type") and (
            '"usageDetails"' in text or '"GENERATION"' in text or '"providedModelName"' in text
        )
