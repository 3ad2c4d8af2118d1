-- params: start_at, end_at, task_types, teams, providers
-- Which models served each task type and what they cost. grain: one row per task type x served model (canonical
-- name; '(unattributed)' when the log names none) x served tier. cost_usd sums priced calls only; a model with no
-- price has cost_usd NULL and unpriced_calls > 0, never $0.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

by_model as (
    select
        task_type,
        coalesce(served_model_name, '(unattributed)') as served_model,
        served_tier,
        count(distinct trace_id) as requests,
        count(*) as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    group by all
    order by task_type, cost_usd desc nulls last, served_model
)

select * from by_model
