-- Valid records not loaded before: the first occurrence of each request_id in the file, when no stored call has it.
-- Duplicates are found on narrow (request_id, source_line) pairs and skipped by line, so the wide rows are never
-- grouped or sorted: a file without duplicates costs two small hash aggregates and one streaming insert.
insert into requests
with candidates as (
    select * from ingest_typed where reject_reason is null
),

already_loaded as (
    select candidates.source_line
    from candidates
    semi join requests using (request_id)
),

repeated as (
    select request_id, min(source_line) as first_line
    from candidates
    group by request_id
    having count(*) > 1
),

later_copies as (
    select candidates.source_line
    from candidates
    join repeated using (request_id)
    where candidates.source_line > repeated.first_line
),

skipped_lines as (
    select source_line from already_loaded
    union
    select source_line from later_copies
),

new_calls as (
    select candidates.*
    from candidates
    anti join skipped_lines using (source_line)
)

select
    request_id, trace_id, started_at, task_type, requested_model, served_model, provider,
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
    latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier,
    user_id, team, feature, tags,
    $source as source, source_line, $ingest_id as ingest_id, $now as ingested_at, attribute_keys
from new_calls
