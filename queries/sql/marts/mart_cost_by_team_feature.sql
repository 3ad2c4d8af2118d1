-- params: start_at, end_at, task_types, teams, providers
-- Who spends: cost by team and feature. grain: one row per team x feature ('(none)' when the log names none).
-- requests counts traces, calls counts model calls; cost_usd sums priced calls only.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

by_owner as (
    select
        coalesce(team, '(none)') as team,
        coalesce(feature, '(none)') as feature,
        count(distinct trace_id) as requests,
        count(*) as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    group by all
    order by cost_usd desc nulls last, team, feature
)

select * from by_owner
