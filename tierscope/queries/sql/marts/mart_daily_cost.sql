-- params: start_at, end_at, task_types, teams, providers
-- Daily spend by task type and served tier. grain: one row per UTC day x task type x served tier. Read from the
-- daily call rollup.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

daily as (
    select
        day,
        task_type,
        served_tier,
        sum(calls)::bigint as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        coalesce(sum(calls) filter (where not is_priced), 0)::bigint as unpriced_calls
    from call_groups
    group by all
    order by day, task_type, served_tier
)

select * from daily
