-- Monthly (30-day) cost projection per task type under three tier maps: all traffic on the top tier, the current
-- routing map, and the profiling recommendation. Requests per day come from routing.yaml (requests_per_day), else
-- from the traffic in the database. The cost of a request on a tier is the profiling run's mean tokens on that tier
-- at the current standard price of the tier's first model, plus (1 - pass rate) x the cost on the next tier up.
-- grain: one row per task type x tier map. USD.
with rates as (
    select * from mart_profiling_pass_rates where tier_rank is not null
),

recommendation as (
    select * from mart_profiling_recommendation
),

tasks as (
    select * from cfg_tasks
),

settings as (
    select * from cfg_settings
),

tier_models as (
    select * from stg_tier_models where model_rank = 1
),

current_prices as (
    select *
    from stg_prices
    where price_variant = 'standard' and not is_long_context and effective_from <= current_timestamp::timestamp
    qualify row_number() over (partition by model order by effective_from desc) = 1
),

-- requests per UTC day with traffic for the task (the daily trace rollup): the monthly basis of queries/scenario
observed_traffic as (
    select
        task_type,
        sum(requests) / count(distinct day) as requests_per_day
    from trace_rollup
    group by task_type
    having sum(requests) > 0
),

request_cost as (
    select
        rates.task_type,
        rates.tier,
        rates.tier_rank,
        rates.pass_rate,
        tier_models.model,
        (rates.avg_input_tokens * current_prices.input_usd_per_1m_tokens
            + rates.avg_output_tokens * current_prices.output_usd_per_1m_tokens) / 1e6 as attempt_cost_usd
    from rates
    join tier_models on tier_models.tier = rates.tier
    left join current_prices on current_prices.model = tier_models.model
),

with_escalation as (
    select
        this_tier.*,
        (1 - this_tier.pass_rate) * next_tier.attempt_cost_usd as expected_escalation_cost_usd,
        case when next_tier.tier is not null then 1 - this_tier.pass_rate else 0 end as expected_escalation_rate,
        this_tier.attempt_cost_usd + coalesce((1 - this_tier.pass_rate) * next_tier.attempt_cost_usd, 0)
            as cost_per_request_usd
    from request_cost as this_tier
    left join request_cost as next_tier
        on next_tier.task_type = this_tier.task_type and next_tier.tier_rank = this_tier.tier_rank + 1
),

maps as (
    select
        recommendation.task_type,
        map_name,
        case map_name
            when 'all_frontier' then (select tier from tier_models order by tier_rank desc limit 1)
            when 'current' then recommendation.current_tier
            when 'recommended' then recommendation.recommended_tier
        end as tier
    from recommendation
    cross join (values ('all_frontier'), ('current'), ('recommended')) as map_names(map_name)
),

projected as (
    select
        maps.task_type,
        maps.map_name,
        maps.tier,
        with_escalation.model,
        coalesce(tasks.requests_per_day, observed_traffic.requests_per_day) as requests_per_day,
        case when tasks.requests_per_day is not null then 'routing.yaml'
             when observed_traffic.requests_per_day is not null then 'observed' end as traffic_source,
        with_escalation.pass_rate,
        with_escalation.expected_escalation_rate,
        with_escalation.cost_per_request_usd,
        30 * coalesce(tasks.requests_per_day, observed_traffic.requests_per_day) * with_escalation.cost_per_request_usd
            as monthly_cost_usd
    from maps
    left join with_escalation on with_escalation.task_type = maps.task_type and with_escalation.tier = maps.tier
    left join tasks on tasks.task_type = maps.task_type
    left join observed_traffic on observed_traffic.task_type = maps.task_type
    order by maps.task_type, maps.map_name
)

select * from projected
