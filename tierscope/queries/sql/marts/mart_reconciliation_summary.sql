-- params: tolerance, start_at, end_at, task_types, teams, providers
-- Reported vs computed cost per model and price variant, over the calls whose source reported a cost.
-- grain: one row per priced model (else the served model as logged) x price variant, largest absolute difference
-- first. reported_cost_usd and computed_cost_usd cover priced calls only; the cost reported for unpriced calls is
-- unpriced_reported_cost_usd. disagreeing_calls are the calls of mart_cost_reconciliation at the same tolerance.
-- Priced calls are counted from the daily call rollup; unpriced and disagreeing ones are exception calls.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

exceptions as (
    select * from int_call_exceptions_in_scope(start_at, end_at, task_types, teams, providers)
),

disagreeing as (
    select request_id from mart_cost_reconciliation(tolerance, start_at, end_at, task_types, teams, providers)
),

priced as (
    select
        priced_model as model,
        price_variant,
        sum(calls_with_reported_cost)::bigint as calls_with_reported_cost,
        sum(reported_cost_usd) as reported_cost_usd,
        sum(reported_calls_cost_usd) as computed_cost_usd,
        0::bigint as unpriced_calls,
        null::double as unpriced_reported_cost_usd
    from call_groups
    where is_priced and calls_with_reported_cost > 0
    group by all
),

unpriced as (
    select
        coalesce(priced_model, served_model, requested_model, '(none)') as model,
        price_variant,
        count(*) as calls_with_reported_cost,
        null::double as reported_cost_usd,
        null::double as computed_cost_usd,
        count(*) as unpriced_calls,
        sum(reported_cost_usd) as unpriced_reported_cost_usd
    from exceptions
    where not is_priced and reported_cost_usd is not null
    group by all
),

disagreeing_by_model as (
    select coalesce(priced_model, served_model, requested_model, '(none)') as model, price_variant, count(*) as calls
    from exceptions
    semi join disagreeing using (request_id)
    group by all
),

by_model as (
    select
        model,
        price_variant,
        sum(calls_with_reported_cost)::bigint as calls_with_reported_cost,
        sum(reported_cost_usd) as reported_cost_usd,
        sum(computed_cost_usd) as computed_cost_usd,
        coalesce(any_value(disagreeing_by_model.calls), 0) as disagreeing_calls,
        sum(unpriced_calls)::bigint as unpriced_calls,
        sum(unpriced_reported_cost_usd) as unpriced_reported_cost_usd
    from (select * from priced union all select * from unpriced) as reported
    left join disagreeing_by_model using (model, price_variant)
    group by all
),

compared as (
    select
        *,
        reported_cost_usd - computed_cost_usd as difference_usd,
        (reported_cost_usd - computed_cost_usd) / nullif(computed_cost_usd, 0) as relative_difference
    from by_model
    order by abs(difference_usd) desc nulls last, model, price_variant
)

select * from compared
