-- The what-if simulator's daily rollup (int_simulator_groups: the trace rollup folded to the simulator's keys).
-- Rebuilt with trace_rollup; steps/merge_rollups.sql rewrites the days a refresh touches.
create or replace table simulator_rollup as
select * from int_simulator_groups('trace_rollup', true) order by day
