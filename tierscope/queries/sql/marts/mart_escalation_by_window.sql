-- params: start_at, end_at, task_types, teams, providers
-- Escalation rate per task type and drift window, against the task's baseline (docs/concepts.md).
-- grain: one row per task type x window. The baseline is routing.yaml's baseline_escalation_rate, else the rate
-- over the first drift.baseline_days UTC days of that task's data. A window is judged only with >= min_requests
-- traces, and flagged when its rate exceeds the limit: baseline x (1 + threshold) (relative) or baseline + threshold.
-- Windows of whole days are counted from the daily trace rollup; shorter ones (30m, 6h) from the traces.
with settings as (
    select * from cfg_drift
),

tasks as (
    select * from cfg_tasks
),

is_daily as (
    select drift_window_seconds % 86400 = 0 as is_daily from cfg_drift
),

-- only the task types routing.yaml gives no baseline need one observed from the data
unbaselined_groups as (
    select *
    from trace_rollup
    where task_type not in (select task_type from tasks where baseline_escalation_rate is not null)
),

task_start as (
    select task_type, min(day) as first_day from unbaselined_groups group by task_type
),

observed_baseline as (
    select
        unbaselined_groups.task_type,
        sum(unbaselined_groups.requests) filter (where unbaselined_groups.is_escalated)
            / sum(unbaselined_groups.requests) as observed_baseline_rate
    from unbaselined_groups
    join task_start using (task_type)
    cross join settings
    where unbaselined_groups.day < task_start.first_day + to_days(settings.drift_baseline_days)
    group by unbaselined_groups.task_type
    having sum(unbaselined_groups.requests) > 0
),

daily_windows as (
    select
        trace_groups.task_type,
        time_bucket(to_seconds(settings.drift_window_seconds), trace_groups.day::timestamp) as window_start,
        sum(trace_groups.requests)::bigint as requests,
        coalesce(sum(trace_groups.requests) filter (where trace_groups.is_escalated), 0)::bigint as escalated
    from int_trace_groups_in_scope(start_at, end_at, task_types, teams, providers) as trace_groups
    cross join settings
    where (select is_daily from is_daily)
    group by all
    having sum(trace_groups.requests) > 0
),

short_windows as (
    select
        scoped.task_type,
        time_bucket(to_seconds(settings.drift_window_seconds), scoped.started_at) as window_start,
        count(*) as requests,
        count(*) filter (where scoped.is_escalated) as escalated
    -- with daily windows, an empty range: the traces are grouped from their calls, which no branch filter skips
    from int_traces_in_scope(
        case when (select is_daily from is_daily) then 'infinity'::timestamp else start_at::timestamp end,
        case when (select is_daily from is_daily) then 'infinity'::timestamp else end_at::timestamp end,
        task_types, teams, providers
    ) as scoped
    cross join settings
    where not (select is_daily from is_daily)
    group by all
),

windows as (
    select * from daily_windows
    union all
    select * from short_windows
),

judged as (
    select
        windows.task_type,
        windows.window_start,
        windows.requests,
        windows.escalated,
        windows.escalated / windows.requests as escalation_rate,
        coalesce(tasks.baseline_escalation_rate, observed_baseline.observed_baseline_rate) as baseline_rate,
        case when tasks.baseline_escalation_rate is not null then 'routing.yaml' else 'observed' end
            as baseline_source,
        settings.drift_min_requests as min_requests,
        settings.drift_mode,
        settings.drift_threshold
    from windows
    cross join settings
    left join tasks using (task_type)
    left join observed_baseline using (task_type)
),

flagged as (
    select
        * exclude (drift_mode, drift_threshold),
        case when drift_mode = 'relative' then baseline_rate * (1 + drift_threshold)
             else baseline_rate + drift_threshold end as limit_rate,
        requests >= min_requests and baseline_rate is not null as is_judged
    from judged
),

final as (
    select
        *,
        -- rounded so that a rate exactly at the limit (69/2000 vs 0.03 x 1.15) is not flagged by float noise
        is_judged and round(escalation_rate, 12) > round(limit_rate, 12) as is_flagged
    from flagged
    order by task_type, window_start
)

select * from final
