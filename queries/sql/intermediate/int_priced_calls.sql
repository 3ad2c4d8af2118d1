-- Every call with its canonical models, tiers and cost at the price in effect when it started.
-- grain: one row per call. cost_usd is NULL (never 0) when the call's model has no price in effect.
with calls as (
    select * from stg_requests
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

named as (
    select
        calls.*,
        coalesce(served_names.model, model_key(calls.served_model)) as served_model_name,
        coalesce(requested_names.model, model_key(calls.requested_model)) as requested_model_name,
        calls.served_model is null as is_unattributed,
        case when calls.served_model is null then requested_names.model else served_names.model end
            as priced_model
    from calls
    left join names as served_names on served_names.name_key = model_key(calls.served_model)
    left join names as requested_names on requested_names.name_key = model_key(calls.requested_model)
),

tiered as (
    select
        named.*,
        coalesce(served_tiers.tier, 'untiered') as served_tier,
        served_tiers.tier_rank as served_tier_rank,
        coalesce(requested_alias.tier, requested_tiers.tier, 'untiered') as requested_tier,
        coalesce(requested_alias.tier_rank, requested_tiers.tier_rank) as requested_tier_rank,
        coalesce(tasks.tier, settings.default_tier) as default_tier,
        models.context_window
    from named
    cross join settings
    left join tier_models as served_tiers on served_tiers.model = named.served_model_name
    left join tier_models as requested_tiers on requested_tiers.model = named.requested_model_name
    left join tiers as requested_alias on requested_alias.tier = lower(named.requested_model)
    left join tasks on tasks.task_type = named.task_type
    left join models on models.model = named.priced_model
),

priced as (
    select
        tiered.*,
        default_tiers.tier_rank as default_tier_rank,
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
    left join tiers as default_tiers on default_tiers.tier = tiered.default_tier
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
        (
            uncached_input_tokens * input_usd_per_1m_tokens
            + cached_input_tokens * cached_input_usd_per_1m_tokens
            + cache_write_tokens * cache_write_usd_per_1m_tokens
            + visible_output_tokens * output_usd_per_1m_tokens
            + reasoning_tokens * reasoning_usd_per_1m_tokens
        ) / 1e6 as cost_usd,
        (visible_output_tokens * output_usd_per_1m_tokens + reasoning_tokens * reasoning_usd_per_1m_tokens) / 1e6
            as output_cost_usd,
        input_usd_per_1m_tokens is not null as is_priced
    from priced
)

select * from costed
