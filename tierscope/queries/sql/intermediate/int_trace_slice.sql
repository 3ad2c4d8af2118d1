-- params: from_at := '-infinity', to_at := 'infinity', also_from_at := 'infinity', also_to_at := 'infinity'
-- The traces started in [from_at, to_at) or [also_from_at, also_to_at) (all of them by default), grouped from the
-- calls anchored there (trace_started_at: all of those traces' calls, and only theirs), each with sign +1: the
-- signed traces int_trace_groups and int_trace_cost_buckets add up (a refresh's trace changes have the same shape,
-- with -1 for a trace version that is replaced). grain: one row per trace.
with anchored_calls as (
    select *
    from int_priced_calls
    where (trace_started_at >= from_at::timestamp and trace_started_at < to_at::timestamp)
       or (trace_started_at >= also_from_at::timestamp and trace_started_at < also_to_at::timestamp)
),

signed_traces as (
    select *, 1 as sign from int_traces('anchored_calls')
)

select * from signed_traces
