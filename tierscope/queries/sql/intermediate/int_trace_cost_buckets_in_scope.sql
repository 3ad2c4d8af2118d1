-- params: start_at, end_at, task_types, teams, providers
-- The cost-per-request histogram of a scope: the daily histogram for its whole UTC days, the edge traces bucketed
-- the same way (int_trace_cost_buckets), as int_scope_days puts them together. grain: one row per day x task type x
-- team x provider x cost bucket.
with edge_traces as (
    select * from int_trace_edges(start_at, end_at)
),

edges as (
    select * from int_trace_cost_buckets('edge_traces')
)

select * from int_scope_days('trace_cost_histogram', 'edges', start_at, end_at, task_types, teams, providers)
