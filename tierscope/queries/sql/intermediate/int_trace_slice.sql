-- params: from_at := '-infinity', to_at := 'infinity', also_from_at := 'infinity', also_to_at := 'infinity', use_changes := false
-- The traces a rollup is grouped from, each with a sign: those started in [from_at, to_at) or
-- [also_from_at, also_to_at) (+1), grouped from the calls anchored there (trace_started_at: all of those traces'
-- calls, and only theirs), or, with use_changes, the signed trace changes of a refresh (trace_rollup_changes: +1
-- for a trace's new version, -1 for the version it replaces). grain: one row per trace (version).
with anchored_calls as (
    select *
    from int_priced_calls
    where not use_changes
      and ((trace_started_at >= from_at::timestamp and trace_started_at < to_at::timestamp)
           or (trace_started_at >= also_from_at::timestamp and trace_started_at < also_to_at::timestamp))
),

changes as (
    select *, 1 as sign from int_traces('anchored_calls')
    union all by name
    select * from trace_rollup_changes where use_changes
)

select * from changes
