-- Bring the rollups and histograms up to date after a refresh: group the new calls and the signed trace changes,
-- then rewrite only the days they touch as the sum of what those days held and the change (the simulator's rollup:
-- those days of the trace rollup folded again). Sums and counts stay exact; a group whose traces all moved away
-- (requests 0) is dropped.
create or replace temp table call_rollup_delta as
select * from int_call_groups(after_ingest_id := $after_ingest_id, through_ingest_id := $through_ingest_id);

-- The measures are merged by their names, the rollups' naming rule (int_call_groups, int_trace_groups): calls*,
-- requests and unpriced_calls are counts, *_tokens token sums, *_usd cost sums, first_* / last_* the earliest and
-- latest time; every other column is a key.
create or replace temp table call_rollup_merged as
select
    columns(lambda name: not regexp_full_match(name, '(calls.*|.*_tokens|.*_usd|first_.*|last_.*)')),
    sum(columns('^calls.*$'))::bigint,
    sum(columns('^.*_tokens$'))::hugeint,
    sum(columns('^.*_usd$')),
    min(columns('^first_.*$')),
    max(columns('^last_.*$'))
from (
    select * from call_rollup where day in (select day from call_rollup_delta)
    union all by name
    select * from call_rollup_delta
)
group by all;

delete from call_rollup where day in (select day from call_rollup_delta);

insert into call_rollup by name select * from call_rollup_merged;

create or replace temp table trace_rollup_delta as
select * from int_trace_groups('derived_trace_changes');

create or replace temp table trace_rollup_merged as
select
    columns(lambda name: not regexp_full_match(name, '(requests|calls|unpriced_calls|.*_tokens|.*_usd)')),
    sum(columns('^(requests|calls|unpriced_calls)$'))::bigint,
    sum(columns('^.*_tokens$'))::hugeint,
    sum(columns('^.*_usd$'))
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
select * from int_trace_cost_buckets('derived_trace_changes');

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
from int_call_output_buckets(after_ingest_id := $after_ingest_id, through_ingest_id := $through_ingest_id);

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

drop table derived_trace_changes;

drop table call_rollup_delta;
drop table call_rollup_merged;
drop table trace_rollup_delta;
drop table trace_rollup_merged;
drop table trace_cost_histogram_delta;
drop table trace_cost_histogram_merged;
drop table call_output_histogram_delta;
drop table call_output_histogram_merged;
