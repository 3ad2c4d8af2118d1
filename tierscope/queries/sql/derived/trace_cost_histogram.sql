-- The daily histogram of cost per request (int_trace_cost_buckets over every trace), for percentiles over whole
-- days. Rebuilt when the config or the SQL changes; kept current by steps/merge_rollups.sql.
create or replace table trace_cost_histogram as
with all_traces as (
    select * from int_trace_slice()
)

select * from int_trace_cost_buckets('all_traces') order by day
