"""OpenAI Batch API output (and error) files: JSONL, one ``BatchRequestOutput`` per line.

Field names are those of the Batch API's per-line object (``id``, ``custom_id``, ``response.status_code``,
``response.request_id``, ``response.body``, ``error``; OpenAI API reference, "The request output object") and of the
bodies it wraps: a chat completion (``object``, ``created``, ``model``, ``usage.prompt_tokens``,
``usage.completion_tokens``, ``usage.prompt_tokens_details.cached_tokens``,
``usage.completion_tokens_details.reasoning_tokens``) or a Responses API response (``created_at``, ``model``,
``status``, ``metadata``, ``usage.input_tokens``, ``usage.output_tokens``, ``usage.input_tokens_details.cached_tokens``,
``usage.output_tokens_details.reasoning_tokens``). Read (queries/sql/ingest/read_openai_batch.sql):

- ``id`` (``batch_req_...``) -> request_id; ``body.created`` / ``body.created_at`` -> started_at (an HTTP-error line
  has no body time: it takes the latest time in the file, else the file's modification time)
- ``body.model`` -> served_model (the output file does not say which model was requested); provider ``openai``;
  service_tier ``batch`` (batch prices apply)
- input / cached / output / reasoning tokens as named above; OpenAI's input includes cached tokens and its output
  includes reasoning tokens, as the contract does
- ``response.status_code`` outside 2xx, or a Responses ``status`` of ``failed``, is an error call
- attributes: the Responses body's ``metadata`` and the ``custom_id``'s ``__``-separated ``key-value`` segments
  (``task_type-extraction__team-billing__0042``), which also give team, feature, user_id and trace_id

A line with ``response: null`` and an ``error`` (``batch_expired``, ``batch_cancelled``...) was never run: it is
skipped and counted. Message content is never read.
"""

from __future__ import annotations

from pathlib import Path

from tierscope.ingest.formats.records import ExportReader, has_keys, head_text


class OpenAIBatchReader(ExportReader):
    name = "openai_batch"
    description = "OpenAI Batch API output / error JSONL (chat completions and Responses bodies)"
    sql_file = "ingest/read_openai_batch.sql"

    def sniff(self, path: Path, head: bytes) -> bool:
        text = head_text(head)
        return has_keys(text, "custom_id", "response", "error") and ('"status_code"' in text or '"batch_req_' in text)
