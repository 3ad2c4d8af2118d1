-- The daily histogram of output tokens (int_call_output_buckets over every call). Rebuilt when the config or the
-- SQL changes; kept current by steps/merge_rollups.sql.
create or replace table call_output_histogram as
select * from int_call_output_buckets() order by day
