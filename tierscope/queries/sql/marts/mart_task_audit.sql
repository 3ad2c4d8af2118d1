-- params: start_at, end_at, task_types, teams, providers
-- The task profile audit: every task type in routing.yaml or in the logs, with its tier, quality oracle, blast
-- radius, expected output tokens and baseline escalation rate, and the warnings a reviewer should see.
-- grain: one row per task type. warnings is a list of sentences (empty when the task is in order).
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
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

models as (
    select * from cfg_models
),

observed as (
    select
        task_type,
        sum(calls)::bigint as calls,
        sum(cost_usd) as cost_usd,
        sum(output_cost_usd) as output_cost_usd,
        sum(output_tokens) / sum(calls) as avg_output_tokens,
        sum(calls_over_guard)::bigint as calls_over_guard
    from call_groups
    group by task_type
),

task_types as (
    select task_type from tasks
    union
    select task_type from observed
),

profiled as (
    select
        task_types.task_type,
        tasks.task_type is not null as is_in_audit,
        coalesce(tasks.tier, settings.default_tier) as tier,
        tasks.quality_gate,
        coalesce(tasks.blast_radius, 'medium') as blast_radius,
        tasks.expected_output_tokens,
        tasks.baseline_escalation_rate,
        tasks.requests_per_day,
        coalesce(observed.calls, 0) as calls,
        observed.cost_usd,
        observed.output_cost_usd / nullif(observed.cost_usd, 0) as output_cost_share,
        observed.avg_output_tokens,
        coalesce(observed.calls_over_guard, 0) as calls_over_guard,
        settings.context_guard_ratio,
        settings.context_guard_ratio * models.context_window as guard_limit_tokens,
        tier_models.model as tier_model
    from task_types
    cross join settings
    left join tasks using (task_type)
    left join observed using (task_type)
    left join tier_models on tier_models.tier = coalesce(tasks.tier, settings.default_tier)
    left join models on models.model = tier_models.model
),

first_tier as (
    select tier as first_tier_name from tier_models order by tier_rank limit 1
),

warned as (
    select
        profiled.*,
        list_filter([
            case when not is_in_audit then 'seen in the logs but missing from the audit (routing.yaml tasks)' end,
            case when blast_radius = 'high' and profiled.tier = first_tier_name and quality_gate is null
                 then 'high blast radius on the first tier without a quality gate' end,
            case when output_cost_share > 0.5
                 then 'output-heavy: output tokens are ' || printf('%.0f%%', 100 * output_cost_share)
                      || ' of its cost; route by expected output length too' end,
            case when calls_over_guard > 0
                 then calls_over_guard || case when calls_over_guard = 1 then ' call exceeds' else ' calls exceed' end
                      || ' the context guard ('
                      || printf('%.0f', 100 * context_guard_ratio) || '% of the window) of ' || tier_model
                      || ' or of the model that served them' end,
            case when is_in_audit and quality_gate is null then 'no quality oracle declared' end
        ], lambda warning: warning is not null) as warnings
    from profiled
    cross join first_tier
),

ordered as (
    select * from warned order by len(warnings) desc, cost_usd desc nulls last, task_type
)

select * from ordered
