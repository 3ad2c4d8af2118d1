-- params: start_at, end_at, task_types, teams, providers
-- The cost-per-request histogram of a scope: the daily histogram for its whole UTC days, the edge traces bucketed
-- the same way (int_trace_cost_buckets), as int_scope_days puts them together. grain: one row per day x task type x
-- team x provider x cost bucket.
with edge_traces as (
    -- the traces of the partial days at both edges, in one read of the rows
    select * from int_trace_slice(
        from_at := scope_head_from(start_at), to_at := scope_head_to(start_at, end_at),
        also_from_at := scope_tail_from(start_at, end_at), also_to_at := scope_tail_to(end_at)
    )
),

edges as (
    select * from int_trace_cost_buckets('edge_traces')
)

select * from int_scope_days('trace_cost_histogram', 'edges', start_at, end_at, task_types, teams, providers)
