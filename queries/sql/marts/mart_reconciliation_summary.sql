-- params: tolerance, start_at, end_at, task_types, teams, providers
-- Reported vs computed cost per model and price variant, over the calls whose source reported a cost.
-- grain: one row per priced model (else the served model as logged) x price variant, largest absolute difference
-- first. reported_cost_usd and computed_cost_usd cover priced calls only; the cost reported for unpriced calls is
-- unpriced_reported_cost_usd. disagreeing_calls are the calls of mart_cost_reconciliation at the same tolerance.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

disagreeing as (
    select request_id from mart_cost_reconciliation(tolerance, start_at, end_at, task_types, teams, providers)
),

reported as (
    select
        coalesce(calls.priced_model, calls.served_model, calls.requested_model, '(none)') as model,
        calls.price_variant,
        calls.is_priced,
        calls.reported_cost_usd,
        calls.cost_usd,
        disagreeing.request_id is not null as is_disagreeing
    from calls
    left join disagreeing using (request_id)
    where calls.reported_cost_usd is not null
),

by_model as (
    select
        model,
        price_variant,
        count(*) as calls_with_reported_cost,
        sum(reported_cost_usd) filter (where is_priced) as reported_cost_usd,
        sum(cost_usd) as computed_cost_usd,
        count(*) filter (where is_disagreeing) as disagreeing_calls,
        count(*) filter (where not is_priced) as unpriced_calls,
        sum(reported_cost_usd) filter (where not is_priced) as unpriced_reported_cost_usd
    from reported
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
