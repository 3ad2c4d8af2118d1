-- params: start_at, end_at, task_types, teams, providers
-- Traffic that did not end where it asked to go: per trace, the model (or tier alias) its first call requested and
-- the model that served its last call. A trace counts when it is escalated (DESIGN §5), its final served tier is not
-- the requested tier, or it asked for a specific model and another one answered (a fallback). Traces whose request
-- names no model are left out. grain: one row per requested x served model; cost_usd sums priced calls.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

traces as (
    select * from int_traces_in_scope(start_at, end_at, task_types, teams, providers)
),

tier_aliases as (
    select distinct tier from cfg_tiers
),

multi_call_traces as (
    select trace_id from traces where calls > 1
),

-- Only calls that can belong to a trace that moved (the trace decides below): every call of a multi-call trace,
-- and a lone call that is marked, left its requested or default tier, or was answered by another model than the
-- one it named. Grouping these few instead of every call keeps the mart fast at millions of calls.
candidate_calls as (
    select trace_id, started_at, requested_model_name, served_model_name
    from calls
    where trace_id in (select trace_id from multi_call_traces)
       or is_escalated
       or served_tier <> requested_tier
       or coalesce(served_tier_rank > default_tier_rank, false)
       or (requested_model_name not in (select tier from tier_aliases)
           and requested_model_name <> coalesce(served_model_name, '(unattributed)'))
),

endpoints as (
    select
        trace_id,
        arg_min(requested_model_name, started_at) as requested_model,
        arg_max(coalesce(served_model_name, '(unattributed)'), started_at) as served_model
    from candidate_calls
    group by trace_id
),

joined as (
    select
        endpoints.requested_model,
        traces.requested_tier,
        endpoints.served_model,
        traces.final_served_tier as served_tier,
        traces.is_escalated,
        traces.cost_usd,
        endpoints.requested_model in (select tier from tier_aliases) as is_tier_alias
    from traces
    join endpoints using (trace_id)
    where endpoints.requested_model is not null
),

moved as (
    select *
    from joined
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
        count(*) as requests,
        count(*) filter (where is_escalated) as escalated_requests,
        sum(cost_usd) as cost_usd
    from moved
    group by all
    order by requests desc, requested_model, served_model
)

select * from flows
