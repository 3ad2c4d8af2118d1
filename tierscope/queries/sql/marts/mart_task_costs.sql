-- params: start_at, end_at, task_types, teams, providers
-- What each task type costs in the scope. grain: one row per task type.
-- requests counts traces (by their first call's task type), calls counts model calls; cost_usd sums priced calls
-- only (unpriced_calls says how many were left out). Read from the daily rollups (exact sums and counts). Cost per
-- request percentiles are over the task's traces, from the cost histogram (32 buckets per decade): the value at
-- the percentile's rank is taken as its bucket's geometric middle and interpolated as quantile_cont does, so it is
-- within 3.7% of the exact percentile.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

cost_buckets as (
    select task_type, cost_bucket, sum(requests) as requests
    from int_trace_cost_buckets_in_scope(start_at, end_at, task_types, teams, providers)
    group by all
),

by_task as (
    select
        task_type,
        sum(calls)::bigint as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cached_input_tokens)::bigint as cached_input_tokens,
        sum(cache_write_tokens)::bigint as cache_write_tokens,
        sum(reasoning_tokens)::bigint as reasoning_tokens,
        sum(cost_usd) as cost_usd,
        coalesce(sum(calls) filter (where not is_priced), 0)::bigint as unpriced_calls
    from call_groups
    group by task_type
),

per_request as (
    select
        task_type,
        sum(requests)::bigint as requests,
        coalesce(sum(requests) filter (where is_escalated), 0) / sum(requests) as escalation_rate
    from trace_groups
    group by task_type
    having sum(requests) > 0
),

-- each bucket's range of ranks (0-based, cost order) within its task type
ranked_buckets as (
    select
        task_type,
        cost_bucket,
        sum(requests) over (partition by task_type order by cost_bucket) - requests as first_rank,
        sum(requests) over (partition by task_type order by cost_bucket) - 1 as last_rank,
        sum(requests) over (partition by task_type) as priced_requests
    from cost_buckets
    where requests > 0
),

-- quantile_cont's position h = q x (n - 1): the values at ranks floor(h) and ceil(h), interpolated
percentile_ranks as (
    select task_type, q, q * (priced_requests - 1) as position
    from (select distinct task_type, priced_requests from ranked_buckets)
    cross join (values (0.5), (0.95)) as quantiles(q)
),

percentiles as (
    select
        percentile_ranks.task_type,
        percentile_ranks.q,
        any_value(cost_bucket_value(below.cost_bucket))
            + (any_value(position) - floor(any_value(position)))
            * (any_value(cost_bucket_value(above.cost_bucket)) - any_value(cost_bucket_value(below.cost_bucket)))
            as cost_usd
    from percentile_ranks
    join ranked_buckets as below
        on below.task_type = percentile_ranks.task_type
        and floor(percentile_ranks.position) between below.first_rank and below.last_rank
    join ranked_buckets as above
        on above.task_type = percentile_ranks.task_type
        and ceil(percentile_ranks.position) between above.first_rank and above.last_rank
    group by all
),

per_request_cost as (
    select
        task_type,
        any_value(cost_usd) filter (where q = 0.5) as cost_per_request_p50_usd,
        any_value(cost_usd) filter (where q = 0.95) as cost_per_request_p95_usd
    from percentiles
    group by task_type
),

joined as (
    select
        by_task.task_type,
        coalesce(per_request.requests, 0) as requests,
        by_task.* exclude (task_type),
        by_task.cost_usd / nullif(sum(by_task.cost_usd) over (), 0) as cost_share,
        by_task.output_tokens / nullif(by_task.input_tokens, 0) as output_input_ratio,
        per_request_cost.cost_per_request_p50_usd,
        per_request_cost.cost_per_request_p95_usd,
        per_request.escalation_rate
    from by_task
    left join per_request using (task_type)
    left join per_request_cost using (task_type)
    order by cost_usd desc nulls last, task_type
)

select * from joined
