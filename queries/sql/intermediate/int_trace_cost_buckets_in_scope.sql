-- params: start_at, end_at, task_types, teams, providers
-- The cost-per-request histogram of a scope: the daily histogram for whole UTC days, the edge traces bucketed the
-- same way (int_trace_cost_buckets). grain: one row per day x task type x team x provider x cost bucket.
with whole_days as (
    select * from trace_cost_histogram where scope_has_whole_day(day, start_at, end_at)
),

-- the partial days at both edges, in one read of the rows
edges as (
    select * from int_trace_cost_buckets(
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
