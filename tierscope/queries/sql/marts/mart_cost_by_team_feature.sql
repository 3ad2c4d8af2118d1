-- params: start_at, end_at, task_types, teams, providers
-- Who spends: cost by team and feature. grain: one row per team x feature ('(none)' when the log names none).
-- calls counts model calls and cost_usd sums priced calls with that team and feature; requests counts traces by
-- their first call's team and feature (so requests add up to the traces in scope). Read from the daily rollups.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

keyed_calls as (
    select
        coalesce(team, '(none)') as team,
        coalesce(feature, '(none)') as feature,
        calls,
        input_tokens,
        output_tokens,
        cost_usd,
        is_priced
    from call_groups
),

call_totals as (
    select * from int_call_cost_totals('keyed_calls')
),

trace_totals as (
    select
        coalesce(team, '(none)') as team,
        coalesce(feature, '(none)') as feature,
        sum(requests)::bigint as requests
    from trace_groups
    group by all
),

by_owner as (
    select
        team,
        feature,
        coalesce(trace_totals.requests, 0) as requests,
        coalesce(call_totals.calls, 0) as calls,
        coalesce(call_totals.input_tokens, 0) as input_tokens,
        coalesce(call_totals.output_tokens, 0) as output_tokens,
        call_totals.cost_usd,
        coalesce(call_totals.unpriced_calls, 0) as unpriced_calls
    from call_totals
    full join trace_totals using (team, feature)
    order by cost_usd desc nulls last, team, feature
)

select * from by_owner
