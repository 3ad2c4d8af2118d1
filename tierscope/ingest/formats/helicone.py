"""Helicone request exports: what the ``@helicone/export`` tool writes (JSONL, JSON or CSV) from the request query
API (``POST /v1/request/query-clickhouse``: ``{"data": [...]}``), or a raw dump of its ``request_response_rmt`` table.

Field names are those the query API returns (Helicone/helicone ``valhalla/jawn/src/lib/stores/request/request.ts``,
``getRequestsClickhouse``) and the export tool writes (``examples/export/typescript/index.ts``). Read
(queries/sql/ingest/read_helicone.sql):

- ``request_id`` (the CSV export only has ``response_id``) -> request_id; ``request_created_at`` -> started_at;
  ``delay_ms`` (``latency`` in a table dump) -> latency_ms
- ``request_model`` (or ``model_override``) -> requested_model; ``response_model`` / ``model`` -> served_model;
  ``provider`` (``OPENAI``, ``ANTHROPIC``...) -> provider, lower case
- tokens: Helicone's buckets exclude each other (its cost code prices ``prompt_tokens`` as "the fresh, uncached
  tokens" and adds ``prompt_cache_read_tokens`` / ``prompt_cache_write_tokens`` at their own prices;
  ``total_tokens`` = prompt + completion + reasoning). So input = ``prompt_tokens`` + ``prompt_cache_read_tokens`` +
  ``prompt_cache_write_tokens`` and output = ``completion_tokens`` + ``reasoning_tokens``.
- cost units: Helicone stores cost as USD x 10^9 (``COST_PRECISION_MULTIPLIER = 1_000_000_000`` in
  ``packages/cost/costCalc.ts``); the API and export tool return ``cost / COST_PRECISION_MULTIPLIER``, USD. A raw
  table dump (``organization_id`` present, no ``response_status``) is divided here. ``costUSD`` (older API) is USD.
- ``response_status`` (``status`` in a dump) outside 2xx -> an error call; ``request_user_id`` -> user_id
- ``request_properties`` (``properties``): the custom properties sent as ``Helicone-Property-<Name>`` headers ->
  attributes, names read case-insensitively with ``_`` for ``-`` (``Task-Type`` -> ``task_type``); ``team``,
  ``feature`` and ``trace_id`` properties fill those fields

Request and response bodies are never read.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, has_keys, head_text


class HeliconeReader(ExportReader):
    name = "helicone"
    description = "Helicone request export (JSONL, JSON or CSV from @helicone/export)"
    sql_file = "ingest/read_helicone.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head)
        return has_keys(text, "request_created_at", "prompt_tokens") and (
            has_keys(text, "response_status") or has_keys(text, "organization_id", "prompt_cache_read_tokens")
        )
