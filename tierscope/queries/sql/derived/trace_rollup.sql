-- The daily trace rollup (int_trace_groups over every trace): what the trace-level marts and the what-if simulator
-- read for whole days. Rebuilt when the config or the SQL changes; kept current by steps/merge_rollups.sql.
create or replace table trace_rollup as
with all_traces as (
    select * from int_trace_slice()
)

select * from int_trace_groups('all_traces') order by day
