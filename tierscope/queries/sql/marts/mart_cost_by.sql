-- params: dimension, start_at, end_at, task_types, teams, providers
-- Cost grouped by one dimension: task_type, model (canonical served model), tier (served tier), day or team.
-- grain: one row per value of the dimension. calls, tokens and cost_usd add up the calls with that value; requests
-- counts traces by their first call (task type, team, day) or by the call that answered (model, tier), so requests
-- add up to the traces in scope on every dimension.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

-- two steps: group the daily rollup rows on the one key the dimension needs, then make the key text per group
keyed_calls as (
    select
        case when dimension = 'day' then day end as day,
        case dimension
            when 'task_type' then task_type
            when 'model' then coalesce(served_model_name, '(unattributed)')
            when 'tier' then served_tier
            when 'team' then coalesce(team, '(none)')
        end as dimension_text,
        calls,
        input_tokens,
        output_tokens,
        cost_usd,
        is_priced
    from call_groups
),

calls_by_key as (
    select * from int_call_cost_totals('keyed_calls')
),

call_totals as (
    select
        coalesce(dimension_text, strftime(day, '%Y-%m-%d')) as dimension_value,
        * exclude (day, dimension_text)
    from calls_by_key
),

traces_by_key as (
    select
        case when dimension = 'day' then day end as day,
        case dimension
            when 'task_type' then task_type
            when 'model' then coalesce(final_served_model, '(unattributed)')
            when 'tier' then final_served_tier
            when 'team' then coalesce(team, '(none)')
        end as dimension_text,
        sum(requests)::bigint as requests
    from trace_groups
    group by all
),

trace_totals as (
    select
        coalesce(dimension_text, strftime(day, '%Y-%m-%d')) as dimension_value,
        requests
    from traces_by_key
),

grouped as (
    select
        dimension_value,
        coalesce(trace_totals.requests, 0) as requests,
        coalesce(call_totals.calls, 0) as calls,
        coalesce(call_totals.input_tokens, 0) as input_tokens,
        coalesce(call_totals.output_tokens, 0) as output_tokens,
        call_totals.cost_usd,
        coalesce(call_totals.unpriced_calls, 0) as unpriced_calls
    from call_totals
    full join trace_totals using (dimension_value)
    order by
        case when dimension = 'day' then dimension_value end,
        cost_usd desc nulls last,
        dimension_value
)

select * from grouped
