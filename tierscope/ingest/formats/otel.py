"""OpenTelemetry GenAI spans in OTLP/JSON: ``resourceSpans`` -> ``scopeSpans`` -> ``spans``, as the collector's file
exporter writes them (one export request per line) or as one exported object.

Names are those of the OpenTelemetry semantic conventions for generative AI (open-telemetry/semantic-conventions,
``model/gen-ai/registry.yaml`` and ``docs/gen-ai/gen-ai-spans.md``) and of the OTLP/JSON encoding (lowerCamelCase
fields, attributes as ``{"key", "value": {"stringValue" | "intValue" | "doubleValue" | "boolValue" | ...}}``,
64-bit integers as strings or numbers, span times in ``startTimeUnixNano`` / ``endTimeUnixNano``). Read
(queries/sql/ingest/read_otel.sql):

- ``spanId`` -> request_id; ``traceId`` -> trace_id; ``startTimeUnixNano`` / ``endTimeUnixNano`` -> started_at,
  latency_ms
- ``gen_ai.request.model`` -> requested_model; ``gen_ai.response.model`` -> served_model;
  ``gen_ai.provider.name`` (else the older ``gen_ai.system``) -> provider
- ``gen_ai.usage.input_tokens`` / ``gen_ai.usage.output_tokens`` (else the older ``gen_ai.usage.prompt_tokens`` /
  ``gen_ai.usage.completion_tokens``) -> input / output tokens; the conventions define input tokens as including
  cached tokens, as the contract does
- ``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.cache_creation.input_tokens`` and
  ``gen_ai.usage.reasoning.output_tokens`` (and their older ``..._input_tokens`` / ``reasoning_tokens`` spellings)
  -> cached, cache-write and reasoning tokens
- ``error.type`` or span ``status.code`` 2 (``STATUS_CODE_ERROR``) -> an error call
- ``openai.response.service_tier`` -> service_tier; ``user.id`` -> user_id; a ``team`` attribute -> team; the
  resource's ``service.name`` -> feature; ``gen_ai.usage.cost`` (OpenLIT's attribute) -> reported_cost_usd
- the other resource and span attributes -> attributes, for task_type_from rules (``app.task_type`` by default)

A span is a model call when ``gen_ai.operation.name`` is ``chat``, ``text_completion``, ``generate_content`` or
``embeddings``, or, without an operation name, when it names a model. Other spans (HTTP, database, ``execute_tool``,
``invoke_agent``...) are skipped and counted.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, head_text


class OTelReader(ExportReader):
    name = "otel"
    description = "OpenTelemetry GenAI spans, OTLP/JSON (resourceSpans)"
    sql_file = "ingest/read_otel.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        return '"resourceSpans"' in head_text(head)
