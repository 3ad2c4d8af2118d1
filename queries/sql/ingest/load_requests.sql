-- Valid records not loaded before: the first occurrence of each request_id in the file, when no stored call has it.
insert into requests
with candidates as (
    select * from ingest_typed where reject_reason is null
),

already_loaded as (
    select distinct candidates.request_id
    from candidates
    join requests using (request_id)
),

new_calls as (
    select candidates.*
    from candidates
    anti join already_loaded using (request_id)
    qualify row_number() over (partition by request_id order by source_line) = 1
)

select
    request_id, trace_id, started_at, task_type, requested_model, served_model, provider,
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
    latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier,
    user_id, team, feature, tags,
    $source as source, source_line, $ingest_id as ingest_id, $now as ingested_at
from new_calls
