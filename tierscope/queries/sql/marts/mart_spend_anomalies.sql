-- params: threshold, min_excess_usd, start_at, end_at, task_types, teams, providers
-- Spend anomalies: each day with calls of each task type x team, from start_at on, against its own trailing
-- baseline, and what moved. grain: one row per day x task type x team (a missing team is '(none)'), days with calls
-- only. The baseline reads every earlier day (before start_at too), so the first days of a scope are judged.
--
-- The method (robust, weekday-aware):
-- 1. Weekday factors: over the series' previous 28 days with calls, the median cost of each weekday / the median of
--    all 28 (1 when a weekday has fewer than 2 of them), so a quiet weekend is expected, not flagged.
-- 2. Level and spread: over the previous 14 days with calls, each divided by its weekday factor, the median (level)
--    and the median absolute deviation from it (MAD). A day needs 7 such days to be judged.
-- 3. expected_usd = level x the day's weekday factor; scale = the day's factor x max(1.4826 x MAD, 10% of the level,
--    $0.01); score = (cost - expected) / scale, a robust z-score. 1.4826 x MAD estimates a standard deviation, but
--    from 14 days it is itself uncertain (relative standard error about 45% for normal noise), so it is floored at
--    10% of the level: no day within threshold x 10% of its expected cost is flagged. A day is flagged when
--    score > threshold (3.5, the usual cut-off for modified z-scores) and it cost at least min_excess_usd more than
--    expected; spikes only, since a drop in spend is no cost risk and the newest day is often still filling up.
-- 4. The driver: cost = calls x tokens per call x cost per token, and cost per token = the tier shares (of tokens)
--    at each tier's cost per token. Against the baseline (sums over the 14 days; the expected calls are those the
--    expected cost buys at the baseline's tokens per call and cost per token), ln(cost / expected) splits exactly
--    into ln(calls / expected calls) [volume] + ln(tokens per call / baseline) [tokens_per_call] + ln(cost per
--    token at the day's tier shares and the baseline's per-tier cost / baseline) [tier_mix] + ln(cost per token /
--    that) [price: prices, models within a tier, cached or output share]. The driver is the term that moves most in
--    the direction of the change.
with call_groups as (
    select * from int_call_groups_in_scope(null, end_at, task_types, teams, providers)
),

by_tier as (
    select
        day,
        task_type,
        coalesce(team, '(none)') as team,
        served_tier,
        sum(calls)::bigint as calls,
        sum(input_tokens + output_tokens)::double as tokens,
        coalesce(sum(cost_usd), 0.0) as cost_usd
    from call_groups
    group by all
),

daily_totals as (
    select day, task_type, team, sum(calls)::bigint as calls, sum(tokens) as tokens, sum(cost_usd) as cost_usd
    from by_tier
    group by all
),

daily as (
    select
        *,
        row_number() over (partition by task_type, team order by day) as day_index,
        isodow(day) as weekday
    from daily_totals
),

