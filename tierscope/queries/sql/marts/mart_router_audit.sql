-- params: start_at, end_at, task_types, teams, providers
-- The audit of a content-based router (docs/router.md): per task type x router tier, over the calls that carry a
-- router decision. grain: one row per task type x router tier (NULL when the decision named no tier).
-- cost_usd is what the calls cost at tierscope's price book plus the classifier's own cost, added to the request it
-- routed (routing is not free). baseline_cost_usd prices each call's own tokens (cached and cache-write tokens as
-- such, its price variant, its long-context band) at the router's savings_baseline_model in effect when it started.
-- net_savings_usd = baseline_cost_usd - cost_usd over the calls both of which are priced (unpriced_calls counts the
-- others); claimed_savings_usd adds up what the router itself logged (autorouter_savings; a call that logged none
-- adds 0). A call is at risk when its task type's profiling pass rate on the tier that served it is under the
-- routing file's monitor floor; map_cost_usd is those calls priced at the first model of their task type's tier
-- under the routing map (no classifier), risk_cost_usd what they cost as routed.
with calls as (
    select *
    from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
    where router_name is not null
),

names as (
    select * from stg_model_names
),

tier_models as (
    select * from stg_tier_models
),

prices as (
    select * from stg_prices
),

pass_rates as (
    select * from mart_profiling_pass_rates
),

settings as (
    select * from cfg_profiling
),

judged as (
    select
        calls.*,
        calls.cost_usd + coalesce(calls.classifier_cost_usd, 0) as routed_cost_usd,
        pass_rates.pass_rate,
        coalesce(pass_rates.pass_rate < settings.profiling_monitor_at, false) as is_risk
    from calls
    cross join settings
    left join pass_rates on pass_rates.task_type = calls.task_type and pass_rates.tier = calls.served_tier
),

-- each call priced twice at another model: its router's baseline, and (for a call at risk) its task's map tier model
targets as (
    select request_id, 'baseline' as target, coalesce(names.model, model_key(savings_baseline_model)) as model
    from judged
    left join names on names.name_key = model_key(judged.savings_baseline_model)
    where savings_baseline_model is not null
    union all
    select request_id, 'map' as target, tier_models.model
    from judged
    join tier_models on tier_models.tier = judged.default_tier and tier_models.model_rank = 1
    where is_risk
),

repriced as (
    select
        judged.request_id,
        targets.target,
        case when judged.input_tokens = 0 and judged.output_tokens = 0 then 0.0
             else token_cost_usd(judged, prices) end as cost_usd
    from targets
    join judged using (request_id)
    left join prices
        on prices.model = targets.model
        and prices.price_variant = judged.price_variant
        and judged.started_at >= prices.effective_from
        and judged.started_at < prices.effective_to
        and prices.is_long_context = coalesce(judged.input_tokens > prices.long_context_above_tokens, false)
),

per_call as (
    select
        judged.*,
        max(repriced.cost_usd) filter (where repriced.target = 'baseline') as baseline_cost_usd,
        max(repriced.cost_usd) filter (where repriced.target = 'map') as map_cost_usd
    from judged
    left join repriced using (request_id)
    group by all
),

grouped as (
    select
        task_type,
        router_tier,
        count(*)::bigint as calls,
        sum(routed_cost_usd) filter (where baseline_cost_usd is not null) as cost_usd,
        coalesce(sum(classifier_cost_usd), 0.0) as classifier_cost_usd,
        sum(baseline_cost_usd) filter (where routed_cost_usd is not null) as baseline_cost_usd,
        coalesce(sum(autorouter_savings_usd), 0.0) as claimed_savings_usd,
        count(*) filter (where routed_cost_usd is null or baseline_cost_usd is null)::bigint as unpriced_calls,
        avg(is_escalated::integer) as escalation_rate,
        avg((coalesce(is_router_escalated, false) or coalesce(is_router_context_escalated, false))::integer)
            as router_escalation_rate,
        string_agg(distinct served_tier, ', ' order by served_tier) as served_tiers,
        min(pass_rate) as min_pass_rate,
        count(*) filter (where is_risk)::bigint as risk_calls,
        string_agg(distinct default_tier, ', ' order by default_tier) filter (where is_risk) as map_tier,
        sum(routed_cost_usd) filter (where is_risk) as risk_cost_usd,
        sum(map_cost_usd) filter (where is_risk) as map_cost_usd
    from per_call
    group by all
),

audited as (
    select
        task_type,
        router_tier,
        calls,
        coalesce(cost_usd, 0.0) as cost_usd,
        classifier_cost_usd,
        coalesce(baseline_cost_usd, 0.0) as baseline_cost_usd,
        claimed_savings_usd,
        coalesce(baseline_cost_usd, 0.0) - coalesce(cost_usd, 0.0) as net_savings_usd,
        unpriced_calls,
        escalation_rate,
        router_escalation_rate,
        served_tiers,
        min_pass_rate,
        risk_calls > 0 as is_risk,
        risk_calls,
        map_tier,
        risk_cost_usd,
        map_cost_usd
    from grouped
    order by task_type, router_tier nulls last
)

select * from audited
