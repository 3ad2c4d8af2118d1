-- Every name a model is known by (its key, aliases, provider/model), as the normalised lookup key.
-- grain: one row per name_key. model_key() strips a provider prefix and a date suffix (see macros.sql).
with names as (
    select model, model as model_name from cfg_models
    union all
    select model, alias as model_name from cfg_model_aliases
),

keyed as (
    select distinct model_key(model_name) as name_key, model from names
)

select * from keyed
