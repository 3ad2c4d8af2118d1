-- params: dimension, start_at, end_at, task_types, teams, providers
-- Cost grouped by one dimension: task_type, model (canonical served model), tier (served tier), day or team.
-- grain: one row per value of the dimension. requests counts traces, calls counts model calls.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

keyed as (
    select
        case dimension
            when 'task_type' then task_type
            when 'model' then coalesce(served_model_name, '(unattributed)')
            when 'tier' then served_tier
            when 'day' then strftime(started_at, '%Y-%m-%d')
            when 'team' then coalesce(team, '(none)')
        end as dimension_value,
        trace_id,
        input_tokens,
        output_tokens,
        cost_usd,
        is_priced
    from calls
),

grouped as (
    select
        dimension_value,
        count(distinct trace_id) as requests,
        count(*) as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from keyed
    group by dimension_value
    order by
        case when dimension = 'day' then dimension_value end,
        cost_usd desc nulls last,
        dimension_value
)

select * from grouped
