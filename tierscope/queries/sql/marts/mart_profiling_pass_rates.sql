-- Pass rate per task type x tier in the latest profiling run, with its 95% Wilson score interval.
-- grain: one row per task type x tier. Token and latency columns are means per prompt.
with results as (
    select * from stg_profiling_results
),

tiers as (
    select distinct tier, tier_rank from cfg_tiers
),

counted as (
    select
        task_type,
        resolved_tier as tier,
        count(*) as prompts,
        count(*) filter (where passed) as passed_prompts,
        avg(input_tokens) as avg_input_tokens,
        avg(output_tokens) as avg_output_tokens,
        avg(latency_ms) as avg_latency_ms,
        avg(score) as avg_score
    from results
    group by all
),

rated as (
    select
        counted.*,
        tiers.tier_rank,
        passed_prompts / prompts as pass_rate,
        1.959963984540054 as z
    from counted
    left join tiers using (tier)
),

wilson as (
    select
        * exclude (z),
        (pass_rate + z * z / (2 * prompts)) / (1 + z * z / prompts)
            - z * sqrt(pass_rate * (1 - pass_rate) / prompts + z * z / (4 * prompts * prompts)) / (1 + z * z / prompts)
            as pass_rate_low,
        (pass_rate + z * z / (2 * prompts)) / (1 + z * z / prompts)
            + z * sqrt(pass_rate * (1 - pass_rate) / prompts + z * z / (4 * prompts * prompts)) / (1 + z * z / prompts)
            as pass_rate_high
    from rated
    order by task_type, tier_rank nulls last, tier
)

select * from wilson
