-- params: start_at, end_at, task_types, teams, providers
-- Daily spend by task type and served tier. grain: one row per UTC day x task type x served tier.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

daily as (
    select
        started_at::date as day,
        task_type,
        served_tier,
        count(*) as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    group by all
    order by day, task_type, served_tier
)

select * from daily
