-- Rejected records get their place in the file from the registered relation ingest_located (record, element, line,
-- byte_offset, byte_length, record_sha256, json_problem) that ingest/formats/lines.py computes: the line they start
-- on, where their bytes are and their hash. In a JSON file, an unreadable record gets the precise reason
-- (json_problem: not valid JSON, not an object), or, when it is a JSON object the generic reader found no known field
-- in, says so.
update ingest_typed set
    source_line = located.line,
    byte_offset = located.byte_offset,
    byte_length = located.byte_length,
    record_sha256 = located.record_sha256,
    reject_reason = case
        when not $is_json or not ingest_typed.is_malformed then ingest_typed.reject_reason
        when located.json_problem is not null then located.json_problem
        when ingest_typed.reject_reason = 'not valid JSON, or an object with no known field' then
            'an object with no known field (a call needs request_id, started_at, input_tokens and output_tokens)'
        else ingest_typed.reject_reason
    end
from ingest_located as located
where ingest_typed.source_line = located.record
  and ingest_typed.record_element is not distinct from located.element
  and ingest_typed.reject_reason is not null
