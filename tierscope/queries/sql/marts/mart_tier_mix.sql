-- params: start_at, end_at, task_types, teams, providers
-- Requested tier x served tier: which tier the caller asked for and which tier answered.
-- grain: one row per task type x requested tier x served tier. calls and cost_usd count model calls in the cell;
-- requests counts traces whose first call asked for the requested tier and whose last call was served by the tier.
-- Read from the daily rollups.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

keyed_calls as (
    select
        task_type, requested_tier, served_tier, default_tier, calls, input_tokens, output_tokens, cost_usd, is_priced
    from call_groups
),

call_mix as (
    select task_type, requested_tier, served_tier, default_tier, calls, cost_usd, unpriced_calls
    from int_call_cost_totals('keyed_calls')
),

trace_mix as (
    select
        task_type,
        requested_tier,
        final_served_tier as served_tier,
        default_tier,
        sum(requests)::bigint as requests
    from trace_groups
    group by all
),

mix as (
    select
        task_type,
        requested_tier,
        served_tier,
        default_tier,
        coalesce(call_mix.calls, 0) as calls,
        coalesce(trace_mix.requests, 0) as requests,
        call_mix.cost_usd,
        coalesce(call_mix.unpriced_calls, 0) as unpriced_calls
    from call_mix
    full join trace_mix using (task_type, requested_tier, served_tier, default_tier)
    order by task_type, requested_tier, served_tier
)

select * from mix
