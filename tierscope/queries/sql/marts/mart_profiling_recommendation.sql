-- The recommended tier per task type from the latest profiling run (the article's rule, thresholds from routing.yaml):
-- the cheapest tier whose pass rate is >= route_at ("route") or >= monitor_at ("route with monitoring"); a task with
-- high blast radius and no quality gate is kept off the first tier; when no tier qualifies, the top profiled tier.
-- grain: one row per profiled task type. reason lists each tier's evidence in order.
with rates as (
    select * from mart_profiling_pass_rates where tier_rank is not null
),

tasks as (
    select * from cfg_tasks
),

settings as (
    select * from cfg_settings cross join cfg_profiling
),

judged as (
    select
        rates.*,
        coalesce(tasks.tier, settings.default_tier) as current_tier,
        coalesce(tasks.blast_radius, 'medium') as blast_radius,
        tasks.quality_gate,
        coalesce(tasks.blast_radius, 'medium') = 'high' and tasks.quality_gate is null and rates.tier_rank = 1
            as is_kept_off_by_blast_radius,
        case when rates.pass_rate >= settings.profiling_route_at then 'route'
             when rates.pass_rate >= settings.profiling_monitor_at then 'route with monitoring'
        end as decision,
        settings.profiling_route_at,
        settings.profiling_monitor_at
    from rates
    cross join settings
    left join tasks using (task_type)
),

explained as (
    select
        *,
        tier || ' ' || printf('%.1f%%', 100 * pass_rate) || ' (n=' || prompts || ')'
        || case when is_kept_off_by_blast_radius then ': skipped, high blast radius without a quality gate'
                when decision = 'route' then ' >= ' || printf('%.0f%%', 100 * profiling_route_at)
                when decision is not null then ' >= ' || printf('%.0f%%', 100 * profiling_monitor_at)
                else ' < ' || printf('%.0f%%', 100 * profiling_monitor_at) end as evidence
    from judged
),

chosen as (
    select
        task_type,
        any_value(current_tier) as current_tier,
        any_value(blast_radius) as blast_radius,
        any_value(quality_gate) as quality_gate,
        min(tier_rank) filter (where decision is not null and not is_kept_off_by_blast_radius) as qualifying_rank,
        max(tier_rank) as top_rank
    from explained
    group by task_type
),

recommended as (
    select
        chosen.task_type,
        chosen.current_tier,
        explained.tier as recommended_tier,
        explained.tier_rank as recommended_tier_rank,
        coalesce(explained.decision, 'no tier meets the bar') as decision,
        explained.pass_rate,
        explained.pass_rate_low,
        explained.pass_rate_high,
        explained.prompts,
        chosen.blast_radius,
        chosen.quality_gate,
        (
            select string_agg(steps.evidence, '; ' order by steps.tier_rank)
            from explained as steps
            where steps.task_type = chosen.task_type
              and steps.tier_rank <= coalesce(chosen.qualifying_rank, chosen.top_rank)
        ) as reason
    from chosen
    join explained
        on explained.task_type = chosen.task_type
        and explained.tier_rank = coalesce(chosen.qualifying_rank, chosen.top_rank)
    order by chosen.task_type
)

select * from recommended
