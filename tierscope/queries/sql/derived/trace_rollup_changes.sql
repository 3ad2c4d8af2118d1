-- The signed trace changes of one refresh (a trace's new version +1, the version it replaces -1), which the
-- trace rollups take in (steps/merge_rollups.sql). Empty between refreshes.
create or replace table trace_rollup_changes as
with no_calls as (
    select * from int_priced_calls limit 0
)

select *, 1 as sign from int_traces('no_calls')
