-- params: start_at, end_at, task_types, teams, providers, simulator := false
-- The trace groups of a scope (same arguments as int_traces_in_scope): the daily trace rollup for its whole UTC
-- days, the traces of the partial days at its edges grouped the same way (int_trace_groups), as int_scope_days puts
-- them together. With simulator, the whole days come from the simulator's smaller rollup (simulator_rollup: only
-- the what-if's keys, the other dimensions NULL), for mart_whatif, which folds every row to those keys.
-- grain: one row per day x dimensions.
with edge_traces as (
    select * from int_trace_edges(start_at, end_at)
),

edges as (
    select * from int_trace_groups('edge_traces')
)

select *
from int_scope_days(
    case when simulator then 'simulator_rollup' else 'trace_rollup' end, 'edges',
    start_at, end_at, task_types, teams, providers
)
