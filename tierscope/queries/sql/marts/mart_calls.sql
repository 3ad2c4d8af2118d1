-- params: filters, order_by, after_value, after_id, row_limit, start_at, end_at, task_types, teams, providers
-- The calls behind a number, one page at a time (the explorer and `tierscope calls`). grain: one row per call.
-- filters: a struct of lists (NULL = no restriction): users, models (canonical requested or served model), trace_ids,
-- served_tiers, requested_tiers, statuses, escalated (the call's own mark). order_by: newest, oldest, costliest or
-- slowest; rows come in descending sort_value then request_id, and a page continues after (after_value, after_id),
-- the last row of the page before (keyset pagination: no offset, no count). The time range should be narrow: the
-- caller walks it in day windows for the two time orders, so DuckDB's zone maps on started_at skip the rest.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

wanted as (
    select unnest(filters::struct(
        users varchar[], models varchar[], trace_ids varchar[], served_tiers varchar[], requested_tiers varchar[],
        statuses varchar[], escalated boolean[]
    ))
),

matching as (
    select
        calls.*,
        case order_by
            when 'costliest' then coalesce(cost_usd, -1.0)
            when 'slowest' then coalesce(latency_ms, -1.0)
            when 'oldest' then -epoch_us(started_at)::double
            else epoch_us(started_at)::double
        end as sort_value
    from calls
    cross join wanted
    where (wanted.users is null or list_contains(wanted.users, coalesce(user_id, '(none)')))
      and (wanted.models is null
           or list_contains(wanted.models, served_model_name)
           or list_contains(wanted.models, requested_model_name))
      and (wanted.trace_ids is null or list_contains(wanted.trace_ids, trace_id))
      and (wanted.served_tiers is null or list_contains(wanted.served_tiers, served_tier))
      and (wanted.requested_tiers is null or list_contains(wanted.requested_tiers, requested_tier))
      and (wanted.statuses is null or list_contains(wanted.statuses, status))
      and (wanted.escalated is null or list_contains(wanted.escalated, is_escalated))
),

page as (
    select
        started_at,
        task_type,
        team,
        feature,
        user_id,
        provider,
        requested_model_name as requested_model,
        served_model_name as served_model,
        requested_tier,
        served_tier,
        input_tokens,
        cached_input_tokens,
        cache_write_tokens,
        output_tokens,
        reasoning_tokens,
        cost_usd,
        latency_ms,
        status,
        is_escalated as escalated,
        trace_id,
        request_id,
        sort_value
    from matching
    where after_value is null
       or sort_value < after_value
       or (sort_value = after_value and request_id < after_id)
    order by sort_value desc, request_id desc
    limit row_limit
)

select * from page
