-- params: budgets, of_month, latest_day
-- Each budget (budgets.yaml, bound as a list of {scope, name, limit_usd}) against its month's spend and forecast
-- (mart_month_forecast, unfiltered: a budget's own scope is its filter). grain: one row per budget, in file order.
-- status: 'over' when the month to date exceeds the limit, 'forecast_over' when only the forecast does, else 'ok'.
-- A budget whose team, task type or provider has no call this month has spent $0 and forecasts $0.
with limits as (
    select
        budget.scope,
        budget.name,
        budget.limit_usd,
        budget_rank
    from (
        select
            unnest(budgets::struct(scope varchar, name varchar, limit_usd double)[]) as budget,
            generate_subscripts(budgets::struct(scope varchar, name varchar, limit_usd double)[], 1) as budget_rank
    )
),

forecasts as (
    select * from mart_month_forecast(of_month, latest_day, null, null, null)
),

calendar as (
    select distinct month, days_elapsed, days_in_month from forecasts
),

judged as (
    select
        limits.scope,
        limits.name,
        limits.limit_usd,
        calendar.month,
        calendar.days_elapsed,
        calendar.days_in_month,
        coalesce(forecasts.month_to_date_usd, 0.0) as spent_usd,
        coalesce(forecasts.forecast_usd, 0.0) as forecast_usd,
        -- no interval (fewer than 2 observed days) stays NULL; no call this month is a sure $0
        case when forecasts.dimension is null then 0.0 else forecasts.forecast_low_usd end as forecast_low_usd,
        case when forecasts.dimension is null then 0.0 else forecasts.forecast_high_usd end as forecast_high_usd,
        limits.budget_rank
    from limits
    cross join calendar
    left join forecasts
        on forecasts.dimension = limits.scope
        and forecasts.value is not distinct from limits.name
),

statused as (
    select
        scope,
        name,
        limit_usd,
        month,
        days_elapsed,
        days_in_month,
        spent_usd,
        forecast_usd,
        forecast_low_usd,
        forecast_high_usd,
        spent_usd / limit_usd as spent_share,
        forecast_usd / limit_usd as forecast_share,
        case when spent_usd > limit_usd then 'over'
             when forecast_usd > limit_usd then 'forecast_over'
             else 'ok' end as status
    from judged
    order by budget_rank
)

select * from statused
