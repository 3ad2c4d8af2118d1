-- params: start_at, end_at, task_types, teams, providers
-- What prompt caching saved, per task type x provider ('(none)' without one): the cost of the same calls with every
-- cached and cache-written input token at the plain input price, minus the cost paid. read_savings_usd: cached
-- tokens x (input - cached_input price); write_premium_usd: cache-write tokens x (cache_write - input price), what
-- writing the cache cost above plain input (negative when writes are cheaper); saved_usd = read savings - write
-- premium = uncached_cost_usd - cost_usd. Priced calls only, each at the price in effect on its day in its variant
-- and context band (mart_price_book; prices change at midnight UTC, so a day's calls share one price). grain: one
-- row per task type x provider, most saved first. Read from the daily rollups.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

prices as (
    select * from mart_price_book
),

priced as (
    select
        call_groups.task_type,
        coalesce(call_groups.provider, '(none)') as provider,
        call_groups.calls,
        call_groups.input_tokens,
        call_groups.cached_input_tokens,
        call_groups.cache_write_tokens,
        call_groups.cost_usd,
        call_groups.cached_input_tokens
            * (prices.input_usd_per_1m_tokens - prices.cached_input_usd_per_1m_tokens) / 1e6 as read_savings_usd,
        call_groups.cache_write_tokens
            * (prices.cache_write_usd_per_1m_tokens - prices.input_usd_per_1m_tokens) / 1e6 as write_premium_usd
    from call_groups
    join prices
        on prices.model = call_groups.priced_model
        and prices.price_variant = call_groups.price_variant
        and prices.is_long_context = call_groups.is_long_context
        and call_groups.day >= prices.effective_from
        and call_groups.day < coalesce(prices.effective_to, 'infinity'::timestamp)
    where call_groups.is_priced
),

by_task_provider as (
    select
        task_type,
        provider,
        sum(calls)::bigint as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(cached_input_tokens)::bigint as cached_input_tokens,
        sum(cache_write_tokens)::bigint as cache_write_tokens,
        sum(cached_input_tokens) / nullif(sum(input_tokens), 0) as cached_share,
        sum(cost_usd) as cost_usd,
        sum(cost_usd) + sum(read_savings_usd) - sum(write_premium_usd) as uncached_cost_usd,
        sum(read_savings_usd) as read_savings_usd,
        sum(write_premium_usd) as write_premium_usd,
        sum(read_savings_usd) - sum(write_premium_usd) as saved_usd
    from priced
    group by all
),

shared as (
    select *, saved_usd / nullif(uncached_cost_usd, 0) as saved_share
    from by_task_provider
    order by saved_usd desc, task_type, provider
)

select * from shared
