-- The daily call rollup (int_call_groups over every call): what the call-level marts read for whole days.
-- Rebuilt when the config or the SQL changes; kept current by steps/merge_rollups.sql after each ingest.
create or replace table call_rollup as
select * from int_call_groups() order by day
