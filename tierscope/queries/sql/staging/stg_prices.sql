-- The price book as rows: one per model x effective period x price variant x context band, USD per 1M tokens.
-- A price that a model does not list falls back here, once: cached input and cache writes at the input price,
-- reasoning at the output price.
with prices as (
    select * from cfg_prices
),

resolved as (
    select
        model,
        price_variant,
        effective_from,
        coalesce(
            lead(effective_from) over (partition by model, price_variant, is_long_context order by effective_from),
            'infinity'::timestamp
        ) as effective_to,
        is_long_context,
        long_context_above_tokens,
        input_usd_per_1m_tokens,
        output_usd_per_1m_tokens,
        coalesce(cached_input_usd_per_1m_tokens, input_usd_per_1m_tokens) as cached_input_usd_per_1m_tokens,
        coalesce(cache_write_usd_per_1m_tokens, input_usd_per_1m_tokens) as cache_write_usd_per_1m_tokens,
        coalesce(reasoning_usd_per_1m_tokens, output_usd_per_1m_tokens) as reasoning_usd_per_1m_tokens
    from prices
)

select * from resolved
