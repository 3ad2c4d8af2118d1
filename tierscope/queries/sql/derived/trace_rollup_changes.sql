-- The signed trace changes of one refresh (a trace's new version +1, the version it replaces -1), which the
-- trace rollups take in (derived/merge_rollups.sql). Empty between refreshes.
create or replace table trace_rollup_changes as select *, 1 as sign from traces limit 0
