-- params: start_at, end_at, task_types, teams, providers
-- Daily spend by task type and served tier. grain: one row per UTC day x task type x served tier. Read from the
-- daily call rollup.
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
),

keyed_calls as (
    select day, task_type, served_tier, calls, input_tokens, output_tokens, cost_usd, is_priced from call_groups
),

daily as (
    select * from int_call_cost_totals('keyed_calls') order by day, task_type, served_tier
)

select * from daily
