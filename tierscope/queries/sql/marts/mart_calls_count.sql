-- params: filters, start_at, end_at, task_types, teams, providers
-- How many calls mart_calls lists for the same scope and filters, counted from the daily call rollup (only the
-- filters the rollup keeps: served and requested tiers, statuses, the escalation mark; the caller counts only
-- when there is no user, model or trace filter). grain: one row.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

wanted as (
    select unnest(filters::struct(
        users varchar[], models varchar[], trace_ids varchar[], served_tiers varchar[], requested_tiers varchar[],
        statuses varchar[], escalated boolean[]
    ))
),

counted as (
    select coalesce(sum(call_groups.calls), 0)::bigint as calls
    from call_groups
    cross join wanted
    where (wanted.served_tiers is null or list_contains(wanted.served_tiers, call_groups.served_tier))
      and (wanted.requested_tiers is null or list_contains(wanted.requested_tiers, call_groups.requested_tier))
      and (wanted.statuses is null or list_contains(wanted.statuses, call_groups.status))
      and (wanted.escalated is null or list_contains(wanted.escalated, call_groups.is_escalated))
)

select * from counted
