-- params: start_at, end_at, task_types, teams, providers
-- The call groups of a scope (same arguments as int_calls_in_scope): the daily call rollup for its whole UTC days,
-- the calls of the partial days at its edges grouped the same way (int_call_groups), as int_scope_days puts them
-- together. grain: one row per day x dimensions.
with edges as (
    -- the partial days at both edges, in one read of the rows
    select * from int_call_groups(
        from_at := scope_head_from(start_at), to_at := scope_head_to(start_at, end_at),
        also_from_at := scope_tail_from(start_at, end_at), also_to_at := scope_tail_to(end_at)
    )
)

select * from int_scope_days('call_rollup', 'edges', start_at, end_at, task_types, teams, providers)
