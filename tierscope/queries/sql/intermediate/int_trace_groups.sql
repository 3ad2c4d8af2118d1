-- params: traces
-- Signed traces (the relation named by traces, in int_trace_slice's shape: +1 for a trace, -1 for a trace version a
-- refresh replaces) added up per UTC day (of their first call) and every dimension a trace-level mart or the what-if
-- simulator groups on: the grain of the daily trace rollup (derived/trace_rollup.sql). The answer (the trace's last
-- call) keeps its token sums, price variant and input-size band (stg_input_bands), which is all the simulator needs:
-- a call's cost is linear in its token counts at one price, and the guard and long-context decisions are the same
-- across a band.
-- grain: one row per day x dimensions; requests counts traces.
with changes as (
    select * from query_table(traces)
),

grouped as (
    select
        started_at::date as day,
        task_type,
        team,
        feature,
        provider,
        requested_tier,
        requested_model,
        first_served_tier,
        first_served_model,
        final_served_tier,
        final_served_tier_rank,
        final_served_model,
        default_tier,
        default_tier_rank,
        is_escalated,
        unpriced_calls > 0 as has_unpriced_call,
        final_call.price_variant as answer_price_variant,
        answer_input_band_lower,
        answer_input_band_upper,
        sum(sign)::bigint as requests,
        sum(sign * calls)::bigint as calls,
        sum(sign * input_tokens)::hugeint as input_tokens,
        sum(sign * output_tokens)::hugeint as output_tokens,
        sum(sign * cost_usd) as cost_usd,
        sum(sign * unpriced_calls)::bigint as unpriced_calls,
        sum(sign * final_call.input_tokens)::hugeint as answer_input_tokens,
        sum(sign * final_call.cached_input_tokens)::hugeint as answer_cached_input_tokens,
        sum(sign * final_call.cache_write_tokens)::hugeint as answer_cache_write_tokens,
        sum(sign * final_call.output_tokens)::hugeint as answer_output_tokens,
        sum(sign * final_call.reasoning_tokens)::hugeint as answer_reasoning_tokens
    from changes
    group by all
)

select * from grouped