-- each judged day with the 28 days with calls before it (its series')
history as (
    select
        judged.task_type,
        judged.team,
        judged.day,
        past.day as past_day,
        past.weekday as past_weekday,
        past.calls as past_calls,
        past.tokens as past_tokens,
        past.cost_usd as past_cost_usd,
        judged.day_index - past.day_index as days_back
    from daily as judged
    join daily as past
        on past.task_type = judged.task_type
        and past.team = judged.team
        and past.day_index between judged.day_index - 28 and judged.day_index - 1
    where start_at is null or judged.day >= start_at::date
),

overall as (
    select task_type, team, day, median(past_cost_usd) as overall_median_usd
    from history
    group by all
),

weekday_medians as (
    select task_type, team, day, past_weekday as weekday, count(*) as days, median(past_cost_usd) as median_usd
    from history
    group by all
),

weekday_factors as (
    select
        weekday_medians.task_type,
        weekday_medians.team,
        weekday_medians.day,
        weekday_medians.weekday,
        case when weekday_medians.days >= 2 and overall.overall_median_usd > 0
             then weekday_medians.median_usd / overall.overall_median_usd
             else 1.0 end as factor
    from weekday_medians
    join overall using (task_type, team, day)
),

-- the 14 days with calls before the judged day, each at its weekday's level
adjusted as (
    select
        history.*,
        history.past_cost_usd / nullif(weekday_factors.factor, 0) as adjusted_usd
    from history
    join weekday_factors
        on weekday_factors.task_type = history.task_type
        and weekday_factors.team = history.team
        and weekday_factors.day = history.day
        and weekday_factors.weekday = history.past_weekday
    where history.days_back <= 14
),

levels as (
    select
        task_type,
        team,
        day,
        count(*) as baseline_days,
        median(adjusted_usd) as level_usd,
        sum(past_calls) as baseline_calls,
        sum(past_tokens) as baseline_tokens,
        sum(past_cost_usd) as baseline_cost_usd
    from adjusted
    group by all
),

spreads as (
    select adjusted.task_type, adjusted.team, adjusted.day, median(abs(adjusted.adjusted_usd - levels.level_usd)) as mad
    from adjusted
    join levels using (task_type, team, day)
    group by all
),

baseline_tiers as (
    select
        adjusted.task_type,
        adjusted.team,
        adjusted.day,
        by_tier.served_tier,
        sum(by_tier.tokens) as tokens,
        sum(by_tier.cost_usd) as cost_usd
    from adjusted
    join by_tier
        on by_tier.task_type = adjusted.task_type
        and by_tier.team = adjusted.team
        and by_tier.day = adjusted.past_day
    group by all
),

-- the judged day's tiers beside the baseline's: shares of tokens, cost per token
tier_mix as (
    select
        coalesce(day_tiers.task_type, baseline_tiers.task_type) as task_type,
        coalesce(day_tiers.team, baseline_tiers.team) as team,
        coalesce(day_tiers.day, baseline_tiers.day) as day,
        coalesce(day_tiers.served_tier, baseline_tiers.served_tier) as served_tier,
        coalesce(day_tiers.tokens, 0.0) as tokens,
        day_tiers.cost_usd,
        coalesce(baseline_tiers.tokens, 0.0) as baseline_tokens,
        -- a tier the baseline did not use is priced as the day used it: its whole difference is the mix's
        coalesce(
            baseline_tiers.cost_usd / nullif(baseline_tiers.tokens, 0),
            day_tiers.cost_usd / nullif(day_tiers.tokens, 0)
        ) as baseline_cost_per_token
    from (
        select by_tier.*
        from by_tier
        where (start_at is null or by_tier.day >= start_at::date)
    ) as day_tiers
    full join baseline_tiers
        on baseline_tiers.task_type = day_tiers.task_type
        and baseline_tiers.team = day_tiers.team
        and baseline_tiers.day = day_tiers.day
        and baseline_tiers.served_tier = day_tiers.served_tier
),

mixes as (
    select
        tier_mix.task_type,
        tier_mix.team,
        tier_mix.day,
        sum(tier_mix.tokens / nullif(daily.tokens, 0) * tier_mix.baseline_cost_per_token) as mix_cost_per_token,
        list(
            {
                'tier': tier_mix.served_tier,
                'share': coalesce(tier_mix.tokens / nullif(daily.tokens, 0), 0.0),
                'baseline_share': coalesce(tier_mix.baseline_tokens / nullif(levels.baseline_tokens, 0), 0.0)
            }
            order by tier_mix.served_tier
        ) as tier_shares
    from tier_mix
    join daily using (task_type, team, day)
    left join levels using (task_type, team, day)
    group by all
),

scored as (
    select
        daily.day,
        daily.task_type,
        daily.team,
        daily.calls,
        daily.tokens / daily.calls as tokens_per_call,
        daily.cost_usd,
        levels.baseline_days,
        levels.level_usd * coalesce(own.factor, 1.0) as expected_usd,
        coalesce(own.factor, 1.0) * greatest(1.4826 * spreads.mad, 0.1 * levels.level_usd, 0.01) as scale_usd,
        levels.baseline_calls,
        levels.baseline_tokens / nullif(levels.baseline_calls, 0) as baseline_tokens_per_call,
        levels.baseline_cost_usd / nullif(levels.baseline_tokens, 0) as baseline_cost_per_token,
        daily.cost_usd / nullif(daily.tokens, 0) as cost_per_token,
        mixes.mix_cost_per_token,
        mixes.tier_shares
    from daily
    join mixes using (task_type, team, day)
    left join levels using (task_type, team, day)
    left join spreads using (task_type, team, day)
    left join weekday_factors as own
        on own.task_type = daily.task_type
        and own.team = daily.team
        and own.day = daily.day
        and own.weekday = daily.weekday
    where start_at is null or daily.day >= start_at::date
),

explained as (
    select
        scored.*,
        case when baseline_days >= 7 then (cost_usd - expected_usd) / scale_usd end as score,
        expected_usd / nullif(baseline_tokens_per_call * baseline_cost_per_token, 0) as expected_calls,
        ln(nullif(calls / nullif(expected_usd / nullif(baseline_tokens_per_call * baseline_cost_per_token, 0), 0), 0))
            as volume_effect,
        ln(nullif(tokens_per_call / nullif(baseline_tokens_per_call, 0), 0)) as tokens_per_call_effect,
        ln(nullif(mix_cost_per_token / nullif(baseline_cost_per_token, 0), 0)) as tier_mix_effect,
        ln(nullif(cost_per_token / nullif(mix_cost_per_token, 0), 0)) as price_effect
    from scored
),

flagged as (
    select
        day,
        task_type,
        team,
        cost_usd,
        expected_usd,
        expected_usd + threshold * scale_usd as flag_above_usd,
        score,
        coalesce(score > threshold and cost_usd - expected_usd >= min_excess_usd, false) as is_flagged,
        -- the term that moves most in the direction of the change
        list_max(
            list_filter(
                [
                    {'effect': sign(cost_usd - expected_usd) * volume_effect, 'driver': 'volume'},
                    {'effect': sign(cost_usd - expected_usd) * tokens_per_call_effect, 'driver': 'tokens_per_call'},
                    {'effect': sign(cost_usd - expected_usd) * tier_mix_effect, 'driver': 'tier_mix'},
                    {'effect': sign(cost_usd - expected_usd) * price_effect, 'driver': 'price'}
                ],
                lambda term: term.effect is not null and isfinite(term.effect)
            )
        ).driver as driver,
        calls,
        expected_calls,
        tokens_per_call,
        baseline_tokens_per_call,
        1e6 * cost_per_token as cost_per_1m_tokens_usd,
        1e6 * baseline_cost_per_token as baseline_cost_per_1m_tokens_usd,
        tier_shares,
        baseline_days,
        volume_effect,
        tokens_per_call_effect,
        tier_mix_effect,
        price_effect
    from explained
    order by day, task_type, team
)

select * from flagged
