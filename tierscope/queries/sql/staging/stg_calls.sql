-- Calls as stored, with contract names turned into house names; no joins, no logic beyond renaming and typing.
-- grain: one row per call (request_id).
with calls as (
    select * from calls
),

renamed as (
    select
        request_id,
        trace_id,
        started_at,
        trace_started_at,
        task_type,
        requested_model,
        served_model,
        provider,
        input_tokens,
        output_tokens,
        cached_input_tokens,
        cache_write_tokens,
        reasoning_tokens,
        latency_ms,
        status,
        escalated as is_escalated,
        quality_passed as is_quality_passed,
        reported_cost_usd,
        case when lower(service_tier) in ('batch', 'flex', 'priority') then lower(service_tier)
             else 'standard' end as price_variant,
        service_tier,
        user_id,
        team,
        feature,
        tags,
        attribute_keys,
        router_name,
        router_type,
        router_tier,
        routed_model,
        savings_baseline_model,
        classifier_model,
        classifier_cost_usd,
        router_escalated as is_router_escalated,
        router_context_escalated as is_router_context_escalated,
        router_cause,
        router_score,
        autorouter_savings_usd,
        source,
        source_line,
        ingest_id,
        ingested_at,
        coalesce(time_source, 'log') as time_source
    from calls
)

select * from renamed
