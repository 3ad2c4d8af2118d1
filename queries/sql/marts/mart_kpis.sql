-- params: start_at, end_at, task_types, teams, providers
-- The headline numbers of a scope. grain: one row. requests counts traces (by their first call), calls counts model
-- calls; cost_usd sums
-- priced calls only (unpriced_calls says how many were left out, never as $0); flagged_task_types counts task types
-- whose latest judged drift window in the scope is flagged (mart_drift_flags).
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

traces as (
    select * from int_traces_in_scope(start_at, end_at, task_types, teams, providers)
),

drift as (
    select * from mart_drift_flags(start_at, end_at, task_types, teams, providers)
),

call_totals as (
    select
        count(*) as calls,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls,
        count(*) filter (where is_unattributed) as unattributed_calls
    from calls
),

trace_totals as (
    select count(*) as requests from traces
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
