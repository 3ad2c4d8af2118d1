-- params: start_at, end_at, task_types, teams, providers
-- The values each dashboard filter can take, with how many calls carry them. grain: one row per dimension x value.
-- A NULL team or provider shows as '(none)', the value the scope arguments match it by (int_calls_in_scope).
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

labelled as (
    select
        task_type,
        coalesce(team, '(none)') as team,
        coalesce(provider, '(none)') as provider,
        calls
    from call_groups
),

counted as (
    select
        case when grouping(task_type) = 0 then 'task_type'
             when grouping(team) = 0 then 'team'
             else 'provider' end as dimension,
        coalesce(task_type, team, provider) as value,
        sum(calls)::bigint as calls
    from labelled
    group by grouping sets ((task_type), (team), (provider))
),

ordered as (
    select * from counted order by dimension, calls desc, value
)

select * from ordered
