"""LiteLLM proxy's ``LiteLLM_SpendLogs`` table (Postgres), exported as CSV (one header row) or JSON / JSONL.

Column names are those of ``model LiteLLM_SpendLogs`` in BerriAI/litellm ``schema.prisma``; what the ``metadata``
column carries is ``SpendLogsMetadata`` in ``litellm/proxy/_types.py``. Read
(queries/sql/ingest/read_litellm_spend_logs.sql):

- ``request_id``; ``session_id`` (the id LiteLLM groups one request's calls by) -> trace_id
- ``startTime`` / ``endTime`` (timestamps, UTC) and ``request_duration_ms`` -> started_at, latency_ms
- ``model_group`` (what the caller asked for) -> requested_model; ``model`` -> served_model;
  ``custom_llm_provider`` -> provider
- ``prompt_tokens`` / ``completion_tokens`` -> input / output tokens (prompt_tokens include cached and cache-write
  tokens, as in the logging payload)
- ``metadata.usage_object`` (newer proxies) or ``metadata.additional_usage_values`` (older ones):
  ``prompt_tokens_details.cached_tokens`` (else ``cache_read_input_tokens``) -> cached,
  ``cache_creation_input_tokens`` -> cache writes, ``completion_tokens_details.reasoning_tokens`` -> reasoning
- ``spend`` -> reported_cost_usd; ``status`` (else ``metadata.status``; ``failure`` is an error call)
- ``metadata.user_api_key_team_alias`` (else ``team_id``) -> team; ``metadata.user_api_key_alias`` -> feature;
  ``end_user`` (else ``user``) -> user_id
- ``request_tags`` (a JSON list) -> tags; ``metadata.spend_logs_metadata`` -> attributes

JSON-typed columns may arrive as JSON or, in CSV, as text holding JSON; both are read. Skipped as in the logging
payload: batch / file / fine-tuning / MCP / vector-store ``call_type`` rows and ``cache_hit`` rows. The ``messages``,
``response`` and ``proxy_server_request`` columns are never read.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, has_keys, head_text


class LiteLLMSpendLogsReader(ExportReader):
    name = "litellm_spend_logs"
    description = "LiteLLM_SpendLogs table rows (CSV, JSON or JSONL)"
    sql_file = "ingest/read_litellm_spend_logs.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        return has_keys(head_text(head), "request_id", "call_type", "spend", "startTime", "model_group")
