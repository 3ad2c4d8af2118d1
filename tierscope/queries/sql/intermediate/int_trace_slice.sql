-- params: from_at, to_at, also_from_at, also_to_at, use_changes
-- The traces a rollup is grouped from, each with a sign: those started in [from_at, to_at) or
-- [also_from_at, also_to_at) (+1), or, with use_changes, the signed trace changes of a refresh
-- (trace_rollup_changes: +1 for a trace's new version, -1 for the version it replaces). grain: one row per trace
-- (version).
with changes as (
    select *, 1 as sign
    from traces
    where not use_changes and ((started_at >= from_at::timestamp and started_at < to_at::timestamp)
           or (started_at >= also_from_at::timestamp and started_at < also_to_at::timestamp))
    union all by name
    select * from trace_rollup_changes where use_changes
)

select * from changes
