-- params: start_at, end_at, task_types, teams, providers
-- Traces whose first call falls inside the scope (same arguments as int_calls_in_scope). grain: one row per trace.
with traces as (
    select * from traces
),

scoped as (
    select *
    from traces
    where started_at >= coalesce(start_at::timestamp, '-infinity'::timestamp)
      and started_at < coalesce(end_at::timestamp, 'infinity'::timestamp)
      and is_in_scope(task_type, team, provider, task_types, teams, providers)
)

select * from scoped
