-- params: start_at, end_at, task_types, teams, providers
-- The call groups of a scope (same arguments as int_calls_in_scope): the daily call rollup for the whole UTC days
-- inside [start_at, end_at), and the calls of the partial days at its edges grouped the same way
-- (int_call_groups), so every sum and count equals the one over the calls themselves.
-- grain: one row per day x dimensions (a day at an edge can have a rollup-free row of its own).
with whole_days as (
    select * from call_rollup where scope_has_whole_day(day, start_at, end_at)
),

-- the partial days at both edges, in one read of the rows
edges as (
    select * from int_call_groups(
        scope_head_from(start_at), scope_head_to(start_at, end_at),
        scope_tail_from(start_at, end_at), scope_tail_to(end_at), null, null
    )
),

combined as (
    select * from whole_days
    union all by name
    select * from edges
),

scoped as (
    select * from combined where is_in_scope(task_type, team, provider, task_types, teams, providers)
)

select * from scoped
