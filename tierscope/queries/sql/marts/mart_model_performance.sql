-- params: start_at, end_at, task_types, teams, providers
-- Cost beside speed and reliability, per task type, per task type x served model and per served model: calls,
-- cost_usd (priced calls; NULL when none is), cost per call, latency p50 / p95 (ms, exact, over the calls that report
-- a latency) and the error rate (calls with status error / calls). grain: one row per task type x served model
-- (canonical name, '(unattributed)' without one), plus one per task type with served_model NULL (all its models) and
-- one per served model with task_type NULL (all task types). Latency is not in the daily rollups, so this reads the
-- calls of the scope (int_calls_in_scope).
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

labelled as (
    select task_type, coalesce(served_model_name, '(unattributed)') as served_model, served_tier, cost_usd, is_priced,
        latency_ms, status
    from calls
),

measured as (
    select
        task_type,
        served_model,
        case when grouping(served_model) = 0 then any_value(served_tier) end as served_tier,
        count(*) as calls,
        sum(cost_usd) as cost_usd,
        sum(cost_usd) / nullif(count(*) filter (where is_priced), 0) as cost_per_call_usd,
        count(*) filter (where not is_priced) as unpriced_calls,
        count(latency_ms) as calls_with_latency,
        quantile_cont(latency_ms, 0.5) as latency_p50_ms,
        quantile_cont(latency_ms, 0.95) as latency_p95_ms,
        count(*) filter (where status = 'error') as error_calls,
        count(*) filter (where status = 'error') / count(*) as error_rate
    from labelled
    group by grouping sets ((task_type), (task_type, served_model), (served_model))
    order by task_type nulls last, served_model nulls first, cost_usd desc nulls last
)

select * from measured
