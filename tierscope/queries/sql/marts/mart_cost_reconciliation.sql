-- params: tolerance, start_at, end_at, task_types, teams, providers
-- Calls whose source reported a cost that differs from the price book's by more than `tolerance` (relative):
-- a wrong price or a missing variant shows up here. grain: one row per disagreeing call. A tolerance of 0.1% or
-- more reads the exception calls (call_exceptions holds every call off by more than that); a smaller one reads
-- every call.
with calls as (
    select * from int_call_exceptions_in_scope(start_at, end_at, task_types, teams, providers)
    where tolerance is null or tolerance >= 0.001
    union all
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
    where tolerance < 0.001
),

compared as (
    select
        request_id,
        started_at,
        task_type,
        served_model,
        priced_model,
        price_variant,
        input_tokens,
        output_tokens,
        reported_cost_usd,
        cost_usd as computed_cost_usd,
        reported_cost_usd - cost_usd as difference_usd,
        (reported_cost_usd - cost_usd) / nullif(cost_usd, 0) as relative_difference
    from calls
    where reported_cost_usd is not null
      and is_priced
      and abs(reported_cost_usd - cost_usd) > coalesce(tolerance, 0.01) * greatest(abs(cost_usd), 1e-9)
    order by abs(reported_cost_usd - cost_usd) desc
)

select * from compared
