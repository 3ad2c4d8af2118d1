-- params: start_at, end_at, task_types, teams, providers
-- Priced calls inside the dashboard / CLI scope: [start_at, end_at) and the listed task types, teams and providers
-- (a NULL argument means no restriction). grain: one row per call.
with calls as (
    select * from int_priced_calls
),

scoped as (
    select *
    from calls
    where started_at >= coalesce(start_at::timestamp, '-infinity'::timestamp)
      and started_at < coalesce(end_at::timestamp, 'infinity'::timestamp)
      and is_in_scope(task_type, team, provider, task_types, teams, providers)
)

select * from scoped
