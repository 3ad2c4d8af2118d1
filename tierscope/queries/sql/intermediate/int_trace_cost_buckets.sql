-- params: traces
-- Signed traces (the relation named by traces, as for int_trace_groups) counted per UTC day, task type, team,
-- provider and cost bucket (cost_bucket: 32 per decade): the daily histogram the cost-per-request percentiles are
-- read from (derived/trace_cost_histogram.sql). grain: one row per day x task type x team x provider x bucket;
-- traces with no priced call (cost NULL) are left out, as a percentile over costs leaves them out.
with changes as (
    select * from query_table(traces)
),

grouped as (
    select
        started_at::date as day,
        task_type,
        team,
        provider,
        cost_bucket(cost_usd) as cost_bucket,
        sum(sign)::bigint as requests
    from changes
    where cost_usd is not null
    group by all
)

select * from grouped
