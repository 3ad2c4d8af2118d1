-- params: of_month, latest_day, task_types, teams, providers
-- Month-to-date spend and a month-end forecast for the calendar month (UTC) that of_month starts, in total and per
-- task type, team and provider. "Now" is latest_day, the day of the newest call (not the wall clock), so a loaded
-- history forecasts its own months; that day counts as elapsed. grain: one row per dimension ('total', 'task_type', 'team', 'provider') x
-- value (NULL for the total; a missing team or provider is '(none)'); the total row is always there.
-- The run-rate is the mean daily spend of the observed days: the elapsed days of the month from the first day the
-- database has calls (days before it are not covered by the logs, so they are not counted as $0; a day after it
-- with no call in scope is a $0 day). forecast = month to date + mean x remaining days. The interval is the 95%
-- prediction interval of the remaining days' sum, with days taken as independent draws around the mean:
-- t(0.975, n - 1) x sd x sqrt(r + r^2 / n), n observed days, r remaining days, sd their sample standard deviation;
-- never below the month to date; zero width once the month is over (r = 0); NULL with fewer than 2 observed days.
with first_call as (
    -- the first day the logs cover, whatever the filters: before it, no day is known to be $0
    select min(day) as first_day from int_call_groups_in_scope(null, null, null, null, null)
),

month as (
    select
        of_month::date as month_start,
        (of_month::date + interval 1 month)::date as month_end,
        day(last_day(of_month::date)) as days_in_month,
        least(latest_day::date, last_day(of_month::date)) as elapsed_through,
        greatest(of_month::date, first_call.first_day) as observed_from
    from first_call
),

calendar as (
    select
        month.*,
        greatest(elapsed_through - month_start + 1, 0) as days_elapsed,
        greatest(elapsed_through - observed_from + 1, 0) as days_observed
    from month
),

call_groups as (
    select * from int_call_groups_in_scope(
        of_month::timestamp, of_month::timestamp + interval 1 month, task_types, teams, providers
    )
),

labelled as (
    select
        day,
        task_type,
        coalesce(team, '(none)') as team,
        coalesce(provider, '(none)') as provider,
        cost_usd
    from call_groups
),

daily as (
    select
        case when grouping(task_type) = 0 then 'task_type'
             when grouping(team) = 0 then 'team'
             when grouping(provider) = 0 then 'provider'
             else 'total' end as dimension,
        coalesce(task_type, team, provider) as value,
        day,
        coalesce(sum(cost_usd), 0.0) as cost_usd
    from labelled
    group by grouping sets ((day), (day, task_type), (day, team), (day, provider))
),

series as (
    select distinct dimension, value from daily
    union
    select 'total', null
),

observed_days as (
    select generate_series::date as day
    from calendar, generate_series(calendar.observed_from, calendar.elapsed_through, interval 1 day)
),

-- every observed day of every series, $0 where it had no call
grid as (
    select series.dimension, series.value, observed_days.day, coalesce(daily.cost_usd, 0.0) as cost_usd
    from series
    cross join observed_days
    left join daily
        on daily.dimension = series.dimension
        and daily.value is not distinct from series.value
        and daily.day = observed_days.day
),

rates as (
    select
        series.dimension,
        series.value,
        coalesce(sum(grid.cost_usd), 0.0) as month_to_date_usd,
        count(grid.day) as observed_days,
        avg(grid.cost_usd) as mean_daily_usd,
        stddev_samp(grid.cost_usd) as sd_daily_usd
    from series
    left join grid on grid.dimension = series.dimension and grid.value is not distinct from series.value
    group by all
),

-- Student's t at 0.975 for n - 1 degrees of freedom (a month has at most 31 observed days)
t_quantiles(degrees_of_freedom, t_975) as (
    values
        (1, 12.7062), (2, 4.3027), (3, 3.1824), (4, 2.7764), (5, 2.5706), (6, 2.4469), (7, 2.3646), (8, 2.3060),
        (9, 2.2622), (10, 2.2281), (11, 2.2010), (12, 2.1788), (13, 2.1604), (14, 2.1448), (15, 2.1314),
        (16, 2.1199), (17, 2.1098), (18, 2.1009), (19, 2.0930), (20, 2.0860), (21, 2.0796), (22, 2.0739),
        (23, 2.0687), (24, 2.0639), (25, 2.0595), (26, 2.0555), (27, 2.0518), (28, 2.0484), (29, 2.0452),
        (30, 2.0423)
),

forecast as (
    select
        rates.dimension,
        rates.value,
        strftime(calendar.month_start, '%Y-%m') as month,
        calendar.month_start,
        calendar.days_elapsed,
        calendar.days_in_month,
        calendar.days_observed,
        calendar.days_in_month - calendar.days_elapsed as days_remaining,
        rates.month_to_date_usd,
        rates.mean_daily_usd,
        rates.month_to_date_usd
            + coalesce(rates.mean_daily_usd, 0.0) * (calendar.days_in_month - calendar.days_elapsed) as forecast_usd,
        case
            when calendar.days_in_month = calendar.days_elapsed then 0.0
            when rates.observed_days >= 2 then t_quantiles.t_975 * rates.sd_daily_usd * sqrt(
                (calendar.days_in_month - calendar.days_elapsed)
                + (calendar.days_in_month - calendar.days_elapsed) ^ 2 / rates.observed_days
            )
        end as half_width_usd
    from rates
    cross join calendar
    left join t_quantiles on t_quantiles.degrees_of_freedom = rates.observed_days - 1
),

bounded as (
    select
        dimension,
        value,
        month,
        month_start,
        days_elapsed,
        days_in_month,
        days_observed,
        days_remaining,
        month_to_date_usd,
        mean_daily_usd,
        forecast_usd,
        greatest(forecast_usd - half_width_usd, month_to_date_usd) as forecast_low_usd,
        forecast_usd + half_width_usd as forecast_high_usd
    from forecast
    order by
        case dimension when 'total' then 0 when 'task_type' then 1 when 'team' then 2 else 3 end,
        forecast_usd desc,
        value
)

select * from bounded
