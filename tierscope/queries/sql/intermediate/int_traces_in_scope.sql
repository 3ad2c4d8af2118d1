-- params: start_at, end_at, task_types, teams, providers
-- Traces whose first call falls inside the scope (same arguments as int_calls_in_scope), grouped from the calls
-- anchored there (trace_started_at). grain: one row per trace.
with anchored_calls as (
    select *
    from int_priced_calls
    where trace_started_at >= coalesce(start_at::timestamp, '-infinity'::timestamp)
      and trace_started_at < coalesce(end_at::timestamp, 'infinity'::timestamp)
),

scoped as (
    select *
    from int_traces('anchored_calls')
    where is_in_scope(task_type, team, provider, task_types, teams, providers)
)

select * from scoped
