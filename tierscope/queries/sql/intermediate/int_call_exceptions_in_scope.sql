-- params: start_at, end_at, task_types, teams, providers
-- The exception calls (call_exceptions) inside a scope, same arguments as int_calls_in_scope. grain: one row per
-- call.
with exceptions as (
    select * from call_exceptions
),

scoped as (
    select *
    from exceptions
    where started_at >= coalesce(start_at::timestamp, '-infinity'::timestamp)
      and started_at < coalesce(end_at::timestamp, 'infinity'::timestamp)
      and is_in_scope(task_type, team, provider, task_types, teams, providers)
)

select * from scoped
