-- Rejected JSONL records get their true line number, and unreadable ones their raw text, from the registered
-- relation ingest_located_lines (record, line, raw_text) that ingest/formats/generic.py computes.
update ingest_typed set
    source_line = located.line,
    raw_text = coalesce(located.raw_text, ingest_typed.raw_text)
from ingest_located_lines as located
where ingest_typed.source_line = located.record
  and ingest_typed.reject_reason is not null
