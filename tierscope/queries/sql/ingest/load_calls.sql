-- The new calls of one ingest into calls, from the view ingest_new_calls: new_calls.sql (deduplicated within the
-- file and against stored calls) in the general load, valid_calls.sql in a straight one (ingest/load.py).
insert into calls
select
    request_id, trace_id, started_at, task_type, requested_model, served_model, provider,
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
    latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier,
    user_id, team, feature, tags,
    $source as source, source_line, $ingest_id as ingest_id, $now as ingested_at, attribute_keys,
    router_name, router_type, router_tier, routed_model, savings_baseline_model, classifier_model, classifier_cost_usd,
    router_escalated, router_context_escalated, router_cause, router_score, autorouter_savings_usd
from ingest_new_calls
