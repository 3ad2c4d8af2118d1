-- params: start_at, end_at, task_types, teams, providers
-- Cost by the tier a content-based router chose (router_tier; NULL for calls that carry no router decision, such as
-- a fallback LiteLLM logs without one, or an LLM classifier's own call), in the shape of mart_cost_by. grain: one row
-- per router tier. requests counts each trace in scope once, by the router tier of its first call that carries a
-- decision (NULL for a trace no router decided), so requests add up to the traces in scope.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

call_totals as (
    select
        router_tier as dimension_value,
        count(*)::bigint as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced)::bigint as unpriced_calls
    from calls
    group by all
),

first_calls as (
    select
        trace_id,
        arg_min(router_tier, (started_at, request_id)) filter (where router_name is not null) as dimension_value
    from calls
    group by trace_id
),

trace_totals as (
    select dimension_value, count(*)::bigint as requests
    from first_calls
    group by all
),

grouped as (
    select
        call_totals.dimension_value,
        coalesce(trace_totals.requests, 0) as requests,
        call_totals.calls,
        call_totals.input_tokens,
        call_totals.output_tokens,
        call_totals.cost_usd,
        call_totals.unpriced_calls
    from call_totals
    left join trace_totals on trace_totals.dimension_value is not distinct from call_totals.dimension_value
    order by cost_usd desc nulls last, dimension_value nulls last
)

select * from grouped
