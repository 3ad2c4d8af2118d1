-- params: start_at, end_at, task_types, teams, providers
-- What each task type costs in the scope. grain: one row per task type.
-- requests counts traces (by their first call's task type), calls counts model calls; cost_usd sums priced calls only (unpriced_calls says how many
-- were left out); cost per request percentiles are over the task's traces.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

traces as (
    select * from int_traces_in_scope(start_at, end_at, task_types, teams, providers)
),

by_task as (
    select
        task_type,
        count(*) as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cached_input_tokens)::bigint as cached_input_tokens,
        sum(cache_write_tokens)::bigint as cache_write_tokens,
        sum(reasoning_tokens)::bigint as reasoning_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    group by task_type
),

per_request as (
    select
        task_type,
        count(*) as requests,
        quantile_cont(cost_usd, 0.5) as cost_per_request_p50_usd,
        quantile_cont(cost_usd, 0.95) as cost_per_request_p95_usd,
        avg(is_escalated::int) as escalation_rate
    from traces
    group by task_type
),

joined as (
    select
        by_task.task_type,
        coalesce(per_request.requests, 0) as requests,
        by_task.* exclude (task_type),
        by_task.cost_usd / nullif(sum(by_task.cost_usd) over (), 0) as cost_share,
        by_task.output_tokens / nullif(by_task.input_tokens, 0) as output_input_ratio,
        per_request.cost_per_request_p50_usd,
        per_request.cost_per_request_p95_usd,
        per_request.escalation_rate
    from by_task
    left join per_request using (task_type)
    order by cost_usd desc nulls last, task_type
)

select * from joined
