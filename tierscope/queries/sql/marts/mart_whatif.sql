-- params: start_at, end_at, task_types, teams, providers
-- What-if: the traffic in scope repriced under each scenario tier map (registered as scenario_tiers,
-- scenario_tasks and scenario_settings by queries/scenario.py). grain: one row per scenario x task type. USD.
-- It reads the simulator's daily trace rollup (int_trace_groups_in_scope with simulator), whose groups hold traces
-- alike in everything the simulation looks at: day, task, the tiers and models that served them, the answer's price
-- variant and input band, with the answer's token sums (a cost is linear in tokens at one price, so a group is
-- priced once).
-- Per trace group: the task's tier under the scenario. A trace the scenario routes as it was served (same tier, a
-- model the tier lists) keeps its actual cost, escalations included. For the others: the context guard moves an answer whose input exceeds
-- context_guard_ratio x the window of the tier's model to the next tier that fits (judged on the answer's input band,
-- exact for the guard limits of routing.yaml's ratio, see stg_input_bands; counted; when none fits the trace
-- keeps its actual cost); the answer's tokens (cached, cache-write, reasoning kept) at that model's price in effect
-- then; and, when the scenario tier is cheaper than the tier that served the trace, the expected escalation
-- (1 - pass rate) x the cost on the next tier. The pass rate comes from profiling, else from the escalation rate
-- observed for the task on that tier, else there is no evidence (counted in traces_without_evidence).
-- Traces with an unpriced call, or sent to an unpriced model, are left out of every cost and counted.
-- The current routing map (cfg_*) is simulated alongside every scenario, under the reserved name '' (a scenario
-- cannot take it), so that each trace group is priced three ways: as served (baseline_cost_usd), under the current
-- map (current_map_cost_usd) and under the scenario (scenario_cost_usd). repricing_usd = baseline - current map is
-- what the current map itself changes (traces served outside their task's tier); map_savings_usd = current map -
-- scenario is what the scenario's edits save, summed group by group, so an unedited map saves exactly 0.
-- period_days is the number of UTC days with traffic in scope: the monthly basis (queries/scenario.per_month).
with scoped_groups as (
    select * from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers, simulator := true)
),

-- the scope's groups folded to what the simulation looks at (team, feature, provider... set aside), numbered so
-- that a group's price under a scenario can be set against its price under the current map
trace_groups as materialized (
    select row_number() over () as group_id, *
    from int_simulator_groups('scoped_groups', false)
    where requests > 0
),

traffic_days as (
    select count(distinct day) as days_with_traffic from trace_groups
),

maps_tiers as (
    select scenario, tier, tier_rank, model, model_rank from scenario_tiers
    union all
    select '' as scenario, tier, tier_rank, model, model_rank from cfg_tiers
),

maps_tasks as (
    select scenario, task_type, tier from scenario_tasks
    union all
    select '' as scenario, task_type, tier from cfg_tasks
),

maps_settings as (
    select scenario, default_tier, context_guard_ratio from scenario_settings
    union all
    select '' as scenario, default_tier, context_guard_ratio from cfg_settings
),

scenario_models as (
    select * from maps_tiers
),

names as (
    select * from stg_model_names
),

models as (
    select * from cfg_models
),

prices as (
    select * from stg_prices
),

current_tasks as (
    select * from cfg_tasks
),

current_settings as (
    select * from cfg_settings
),

profiled_pass_rates as (
    select task_type, tier, pass_rate from mart_profiling_pass_rates
),

observed_pass_rates as (
    select
        first_served_tier as tier,
        task_type,
        1 - coalesce(sum(requests) filter (where is_escalated), 0) / sum(requests) as pass_rate
    from trace_groups
    group by all
    having sum(requests) > 0
),

canonical_models as (
    select
        scenario_models.*,
        coalesce(names.model, model_key(scenario_models.model)) as canonical_model
    from scenario_models
    left join names on names.name_key = model_key(scenario_models.model)
),

ladder_steps as (
    select
        canonical_models.scenario,
        canonical_models.tier,
        canonical_models.tier_rank,
        arg_min(canonical_models.canonical_model, canonical_models.model_rank) as model,
        list(canonical_models.canonical_model) as tier_models,
        any_value(maps_settings.context_guard_ratio) * arg_min(models.context_window, canonical_models.model_rank)
            as guard_limit_tokens
    from canonical_models
    join maps_settings using (scenario)
    left join models on models.model = canonical_models.canonical_model
    group by all
),

ladders as (
    select
        scenario,
        list(
            {'tier': tier, 'tier_rank': tier_rank, 'model': model, 'tier_models': tier_models,
             'guard_limit_tokens': guard_limit_tokens}
            order by tier_rank
        ) as ladder
    from ladder_steps
    group by scenario
),

targeted as (
    select
        trace_groups.*,
        {'input_tokens': answer_input_tokens, 'cached_input_tokens': answer_cached_input_tokens,
         'cache_write_tokens': answer_cache_write_tokens, 'output_tokens': answer_output_tokens,
         'reasoning_tokens': answer_reasoning_tokens} as answer_tokens,
        maps_settings.scenario,
        coalesce(maps_tasks.tier, maps_settings.default_tier) as scenario_tier,
        coalesce(current_tasks.tier, current_settings.default_tier) as baseline_tier
    from trace_groups
    cross join maps_settings
    cross join current_settings
    left join maps_tasks
        on maps_tasks.scenario = maps_settings.scenario and maps_tasks.task_type = trace_groups.task_type
    left join current_tasks on current_tasks.task_type = trace_groups.task_type
),

-- where an answer goes depends only on the scenario, its tier and the answer's input band: decided once per
-- combination (a few hundred), not per trace group
placement_keys as (
    select distinct scenario, scenario_tier, answer_input_band_upper from targeted
),

