-- params: start_at, end_at, task_types, teams, providers
-- Spend served by a tier above the task type's default tier: where a cheaper routing could save money.
-- grain: one row per task type with such calls, most spend above default first. The requested_above_default_*
-- columns are the calls whose caller asked for a tier above the default (a routing choice); the other calls above
-- default escalated or fell back there. Costs sum priced calls only; above_default_unpriced_calls counts the rest.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

marked as (
    select
        task_type,
        default_tier,
        calls,
        cost_usd,
        is_priced,
        coalesce(served_tier_rank > default_tier_rank, false) as is_above_default,
        coalesce(requested_tier_rank > default_tier_rank, false) as is_requested_above_default
    from call_groups
),

by_task as (
    select
        task_type,
        default_tier,
        sum(calls)::bigint as calls,
        sum(cost_usd) as cost_usd,
        coalesce(sum(calls) filter (where is_above_default), 0)::bigint as above_default_calls,
        sum(cost_usd) filter (where is_above_default) as above_default_cost_usd,
        coalesce(sum(calls) filter (where is_above_default and not is_priced), 0)::bigint
            as above_default_unpriced_calls,
        coalesce(sum(calls) filter (where is_above_default and is_requested_above_default), 0)::bigint
            as requested_above_default_calls,
        sum(cost_usd) filter (where is_above_default and is_requested_above_default)
            as requested_above_default_cost_usd
    from marked
    group by task_type, default_tier
),

ranked as (
    select
        *,
        above_default_cost_usd / nullif(cost_usd, 0) as above_default_cost_share
    from by_task
    where above_default_calls > 0
    order by above_default_cost_usd desc nulls last, task_type
)

select * from ranked
