-- params: bins, start_at, end_at, task_types, teams, providers
-- How long the answers are: output tokens per call in `bins` equal-width bins from 0 to the task type's 99th
-- percentile, plus one overflow bin (is_overflow, bin_end_tokens NULL) from the end of the last bin on.
-- grain: one row per task type x non-empty bin. expected_output_tokens is routing.yaml's figure for the task type.
-- Counted from the daily output histogram (int_call_output_buckets_in_scope), whose buckets are exact under 1,000
-- tokens and within 1% above, so a call over 1,000 tokens within 1% of a bin edge may count in the neighbouring
-- bin; a scope narrowed by team or provider counts the calls themselves, exactly.
with tasks as (
    select * from cfg_tasks
),

buckets as (
    select task_type, output_bucket, sum(calls) as calls
    from int_call_output_buckets_in_scope(start_at, end_at, task_types)
    where teams is null and providers is null
    group by all
    union all
    select task_type, output_tokens as output_bucket, count(*) as calls
    from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
    where teams is not null or providers is not null
    group by all
),

-- each bucket's range of ranks (0-based, in output order) within its task type
ranked as (
    select
        task_type,
        output_bucket,
        calls,
        sum(calls) over (partition by task_type order by output_bucket) - calls as first_rank,
        sum(calls) over (partition by task_type order by output_bucket) - 1 as last_rank,
        sum(calls) over (partition by task_type) as task_calls
    from buckets
    where calls > 0
),

-- the 99th percentile as quantile_cont takes it: the values at ranks floor(h) and ceil(h), h = 0.99 x (n - 1)
ranges as (
    select
        positions.task_type,
        greatest(
            ceil(
                (any_value(below.output_bucket)
                    + (any_value(positions.position) - floor(any_value(positions.position)))
                    * (any_value(above.output_bucket) - any_value(below.output_bucket))) / bins
            ),
            1
        )::bigint as bin_width_tokens
    from (select distinct task_type, 0.99 * (task_calls - 1) as position from ranked) as positions
    join ranked as below
        on below.task_type = positions.task_type and floor(positions.position) between below.first_rank and below.last_rank
    join ranked as above
        on above.task_type = positions.task_type and ceil(positions.position) between above.first_rank and above.last_rank
    group by positions.task_type
),

binned as (
    select
        ranked.task_type,
        ranges.bin_width_tokens,
        least(ranked.output_bucket // ranges.bin_width_tokens, bins) as bin_index,
        ranked.calls
    from ranked
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
        sum(binned.calls)::bigint as calls,
        tasks.expected_output_tokens
    from binned
    left join tasks using (task_type)
    group by all
    order by binned.task_type, binned.bin_index
)

select * from counted
