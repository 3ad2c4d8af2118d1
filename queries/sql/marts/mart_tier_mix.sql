-- params: start_at, end_at, task_types, teams, providers
-- Requested tier x served tier: which tier the caller asked for and which tier answered.
-- grain: one row per task type x requested tier x served tier.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

mix as (
    select
        task_type,
        requested_tier,
        served_tier,
        default_tier,
        count(*) as calls,
        count(distinct trace_id) as requests,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    group by all
    order by task_type, requested_tier, served_tier
)

select * from mix
