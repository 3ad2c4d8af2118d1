-- params: start_at, end_at, task_types, teams, providers
-- The current drift state: for each task type, its latest judged window (enough traces and a baseline).
-- grain: one row per task type; is_flagged says whether that window exceeds the limit.
with windows as (
    select * from mart_escalation_by_window(start_at, end_at, task_types, teams, providers)
),

latest as (
    select *
    from windows
    where is_judged
    qualify row_number() over (partition by task_type order by window_start desc) = 1
    order by is_flagged desc, task_type
)

select * from latest
