-- Which tier each model belongs to, keyed by the model's canonical name. grain: one row per model.
-- tier_rank 1 is the cheapest tier; model_rank 1 is the model a tier map sends traffic to.
with tiers as (
    select * from cfg_tiers
),

names as (
    select * from stg_model_names
),

canonical as (
    select
        coalesce(names.model, model_key(tiers.model)) as model,
        tiers.tier,
        tiers.tier_rank,
        tiers.model_rank
    from tiers
    left join names on names.name_key = model_key(tiers.model)
)

select * from canonical
