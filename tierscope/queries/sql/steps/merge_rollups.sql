-- Bring the rollups and histograms up to date after a refresh: group the new calls and the signed trace changes,
-- then rewrite only the days they touch as the sum of what those days held and the change (the simulator's rollup:
-- those days of the trace rollup folded again). Sums and counts stay exact; a group whose traces all moved away
-- (requests 0) is dropped.
create or replace temp table call_rollup_delta as
select * from int_call_groups('-infinity', 'infinity', 'infinity', 'infinity', $after_ingest_id, $through_ingest_id);

create or replace temp table call_rollup_merged as
select
    * exclude (calls, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
               uncached_input_tokens, visible_output_tokens, cost_usd, output_cost_usd, calls_over_guard,
               calls_with_reported_cost, reported_cost_usd, reported_calls_cost_usd, first_started_at,
               last_started_at),
    sum(calls)::bigint as calls,
    sum(input_tokens)::hugeint as input_tokens,
    sum(output_tokens)::hugeint as output_tokens,
    sum(cached_input_tokens)::hugeint as cached_input_tokens,
    sum(cache_write_tokens)::hugeint as cache_write_tokens,
    sum(reasoning_tokens)::hugeint as reasoning_tokens,
    sum(uncached_input_tokens)::hugeint as uncached_input_tokens,
    sum(visible_output_tokens)::hugeint as visible_output_tokens,
    sum(cost_usd) as cost_usd,
    sum(output_cost_usd) as output_cost_usd,
    sum(calls_over_guard)::bigint as calls_over_guard,
    sum(calls_with_reported_cost)::bigint as calls_with_reported_cost,
    sum(reported_cost_usd) as reported_cost_usd,
    sum(reported_calls_cost_usd) as reported_calls_cost_usd,
    min(first_started_at) as first_started_at,
    max(last_started_at) as last_started_at
from (
    select * from call_rollup where day in (select day from call_rollup_delta)
    union all by name
    select * from call_rollup_delta
)
group by all;

delete from call_rollup where day in (select day from call_rollup_delta);

insert into call_rollup by name select * from call_rollup_merged;

create or replace temp table trace_rollup_delta as
select * from int_trace_groups('-infinity', 'infinity', 'infinity', 'infinity', true);

create or replace temp table trace_rollup_merged as
select
    * exclude (requests, calls, input_tokens, output_tokens, cost_usd, unpriced_calls, answer_input_tokens,
               answer_cached_input_tokens, answer_cache_write_tokens, answer_output_tokens, answer_reasoning_tokens),
    sum(requests)::bigint as requests,
    sum(calls)::bigint as calls,
    sum(input_tokens)::hugeint as input_tokens,
    sum(output_tokens)::hugeint as output_tokens,
    sum(cost_usd) as cost_usd,
    sum(unpriced_calls)::bigint as unpriced_calls,
    sum(answer_input_tokens)::hugeint as answer_input_tokens,
    sum(answer_cached_input_tokens)::hugeint as answer_cached_input_tokens,
    sum(answer_cache_write_tokens)::hugeint as answer_cache_write_tokens,
    sum(answer_output_tokens)::hugeint as answer_output_tokens,
    sum(answer_reasoning_tokens)::hugeint as answer_reasoning_tokens
from (
    select * from trace_rollup where day in (select day from trace_rollup_delta)
    union all by name
    select * from trace_rollup_delta
)
group by all
having sum(requests) <> 0;

delete from trace_rollup where day in (select day from trace_rollup_delta);

insert into trace_rollup by name select * from trace_rollup_merged;

delete from simulator_rollup where day in (select day from trace_rollup_delta);

insert into simulator_rollup by name
select * from int_simulator_groups('trace_rollup', true) where day in (select day from trace_rollup_delta);

create or replace temp table trace_cost_histogram_delta as
select * from int_trace_cost_buckets('-infinity', 'infinity', 'infinity', 'infinity', true);

create or replace temp table trace_cost_histogram_merged as
select * exclude (requests), sum(requests)::bigint as requests
from (
    select * from trace_cost_histogram where day in (select day from trace_cost_histogram_delta)
    union all by name
    select * from trace_cost_histogram_delta
)
group by all
having sum(requests) <> 0;

delete from trace_cost_histogram where day in (select day from trace_cost_histogram_delta);

insert into trace_cost_histogram by name select * from trace_cost_histogram_merged;

create or replace temp table call_output_histogram_delta as
select *
from int_call_output_buckets('-infinity', 'infinity', 'infinity', 'infinity', $after_ingest_id, $through_ingest_id);

create or replace temp table call_output_histogram_merged as
select * exclude (calls), sum(calls)::bigint as calls
from (
    select * from call_output_histogram where day in (select day from call_output_histogram_delta)
    union all by name
    select * from call_output_histogram_delta
)
group by all;

delete from call_output_histogram where day in (select day from call_output_histogram_delta);

insert into call_output_histogram by name select * from call_output_histogram_merged;

delete from trace_rollup_changes;

drop table call_rollup_delta;
drop table call_rollup_merged;
drop table trace_rollup_delta;
drop table trace_rollup_merged;
drop table trace_cost_histogram_delta;
drop table trace_cost_histogram_merged;
drop table call_output_histogram_delta;
drop table call_output_histogram_merged;
