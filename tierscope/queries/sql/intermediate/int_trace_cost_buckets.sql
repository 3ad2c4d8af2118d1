-- params: from_at := '-infinity', to_at := 'infinity', also_from_at := 'infinity', also_to_at := 'infinity', use_changes := false
-- Traces counted per UTC day, task type, team, provider and cost bucket (cost_bucket: 32 per decade): the daily
-- histogram the cost-per-request percentiles are read from (derived/trace_cost_histogram.sql). Same inputs as
-- int_trace_groups. grain: one row per day x task type x team x provider x bucket; traces with no priced call
-- (cost NULL) are left out, as a percentile over costs leaves them out.
with changes as (
    select * from int_trace_slice(from_at, to_at, also_from_at, also_to_at, use_changes)
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
