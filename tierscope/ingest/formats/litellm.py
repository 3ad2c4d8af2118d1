"""LiteLLM's StandardLoggingPayload, as its loggers write it: JSONL / NDJSON, a JSON array or a single object.

Field names are those of ``StandardLoggingPayload`` in BerriAI/litellm ``litellm/types/utils.py`` (also documented in
``docs/my-website/docs/proxy/logging_spec.md``). Read (queries/sql/ingest/read_litellm.sql):

- ``id`` -> request_id; ``trace_id`` (LiteLLM's id for the retries / fallbacks of one request) -> trace_id
- ``startTime`` / ``endTime`` (epoch seconds) -> started_at and latency_ms
- ``model_group`` (the model name or alias the caller asked for, e.g. a tier) -> requested_model;
  ``response.model`` when the response object was logged, else ``model`` -> served_model;
  ``custom_llm_provider`` -> provider
- ``prompt_tokens`` / ``completion_tokens`` -> input / output tokens. LiteLLM's prompt_tokens include cached and
  cache-write tokens (its Anthropic transformation adds ``cache_read_input_tokens`` and
  ``cache_creation_input_tokens`` to ``input_tokens``), as the contract wants.
- ``metadata.usage_object``: ``prompt_tokens_details.cached_tokens`` (else ``cache_read_input_tokens``) -> cached;
  ``cache_creation_input_tokens`` (else ``prompt_tokens_details.cache_creation_tokens``) -> cache writes;
  ``completion_tokens_details.reasoning_tokens`` -> reasoning
- ``response_cost`` -> reported_cost_usd; ``status`` (``success`` / ``failure``: a failure event is an error call)
- ``metadata.user_api_key_team_alias`` (else ``user_api_key_team_id``) -> team; ``metadata.user_api_key_alias``
  (the virtual key's alias) -> feature; ``end_user`` (else ``metadata.user_api_key_end_user_id``) -> user_id
- ``request_tags`` -> tags; ``metadata.spend_logs_metadata`` and ``metadata.requester_metadata`` -> attributes
  (what the caller sent as metadata, read by routing.yaml's ``task_type_from`` rules)
- ``model_parameters.service_tier`` -> service_tier

Skipped (counted, not loaded): ``call_type`` of batch / file / fine-tuning / MCP / vector-store operations, and
``cache_hit`` answers that LiteLLM served from its own cache without calling a model. ``messages`` and the response
content are never read.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, has_keys, head_text


class LiteLLMReader(ExportReader):
    name = "litellm"
    description = "LiteLLM StandardLoggingPayload (JSONL, JSON array or object)"
    sql_file = "ingest/read_litellm.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        return has_keys(head_text(head), "response_cost", "call_type", "startTime", "model_group")
