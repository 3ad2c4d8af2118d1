-- params: priced
-- Logical requests: the calls that share a trace_id (retries, fallbacks, cascade escalations), grouped from the
-- priced calls (rows of int_priced_calls) of the relation named by priced, which holds every call of its traces.
-- grain: one row per trace. A trace is escalated when any call is marked escalated or its final call was served
-- by a tier above the task's default tier (docs/concepts.md). cost_usd sums the priced calls; unpriced_calls counts the rest.
-- Token sums are HUGEINT, as in the rollups built from them: a stored sum never overflows.
-- The answer (the last call) keeps its token counts and its input-size band.
-- Most traces are one call, whose trace row is that call's own values: only the calls of traces of several calls
-- are grouped (arg_min / arg_max over text columns cost far more than reading a row). The calls are read twice (not
-- materialised: a slice can be every call) plus once for the trace sizes, which reads only trace_id.
with calls as not materialized (
    select * from query_table(priced)
),

trace_sizes as (
    select trace_id, count(*) = 1 as is_single_call from calls group by trace_id
),

single_calls as (
    select * from calls semi join (select trace_id from trace_sizes where is_single_call) using (trace_id)
),

grouped_calls as (
    select * from calls semi join (select trace_id from trace_sizes where not is_single_call) using (trace_id)
),

single_call_traces as (
    select
        trace_id,
        started_at,
        task_type,
        team,
        feature,
        provider,
        requested_tier,
        requested_model_name as requested_model,
        served_tier as first_served_tier,
        served_tier_rank as first_served_tier_rank,
        served_model_name as first_served_model,
        served_tier as final_served_tier,
        served_model_name as final_served_model,
        served_tier_rank as final_served_tier_rank,
        default_tier,
        default_tier_rank,
        is_escalated as has_escalation_mark,
        struct_pack(input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                    price_variant) as final_call,
        1::bigint as calls,
        input_tokens::hugeint as input_tokens,
        output_tokens::hugeint as output_tokens,
        cost_usd,
        (not is_priced)::bigint as unpriced_calls
    from single_calls
),

grouped_traces as (
    select
        trace_id,
        min(started_at) as started_at,
        arg_min(task_type, started_at) as task_type,
        arg_min(team, started_at) as team,
        arg_min(feature, started_at) as feature,
        arg_min(provider, started_at) as provider,
        arg_min(requested_tier, started_at) as requested_tier,
        arg_min(requested_model_name, started_at) as requested_model,
        arg_min(served_tier, started_at) as first_served_tier,
        arg_min(served_tier_rank, started_at) as first_served_tier_rank,
        arg_min(served_model_name, started_at) as first_served_model,
        arg_max(served_tier, started_at) as final_served_tier,
        arg_max(served_model_name, started_at) as final_served_model,
        arg_max(served_tier_rank, started_at) as final_served_tier_rank,
        arg_min(default_tier, started_at) as default_tier,
        arg_min(default_tier_rank, started_at) as default_tier_rank,
        bool_or(is_escalated) as has_escalation_mark,
        -- the answer: the last call's token counts, what a different tier map would have to produce
        arg_max(
            struct_pack(input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens,
                        price_variant),
            started_at
        ) as final_call,
        count(*) as calls,
        sum(input_tokens)::hugeint as input_tokens,
        sum(output_tokens)::hugeint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from grouped_calls
    group by trace_id
),

traces as (
    select * from single_call_traces
    union all by name
    select * from grouped_traces
),

flagged as (
    select
        traces.*,
        has_escalation_mark or coalesce(final_served_tier_rank > default_tier_rank, false) as is_escalated,
        traces.final_call.input_tokens as answer_input_tokens
    from traces
),

bands as (
    select * from stg_input_bands
),

-- the input-size band of the answer (stg_input_bands): what the simulator decides the context guard and
-- long-context prices on, so a group of traces in one band is decided once
banded as (
    select
        flagged.* exclude (answer_input_tokens),
        bands.lower as answer_input_band_lower,
        bands.upper as answer_input_band_upper
    from flagged
    asof left join bands on flagged.answer_input_tokens > bands.lower
)

select * from banded
