-- Scalar macros shared by every layer.
-- model_key: the lookup key of a model name: lower case, no provider prefix ("openai/"), no date suffix
-- ("-2024-08-06", "-20251001", "@20241022").
create or replace macro model_key(model_name) as
    regexp_replace(
        regexp_replace(lower(trim(model_name)), '^.*/', ''),
        '[-@]([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$', ''
    );

-- token_cost_usd: the cost of token counts (a struct or row with input_tokens, cached_input_tokens,
-- cache_write_tokens, output_tokens, reasoning_tokens) at prices (a struct or row with the five
-- *_usd_per_1m_tokens columns of stg_prices): uncached input, cache reads, cache writes, visible output and reasoning
-- each at their own price (DESIGN §5). NULL when the prices are (an unpriced model).
create or replace macro token_cost_usd(tokens, prices) as (
    greatest(tokens.input_tokens - tokens.cached_input_tokens - tokens.cache_write_tokens, 0)
        * prices.input_usd_per_1m_tokens
    + tokens.cached_input_tokens * prices.cached_input_usd_per_1m_tokens
    + tokens.cache_write_tokens * prices.cache_write_usd_per_1m_tokens
    + greatest(tokens.output_tokens - tokens.reasoning_tokens, 0) * prices.output_usd_per_1m_tokens
    + tokens.reasoning_tokens * prices.reasoning_usd_per_1m_tokens
) / 1e6;
