-- params: from_at := '-infinity', to_at := 'infinity', also_from_at := 'infinity', also_to_at := 'infinity', after_ingest_id := null, through_ingest_id := null
-- Calls counted per UTC day, task type and output length: the daily histogram of output tokens
-- (derived/call_output_histogram.sql) the output-length chart reads. A count under 1,000 is its own bucket; a larger
-- one is rounded down to 3 significant digits (within 1% of it). Same inputs as int_call_groups.
-- grain: one row per day x task type x output bucket.
with calls as (
    select * from int_call_slice(from_at, to_at, also_from_at, also_to_at, after_ingest_id, through_ingest_id)
),

grouped as (
    select
        started_at::date as day,
        task_type,
        output_token_bucket(output_tokens) as output_bucket,
        count(*) as calls
    from calls
    group by all
)

select * from grouped
