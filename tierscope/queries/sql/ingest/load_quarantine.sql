-- Records that failed validation go to quarantine with where they are (source, line, byte offset and length, the
-- sha256 of their bytes), every reason and their known scalar fields as typed (known_fields_json: no object or list,
-- nothing over 100 characters); never their text.
-- A record already quarantined from the same file content (fingerprint + line) is counted again but not stored twice.
insert into quarantine by name
with rejected as (
    select * from ingest_typed where reject_reason is not null
),

new_rejects as (
    select rejected.*
    from rejected
    where not exists (
        select 1 from quarantine
        where quarantine.source_fingerprint = $fingerprint and quarantine.source_line = rejected.source_line
    )
)

select
    $ingest_id as ingest_id,
    $source as source,
    $fingerprint as source_fingerprint,
    source_line,
    byte_offset,
    byte_length,
    record_sha256,
    reject_reason as reason,
    -- an unreadable record has no fields to keep
    case when is_malformed then '{}' else known_fields_json([
        {'key': 'request_id', 'value': request_id}, {'key': 'trace_id', 'value': trace_id},
        {'key': 'started_at', 'value': started_at::varchar}, {'key': 'task_type', 'value': task_type},
        {'key': 'requested_model', 'value': requested_model}, {'key': 'served_model', 'value': served_model},
        {'key': 'provider', 'value': provider}, {'key': 'input_tokens', 'value': input_tokens::varchar},
        {'key': 'output_tokens', 'value': output_tokens::varchar},
        {'key': 'cached_input_tokens', 'value': cached_input_tokens::varchar},
        {'key': 'cache_write_tokens', 'value': cache_write_tokens::varchar},
        {'key': 'reasoning_tokens', 'value': reasoning_tokens::varchar},
        {'key': 'latency_ms', 'value': latency_ms::varchar}, {'key': 'status', 'value': status},
        {'key': 'escalated', 'value': escalated::varchar}, {'key': 'quality_passed', 'value': quality_passed::varchar},
        {'key': 'reported_cost_usd', 'value': reported_cost_usd::varchar},
        {'key': 'service_tier', 'value': service_tier}, {'key': 'user_id', 'value': user_id},
        {'key': 'team', 'value': team}, {'key': 'feature', 'value': feature},
        {'key': 'router_name', 'value': router_name}, {'key': 'router_type', 'value': router_type},
        {'key': 'router_tier', 'value': router_tier}, {'key': 'routed_model', 'value': routed_model},
        {'key': 'savings_baseline_model', 'value': savings_baseline_model},
        {'key': 'classifier_model', 'value': classifier_model},
        {'key': 'classifier_cost_usd', 'value': classifier_cost_usd::varchar},
        {'key': 'router_escalated', 'value': router_escalated::varchar},
        {'key': 'router_context_escalated', 'value': router_context_escalated::varchar},
        {'key': 'router_cause', 'value': router_cause}, {'key': 'router_score', 'value': router_score::varchar},
        {'key': 'autorouter_savings_usd', 'value': autorouter_savings_usd::varchar}
    ]) end as known_fields,
    $now as quarantined_at
from new_rejects
