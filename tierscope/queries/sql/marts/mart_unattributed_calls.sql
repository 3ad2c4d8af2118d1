-- params: start_at, end_at, task_types, teams, providers
-- Calls whose log names no served model (docs/formats.md): kept, priced by the requested model, counted as unattributed.
-- grain: one row per requested model as logged ('(none)' when absent) x task type; sources lists the files.
with calls as (
    select * from int_call_exceptions_in_scope(start_at, end_at, task_types, teams, providers)
),

unattributed as (
    select
        coalesce(requested_model, '(none)') as requested_model,
        task_type,
        count(*) as calls,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at,
        string_agg(distinct source, ', ' order by source) as sources
    from calls
    where is_unattributed
    group by all
    order by calls desc, requested_model, task_type
)

select * from unattributed
