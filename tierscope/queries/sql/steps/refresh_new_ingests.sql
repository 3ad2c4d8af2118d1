-- Take the ingests after the derived tables' watermark into them (after steps/anchor_traces.sql): the traces they
-- touch go to the temp table derived_trace_changes for the rollups (merge_rollups.sql), the new exception calls to
-- call_exceptions. A trace that had calls before (derived_continued_traces) leaves the rollups as it was (-1: its
-- stored calls) and enters as it is now (+1: all its calls); a new trace enters (+1). Calls are priced as they are
-- read (int_priced_calls); a continued trace's calls are found by its id. The changes live in a temp table: they
-- last one refresh, and never need writing to the database file.
insert into call_exceptions by name
select * from int_call_exceptions($after_ingest_id, $through_ingest_id);

create or replace temp table derived_previous_calls as
select *
from int_priced_calls
semi join derived_continued_traces using (trace_id)
where ingest_id <= $after_ingest_id;

create or replace temp table derived_trace_changes as
select *, -1 as sign from int_traces('derived_previous_calls');

insert into derived_trace_changes by name
with touched_calls as (
    select * from int_priced_calls where ingest_id > $after_ingest_id and ingest_id <= $through_ingest_id
    union all by name
    select * from derived_previous_calls
)

select *, 1 as sign from int_traces('touched_calls');

drop table derived_previous_calls;

drop table derived_continued_traces;

update derived_state set through_ingest_id = $through_ingest_id, stale_reason = null;
