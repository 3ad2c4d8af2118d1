-- params: start_at, end_at
-- The traces of a scope's partial UTC days at both edges (the hours [start_at, end_at) covers of its first and last
-- day, staging/macros.sql's scope_* macros), in one read of the calls anchored there (int_trace_slice): what a
-- trace rollup's whole days are completed with. grain: one row per trace, sign +1.
select * from int_trace_slice(
    from_at := scope_head_from(start_at), to_at := scope_head_to(start_at, end_at),
    also_from_at := scope_tail_from(start_at, end_at), also_to_at := scope_tail_to(end_at)
)
