-- params: start_at, end_at, task_types, teams, providers, simulator := false
-- The trace groups of a scope (same arguments as int_traces_in_scope): the daily trace rollup for the whole UTC
-- days inside [start_at, end_at), and the traces of the partial days at its edges grouped the same way
-- (int_trace_groups). With simulator, the whole days come from the simulator's smaller rollup (simulator_rollup:
-- only the what-if's keys, the other dimensions NULL), for mart_whatif, which folds every row to those keys.
-- grain: one row per day x dimensions.
with whole_days as (
    select * from trace_rollup where not simulator and scope_has_whole_day(day, start_at, end_at)
    union all by name
    select * from simulator_rollup where simulator and scope_has_whole_day(day, start_at, end_at)
),

-- the partial days at both edges, in one read of the rows
edges as (
    select * from int_trace_groups(
        scope_head_from(start_at), scope_head_to(start_at, end_at),
        scope_tail_from(start_at, end_at), scope_tail_to(end_at), false
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
