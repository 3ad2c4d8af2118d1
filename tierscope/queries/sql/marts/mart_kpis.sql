-- params: start_at, end_at, task_types, teams, providers
-- The headline numbers of a scope. grain: one row. requests counts traces (by their first call), calls counts model
-- calls; cost_usd sums priced calls only (unpriced_calls says how many were left out, never as $0);
-- flagged_task_types counts task types whose latest judged drift window in the scope is flagged (mart_drift_flags).
-- Read from the daily rollups.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

drift as (
    select * from mart_drift_flags(start_at, end_at, task_types, teams, providers)
),

call_totals as (
    select
        coalesce(sum(calls), 0)::bigint as calls,
        sum(cost_usd) as cost_usd,
        coalesce(sum(calls) filter (where not is_priced), 0)::bigint as unpriced_calls,
        coalesce(sum(calls) filter (where is_unattributed), 0)::bigint as unattributed_calls
    from call_groups
),

trace_totals as (
    select coalesce(sum(requests), 0)::bigint as requests from trace_groups
),

drift_totals as (
    select count(*) filter (where is_flagged) as flagged_task_types from drift
),

kpis as (
    select
        trace_totals.requests,
        call_totals.calls,
        call_totals.cost_usd,
        1000 * call_totals.cost_usd / nullif(trace_totals.requests, 0) as cost_per_1k_requests_usd,
        call_totals.unpriced_calls,
        call_totals.unattributed_calls,
        drift_totals.flagged_task_types
    from call_totals
    cross join trace_totals
    cross join drift_totals
)

select * from kpis
