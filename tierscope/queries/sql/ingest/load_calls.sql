-- The new calls of one ingest into calls, from the view ingest_new_calls: new_calls.sql (deduplicated within the
-- file and against stored calls) in the load with dedup, valid_calls.sql in the one without (ingest/load.py). A call's
-- trace anchor starts as its own time, which steps/anchor_traces.sql corrects for traces of several calls in the
-- same transaction (a window here would reorder the rows, which are stored nearly in time order). A call whose
-- time is the one its reader gave records without a time of their own ($untimed_at: the file's modification time,
-- or `--started-at`) has that as its time_source; NULL $untimed_at (a reader whose records all carry a time): log.
insert into calls (
    request_id, trace_id, started_at, task_type, requested_model, served_model, provider,
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
    latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier,
    user_id, team, feature, tags, source, source_line, ingest_id, ingested_at, attribute_keys, trace_started_at,
    time_source, router_name, router_type, router_tier, routed_model, savings_baseline_model, classifier_model,
    classifier_cost_usd, router_escalated, router_context_escalated, router_cause, router_score, autorouter_savings_usd
)
select
    request_id, trace_id, started_at, task_type, requested_model, served_model, provider,
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
    latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier,
    user_id, team, feature, tags,
    $source as source, source_line, $ingest_id as ingest_id, $now as ingested_at, attribute_keys,
    started_at as trace_started_at,
    case when started_at = $untimed_at::timestamp then $untimed_source else 'log' end as time_source,
    router_name, router_type, router_tier, routed_model, savings_baseline_model, classifier_model, classifier_cost_usd,
    router_escalated, router_context_escalated, router_cause, router_score, autorouter_savings_usd
from ingest_new_calls
