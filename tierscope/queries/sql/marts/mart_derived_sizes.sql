-- How much the derived tables hold, for `tierscope rebuild`'s summary. grain: one row.
with priced as (
    select count(*) as calls from calls
),

trace_rows as (
    select coalesce(sum(requests), 0)::bigint as traces from trace_rollup
),

call_groups as (
    select count(*) as call_rollup_rows from call_rollup
),

trace_groups as (
    select count(*) as trace_rollup_rows from trace_rollup
),

sizes as (
    select priced.calls, trace_rows.traces, call_groups.call_rollup_rows, trace_groups.trace_rollup_rows
    from priced
    cross join trace_rows
    cross join call_groups
    cross join trace_groups
)

select * from sizes
