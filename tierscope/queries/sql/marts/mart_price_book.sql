-- The active price book as the pricing layer uses it (stg_prices: fallbacks applied, effective_to resolved), with
-- each model's provider, context window and tier. grain: one row per model x effective period x price variant x
-- context band; USD per 1M tokens. effective_to is NULL for the price in effect now. Not scoped: config, not calls.
with prices as (
    select * from stg_prices
),

models as (
    select * from cfg_models
),

tier_models as (
    select * from stg_tier_models
),

described as (
    select
        prices.model,
        models.provider,
        coalesce(tier_models.tier, 'untiered') as tier,
        models.context_window,
        prices.price_variant,
        prices.effective_from,
        nullif(prices.effective_to, 'infinity'::timestamp) as effective_to,
        prices.is_long_context,
        prices.long_context_above_tokens,
        prices.input_usd_per_1m_tokens,
        prices.output_usd_per_1m_tokens,
        prices.cached_input_usd_per_1m_tokens,
        prices.cache_write_usd_per_1m_tokens,
        prices.reasoning_usd_per_1m_tokens
    from prices
    left join models using (model)
    left join tier_models using (model)
    order by tier_models.tier_rank nulls last, prices.model, prices.price_variant, prices.effective_from,
        prices.is_long_context
)

select * from described
