-- params: start_at, end_at, task_types, teams, providers
-- Traffic that did not end where it asked to go: per trace, the model (or tier alias) its first call requested and
-- the model that served its last call. A trace counts when it is escalated (docs/concepts.md), its final served tier is not
-- the requested tier, or it asked for a specific model and another one answered (a fallback). Traces whose request
-- names no model are left out. grain: one row per requested x served model; cost_usd sums priced calls. Read from
-- the daily trace rollup.
with trace_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

tier_aliases as (
    select distinct tier from cfg_tiers
),

endpoints as (
    select
        requested_model,
        requested_tier,
        coalesce(final_served_model, '(unattributed)') as served_model,
        final_served_tier as served_tier,
        is_escalated,
        requests,
        cost_usd,
        requested_model in (select tier from tier_aliases) as is_tier_alias
    from trace_groups
    where requested_model is not null
),

moved as (
    select *
    from endpoints
    where is_escalated
       or served_tier <> requested_tier
       or (not is_tier_alias and served_model <> requested_model)
),

flows as (
    select
        requested_model,
        requested_tier,
        served_model,
        served_tier,
        sum(requests)::bigint as requests,
        coalesce(sum(requests) filter (where is_escalated), 0)::bigint as escalated_requests,
        sum(cost_usd) as cost_usd
    from moved
    group by all
    having sum(requests) > 0
    order by requests desc, requested_model, served_model
)

select * from flows
