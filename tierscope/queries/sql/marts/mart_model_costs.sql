-- params: start_at, end_at, task_types, teams, providers
-- Which models served each task type and what they cost. grain: one row per task type x served model (canonical
-- name; '(unattributed)' when the log names none) x served tier. calls and cost_usd add up the model's calls
-- (priced calls only; a model with no price has cost_usd NULL and unpriced_calls > 0, never $0); requests counts
-- the traces the model answered (their last call), as mart_cost_by does. Read from the daily rollups.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

keyed_calls as (
    select
        task_type,
        coalesce(served_model_name, '(unattributed)') as served_model,
        served_tier,
        calls,
        input_tokens,
        output_tokens,
        cost_usd,
        is_priced
    from call_groups
),

call_totals as (
    select * from int_call_cost_totals('keyed_calls')
),

trace_totals as (
    select
        task_type,
        coalesce(final_served_model, '(unattributed)') as served_model,
        final_served_tier as served_tier,
        sum(requests)::bigint as requests
    from trace_groups
    group by all
),

by_model as (
    select
        task_type,
        served_model,
        served_tier,
        coalesce(trace_totals.requests, 0) as requests,
        coalesce(call_totals.calls, 0) as calls,
        coalesce(call_totals.input_tokens, 0) as input_tokens,
        coalesce(call_totals.output_tokens, 0) as output_tokens,
        call_totals.cost_usd,
        coalesce(call_totals.unpriced_calls, 0) as unpriced_calls
    from call_totals
    full join trace_totals using (task_type, served_model, served_tier)
    order by task_type, cost_usd desc nulls last, served_model
)

select * from by_model
