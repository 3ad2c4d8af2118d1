-- Every call with its canonical models, tiers and cost at the price in effect when it started.
-- grain: one row per call. cost_usd is NULL (never 0) when the call's model has no price in effect.
with calls as (
    select * from stg_calls
),

-- model names read apart from the calls above, so that `calls` has one consumer and a filter on it (the derived
-- refresh's `where ingest_id > ...`) reaches the scan instead of materialising every call first
logged_models as (
    select served_model, requested_model from stg_calls
),

names as (
    select * from stg_model_names
),

tier_models as (
    select * from stg_tier_models
),

tiers as (
    select distinct tier, tier_rank from cfg_tiers
),

prices as (
    select * from stg_prices
),

models as (
    select * from cfg_models
),

tasks as (
    select * from cfg_tasks
),

settings as (
    select * from cfg_settings
),

-- the model each tier sends traffic to (its first), with that model's context guard limit
tier_targets as (
    select tier_models.tier, settings.context_guard_ratio * models.context_window as guard_limit_tokens
    from tier_models
    cross join settings
    left join models on models.model = tier_models.model
    where tier_models.model_rank = 1
),

model_spellings as (
    select served_model as model_spelling from logged_models where served_model is not null
    union
    select requested_model from logged_models where requested_model is not null
),

-- each distinct model string as logged, resolved once (not once per call): canonical name, price book entry, tier
model_lookup as (
    select
        model_spellings.model_spelling,
        coalesce(names.model, model_key(model_spellings.model_spelling)) as model_name,
        names.model as priced_model,
        tier_models.tier,
        tier_models.tier_rank,
        tier_aliases.tier as alias_tier,
        tier_aliases.tier_rank as alias_tier_rank
    from model_spellings
    left join names on names.name_key = model_key(model_spellings.model_spelling)
    left join tier_models on tier_models.model = coalesce(names.model, model_key(model_spellings.model_spelling))
    left join tiers as tier_aliases on tier_aliases.tier = lower(model_spellings.model_spelling)
),

tiered as (
    select
        calls.*,
        served.model_name as served_model_name,
        requested.model_name as requested_model_name,
        calls.served_model is null as is_unattributed,
        case when calls.served_model is null then requested.priced_model else served.priced_model end as priced_model,
        coalesce(served.tier, 'untiered') as served_tier,
        served.tier_rank as served_tier_rank,
        coalesce(requested.alias_tier, requested.tier, 'untiered') as requested_tier,
        coalesce(requested.alias_tier_rank, requested.tier_rank) as requested_tier_rank,
        coalesce(tasks.tier, settings.default_tier) as default_tier
    from calls
    cross join settings
    left join model_lookup as served on served.model_spelling = calls.served_model
    left join model_lookup as requested on requested.model_spelling = calls.requested_model
    left join tasks on tasks.task_type = calls.task_type
),

priced as (
    select
        tiered.*,
        default_tiers.tier_rank as default_tier_rank,
        models.context_window,
        -- over the context guard of its task's tier model or of the model that served it
        coalesce(tiered.input_tokens > least(
            tier_targets.guard_limit_tokens, settings.context_guard_ratio * models.context_window
        ), false) as is_over_guard,
        greatest(tiered.input_tokens - tiered.cached_input_tokens - tiered.cache_write_tokens, 0)
            as uncached_input_tokens,
        greatest(tiered.output_tokens - tiered.reasoning_tokens, 0) as visible_output_tokens,
        prices.is_long_context,
        prices.input_usd_per_1m_tokens,
        prices.output_usd_per_1m_tokens,
        prices.cached_input_usd_per_1m_tokens,
        prices.cache_write_usd_per_1m_tokens,
        prices.reasoning_usd_per_1m_tokens
    from tiered
    cross join settings
    left join tiers as default_tiers on default_tiers.tier = tiered.default_tier
    left join tier_targets on tier_targets.tier = tiered.default_tier
    left join models on models.model = tiered.priced_model
    left join prices
        on prices.model = tiered.priced_model
        and prices.price_variant = tiered.price_variant
        and tiered.started_at >= prices.effective_from
        and tiered.started_at < prices.effective_to
        and prices.is_long_context = coalesce(tiered.input_tokens > prices.long_context_above_tokens, false)
),

costed as (
    select
        priced.*,
        -- a call that used no tokens (a failed call, a batch error line) costs nothing, whatever its model
        case when input_tokens = 0 and output_tokens = 0 then 0.0 else token_cost_usd(priced, priced) end as cost_usd,
        case when input_tokens = 0 and output_tokens = 0 then 0.0 else
            (visible_output_tokens * output_usd_per_1m_tokens + reasoning_tokens * reasoning_usd_per_1m_tokens) / 1e6
        end as output_cost_usd,
        input_usd_per_1m_tokens is not null or (input_tokens = 0 and output_tokens = 0) as is_priced
    from priced
)

select * from costed