placements as (
    select
        placement_keys.*,
        list_filter(ladder, lambda step: step.tier = placement_keys.scenario_tier)[1].tier_rank as scenario_tier_rank,
        list_filter(
            ladder,
            lambda step: step.tier_rank
                    >= list_filter(ladder, lambda wanted: wanted.tier = placement_keys.scenario_tier)[1].tier_rank
                and (step.guard_limit_tokens is null
                     or placement_keys.answer_input_band_upper <= step.guard_limit_tokens)
        )[1] as placement,
        ladder
    from placement_keys
    join ladders using (scenario)
),

stepped as (
    select
        placements.* exclude (ladder),
        list_filter(ladder, lambda step: step.tier_rank = placements.placement.tier_rank + 1)[1] as next_step
    from placements
),

with_next as (
    select
        targeted.*,
        stepped.scenario_tier_rank,
        stepped.placement,
        stepped.next_step,
        stepped.placement.tier_rank < targeted.final_served_tier_rank as is_cheaper_than_served,
        stepped.placement.tier = targeted.first_served_tier
            and list_contains(stepped.placement.tier_models, targeted.first_served_model) as is_unchanged
    from targeted
    join stepped
        on stepped.scenario = targeted.scenario
        and stepped.scenario_tier = targeted.scenario_tier
        and stepped.answer_input_band_upper is not distinct from targeted.answer_input_band_upper
),

priced as (
    select
        with_next.*,
        answer_prices.input_usd_per_1m_tokens is not null as is_scenario_priced,
        token_cost_usd(answer_tokens, answer_prices) as answer_cost_usd,
        token_cost_usd(answer_tokens, next_prices) as next_tier_cost_usd,
        coalesce(profiled_pass_rates.pass_rate, observed_pass_rates.pass_rate) as pass_rate
    from with_next
    left join prices as answer_prices
        on answer_prices.model = with_next.placement.model
        and answer_prices.price_variant = with_next.answer_price_variant
        and with_next.day >= answer_prices.effective_from
        and with_next.day < answer_prices.effective_to
        and answer_prices.is_long_context
            = coalesce(with_next.answer_input_band_lower >= answer_prices.long_context_above_tokens, false)
    left join prices as next_prices
        on next_prices.model = with_next.next_step.model
        and next_prices.price_variant = with_next.answer_price_variant
        and with_next.day >= next_prices.effective_from
        and with_next.day < next_prices.effective_to
        and next_prices.is_long_context
            = coalesce(with_next.answer_input_band_lower >= next_prices.long_context_above_tokens, false)
    left join profiled_pass_rates
        on profiled_pass_rates.task_type = with_next.task_type
        and profiled_pass_rates.tier = with_next.placement.tier
    left join observed_pass_rates
        on observed_pass_rates.task_type = with_next.task_type
        and observed_pass_rates.tier = with_next.placement.tier
),

per_group as (
    select
        group_id,
        scenario,
        task_type,
        baseline_tier,
        scenario_tier,
        day,
        requests,
        not has_unpriced_call and (placement is null or is_unchanged or is_scenario_priced) as is_comparable,
        cost_usd as baseline_cost_usd,
        case
            when placement is null or is_unchanged then cost_usd
            else answer_cost_usd + case when is_cheaper_than_served and next_step is not null
                                        then coalesce((1 - pass_rate) * next_tier_cost_usd, 0) else 0 end
        end as scenario_cost_usd,
        placement is null or placement.tier_rank > scenario_tier_rank as is_guarded,
        case when not is_unchanged and is_cheaper_than_served and next_step is not null
             then requests * coalesce(1 - pass_rate, 0) else 0 end as expected_escalations,
        not is_unchanged and is_cheaper_than_served and next_step is not null and pass_rate is null
            as has_no_evidence
    from priced
),

-- each scenario's group beside the same group under the current map
paired as (
    select
        edited.*,
        current_map.scenario_cost_usd as current_map_cost_usd,
        edited.is_comparable and current_map.is_comparable as is_priced_both_ways
    from per_group as edited
    join per_group as current_map on current_map.group_id = edited.group_id and current_map.scenario = ''
    where edited.scenario <> ''
),

by_task as (
    select
        scenario,
        task_type,
        any_value(baseline_tier) as baseline_tier,
        any_value(scenario_tier) as scenario_tier,
        sum(requests)::bigint as requests,
        sum(baseline_cost_usd) filter (where is_priced_both_ways) as baseline_cost_usd,
        sum(current_map_cost_usd) filter (where is_priced_both_ways) as current_map_cost_usd,
        sum(scenario_cost_usd) filter (where is_priced_both_ways) as scenario_cost_usd,
        sum(baseline_cost_usd - current_map_cost_usd) filter (where is_priced_both_ways)
            as repricing_usd,
        sum(current_map_cost_usd - scenario_cost_usd) filter (where is_priced_both_ways)
            as map_savings_usd,
        coalesce(sum(requests) filter (where is_guarded), 0)::bigint as guarded_calls,
        coalesce(sum(expected_escalations), 0) as expected_escalations,
        coalesce(sum(requests) filter (where has_no_evidence), 0)::bigint as traces_without_evidence,
        coalesce(sum(requests) filter (where not is_priced_both_ways), 0)::bigint as unpriced_traces
    from paired
    group by scenario, task_type
    having sum(requests) > 0
),

final as (
    select
        by_task.*,
        baseline_cost_usd - scenario_cost_usd as savings_usd,
        traffic_days.days_with_traffic::double as period_days
    from by_task
    cross join traffic_days
    order by scenario, map_savings_usd desc nulls last, savings_usd desc nulls last, task_type
)

select * from final
