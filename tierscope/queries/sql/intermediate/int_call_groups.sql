-- params: from_at := '-infinity', to_at := 'infinity', also_from_at := 'infinity', also_to_at := 'infinity', after_ingest_id := null, through_ingest_id := null
-- Priced calls added up per UTC day and every dimension a call-level mart groups or filters on: the grain of the
-- daily call rollup (derived/call_rollup.sql). Reads the calls started in [from_at, to_at) or
-- [also_from_at, also_to_at) (a scope's two partial days at once) of the ingests in
-- (after_ingest_id, through_ingest_id] (NULL = no bound). grain: one row per day x dimensions. Token sums per kind
-- (HUGEINT: a stored sum never overflows, however many calls a day holds);
-- cost_usd sums priced calls (NULL when none is); calls_over_guard counts calls over their context guard; the
-- source-reported cost and the computed cost of the calls that report one, for reconciliation. time_source keeps
-- the times batch files gave their calls apart (mart_freshness).
with calls as (
    select * from int_call_slice(from_at, to_at, also_from_at, also_to_at, after_ingest_id, through_ingest_id)
),

grouped as (
    select
        started_at::date as day,
        task_type,
        team,
        feature,
        provider,
        requested_tier,
        requested_tier_rank,
        served_tier,
        served_tier_rank,
        default_tier,
        default_tier_rank,
        served_model_name,
        priced_model,
        price_variant,
        is_long_context,
        status,
        is_escalated,
        is_priced,
        is_unattributed,
        time_source,
        count(*) as calls,
        sum(input_tokens)::hugeint as input_tokens,
        sum(output_tokens)::hugeint as output_tokens,
        sum(cached_input_tokens)::hugeint as cached_input_tokens,
        sum(cache_write_tokens)::hugeint as cache_write_tokens,
        sum(reasoning_tokens)::hugeint as reasoning_tokens,
        sum(uncached_input_tokens)::hugeint as uncached_input_tokens,
        sum(visible_output_tokens)::hugeint as visible_output_tokens,
        sum(cost_usd) as cost_usd,
        sum(output_cost_usd) as output_cost_usd,
        count(*) filter (where is_over_guard) as calls_over_guard,
        count(reported_cost_usd) as calls_with_reported_cost,
        sum(reported_cost_usd) as reported_cost_usd,
        sum(cost_usd) filter (where reported_cost_usd is not null) as reported_calls_cost_usd,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at
    from calls
    group by all
)

select * from grouped
