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
      and (task_types is null or list_contains(task_types, task_type))
      and (teams is null or list_contains(teams, coalesce(team, '(none)')))
      and (providers is null or list_contains(providers, coalesce(provider, '(none)')))
)

select * from scoped
