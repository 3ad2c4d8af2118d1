-- params: start_at, end_at, task_types
-- The output-token histogram of a scope: the daily histogram for whole UTC days, the edge calls bucketed the same
-- way (int_call_output_buckets). It has no team or provider: a scope narrowed by those counts the calls themselves
-- (mart_output_length_histogram). grain: one row per day x task type x output bucket.
with whole_days as (
    select * from call_output_histogram where scope_has_whole_day(day, start_at, end_at)
),

-- the partial days at both edges, in one read of the rows
edges as (
    select * from int_call_output_buckets(
        from_at := scope_head_from(start_at), to_at := scope_head_to(start_at, end_at),
        also_from_at := scope_tail_from(start_at, end_at), also_to_at := scope_tail_to(end_at)
    )
),

combined as (
    select * from whole_days
    union all by name
    select * from edges
),

scoped as (
    select * from combined where task_types is null or list_contains(task_types, task_type)
)

select * from scoped
