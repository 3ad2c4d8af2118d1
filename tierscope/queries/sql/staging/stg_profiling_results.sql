-- The latest profiling run's results with each row's tier resolved (given, else the tier of its model).
-- grain: one row per prompt x tier of the latest run.
with runs as (
    select * from profiling_runs
),

results as (
    select * from profiling_results
),

tier_models as (
    select * from stg_tier_models
),

names as (
    select * from stg_model_names
),

latest as (
    select results.*
    from results
    where results.run_id = (select max(run_id) from runs)
),

resolved as (
    select
        latest.*,
        coalesce(latest.tier, tier_models.tier, 'untiered') as resolved_tier
    from latest
    left join names on names.name_key = model_key(latest.model)
    left join tier_models on tier_models.model = coalesce(names.model, model_key(latest.model))
)

select * from resolved
