-- params: rollup, edges, start_at, end_at, task_types, teams, providers
-- A scope's rows at a daily rollup's grain: the rollup (the table named by rollup) for the whole UTC days inside
-- [start_at, end_at), and the partial days at its edges (the CTE named by edges: the caller's grouping macro over
-- those hours, the rollup's own grouping), kept to the scope's task types, teams and providers. Every sum and count
-- equals the one over the rows themselves.
-- grain: the rollup's (a day at an edge can have a rollup-free row of its own).
with whole_days as (
    select * from query_table(rollup) where scope_has_whole_day(day, start_at, end_at)
),

combined as (
    select * from whole_days
    union all by name
    select * from query_table(edges)
),

scoped as (
    select * from combined where is_in_scope(task_type, team, provider, task_types, teams, providers)
)

select * from scoped
