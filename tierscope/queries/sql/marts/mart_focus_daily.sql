-- params: start_at, end_at, task_types, teams, providers
-- The priced calls as a FOCUS 1.2 cost and usage dataset (FinOps Open Cost and Usage Specification), daily grain.
-- grain: one row per UTC day x provider x model x price variant x context band x meter (uncached input, cached
-- input, cache writes, visible output, reasoning) x unit price x task type x team. One SKU per model and meter, priced
-- per 1M tokens; costs in USD from the price book, which is both the list and the contracted price (no negotiated
-- discounts are known), so BilledCost = EffectiveCost = ListCost = ContractedCost. Unpriced calls have no cost and
-- are left out (mart_unpriced_models lists them). Tags carry the task type and the team.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

models as (
    select * from cfg_models
),

prices as (
    select * from stg_prices
),

-- a day's calls of one model, variant and context band share one price (prices change at midnight UTC)
priced as (
    select
        call_groups.day as charge_day,
        coalesce(models.provider, call_groups.provider, 'unknown') as provider_name,
        call_groups.priced_model,
        call_groups.price_variant,
        call_groups.is_long_context,
        call_groups.task_type,
        call_groups.team,
        call_groups.uncached_input_tokens,
        call_groups.cached_input_tokens,
        call_groups.cache_write_tokens,
        call_groups.visible_output_tokens,
        call_groups.reasoning_tokens,
        prices.input_usd_per_1m_tokens,
        prices.cached_input_usd_per_1m_tokens,
        prices.cache_write_usd_per_1m_tokens,
        prices.output_usd_per_1m_tokens,
        prices.reasoning_usd_per_1m_tokens
    from call_groups
    left join models on models.model = call_groups.priced_model
    left join prices
        on prices.model = call_groups.priced_model
        and prices.price_variant = call_groups.price_variant
        and prices.is_long_context = call_groups.is_long_context
        and call_groups.day >= prices.effective_from
        and call_groups.day < prices.effective_to
    where call_groups.is_priced
),

metered as (
    select
        charge_day, provider_name, priced_model, price_variant, is_long_context, task_type, team,
        unnest([
            {'meter': 'input', 'description': 'input tokens', 'tokens': uncached_input_tokens,
             'usd_per_1m_tokens': input_usd_per_1m_tokens},
            {'meter': 'cached_input', 'description': 'cached input tokens', 'tokens': cached_input_tokens,
             'usd_per_1m_tokens': cached_input_usd_per_1m_tokens},
            {'meter': 'cache_write', 'description': 'cache write tokens', 'tokens': cache_write_tokens,
             'usd_per_1m_tokens': cache_write_usd_per_1m_tokens},
            {'meter': 'output', 'description': 'output tokens', 'tokens': visible_output_tokens,
             'usd_per_1m_tokens': output_usd_per_1m_tokens},
            {'meter': 'reasoning', 'description': 'reasoning tokens', 'tokens': reasoning_tokens,
             'usd_per_1m_tokens': reasoning_usd_per_1m_tokens}
        ]) as meter
    from priced
),

daily as (
    select
        charge_day,
        provider_name,
        priced_model,
        price_variant,
        is_long_context,
        meter.meter as meter_name,
        meter.description as meter_description,
        meter.usd_per_1m_tokens as usd_per_1m_tokens,
        task_type,
        team,
        sum(meter.tokens)::bigint as consumed_tokens,
        sum(meter.tokens * meter.usd_per_1m_tokens) / 1e6 as cost_usd
    from metered
    where meter.tokens > 0
    group by all
),

focus as (
    select
        cost_usd as BilledCost,
        cost_usd as EffectiveCost,
        cost_usd as ListCost,
        cost_usd as ContractedCost,
        provider_name as BillingAccountId,
        provider_name as BillingAccountName,
        'USD' as BillingCurrency,
        date_trunc('month', charge_day)::timestamp as BillingPeriodStart,
        (date_trunc('month', charge_day) + interval 1 month)::timestamp as BillingPeriodEnd,
        charge_day::timestamp as ChargePeriodStart,
        (charge_day + interval 1 day)::timestamp as ChargePeriodEnd,
        'Usage' as ChargeCategory,
        null::varchar as ChargeClass,
        'Usage-Based' as ChargeFrequency,
        priced_model || ' ' || meter_description
            || case when price_variant <> 'standard' then ' (' || price_variant || ')' else '' end
            || case when is_long_context then ' (long context)' else '' end as ChargeDescription,
        provider_name as ProviderName,
        provider_name as PublisherName,
        provider_name as InvoiceIssuerName,
        provider_name || ' API' as ServiceName,
        'AI and Machine Learning' as ServiceCategory,
        'Generative AI' as ServiceSubcategory,
        priced_model as ResourceId,
        priced_model as ResourceName,
        'LLM model' as ResourceType,
        team as SubAccountId,
        team as SubAccountName,
        priced_model || '/' || meter_name as SkuId,
        priced_model || '/' || meter_name || '/' || price_variant
            || case when is_long_context then '/long-context' else '' end || '@' || usd_per_1m_tokens as SkuPriceId,
        meter_name as SkuMeter,
        'Standard' as PricingCategory,
        usd_per_1m_tokens as ListUnitPrice,
        usd_per_1m_tokens as ContractedUnitPrice,
        consumed_tokens / 1e6 as PricingQuantity,
        '1M Tokens' as PricingUnit,
        consumed_tokens as ConsumedQuantity,
        'Tokens' as ConsumedUnit,
        json_merge_patch(
            json_object('task_type', task_type),
            case when team is not null then json_object('team', team) else '{}'::json end
        ) as Tags,
        task_type as x_TaskType,
        price_variant as x_PriceVariant
    from daily
    order by ChargePeriodStart, ProviderName, SkuId, SkuPriceId, x_TaskType, SubAccountId nulls first
)

select * from focus
