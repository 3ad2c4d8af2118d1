-- params: bins, start_at, end_at, task_types, teams, providers
-- How long the answers are: output tokens per call in `bins` equal-width bins from 0 to the task type's 99th
-- percentile, plus one overflow bin (is_overflow, bin_end_tokens NULL) from the end of the last bin on.
-- grain: one row per task type x non-empty bin. expected_output_tokens is routing.yaml's figure for the task type.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

tasks as (
    select * from cfg_tasks
),

ranges as (
    select
        task_type,
        greatest(ceil(quantile_cont(output_tokens, 0.99) / bins), 1)::bigint as bin_width_tokens
    from calls
    group by task_type
),

binned as (
    select
        calls.task_type,
        ranges.bin_width_tokens,
        least(calls.output_tokens // ranges.bin_width_tokens, bins) as bin_index
    from calls
    join ranges using (task_type)
),

counted as (
    select
        binned.task_type,
        binned.bin_index,
        binned.bin_index * binned.bin_width_tokens as bin_start_tokens,
        case when binned.bin_index < bins then (binned.bin_index + 1) * binned.bin_width_tokens end
            as bin_end_tokens,
        binned.bin_index = bins as is_overflow,
        count(*) as calls,
        tasks.expected_output_tokens
    from binned
    left join tasks using (task_type)
    group by all
    order by binned.task_type, binned.bin_index
)

select * from counted
