-- Take the ingests after the derived tables' watermark into them: price their calls, and aggregate the traces that
-- started in them. Traces that already had calls before (a file that continues a trace) are set aside in
-- derived_continued_traces and recomputed from all their calls by refresh_continued_traces.sql. The new traces
-- go to trace_rollup_changes for the rollups (merge_rollups.sql); the new exception calls to call_exceptions.
insert into priced_calls
select * from int_priced_calls where ingest_id > $after_ingest_id and ingest_id <= $through_ingest_id;

insert into call_exceptions
select * from int_call_exceptions($after_ingest_id, $through_ingest_id);

create or replace temp table derived_new_traces as
select * from int_traces($after_ingest_id);

create or replace temp table derived_continued_traces as
select trace_id
from traces
semi join derived_new_traces using (trace_id);

insert into traces
select * from derived_new_traces
anti join derived_continued_traces using (trace_id);

insert into trace_rollup_changes by name
select *, 1 as sign from derived_new_traces
anti join derived_continued_traces using (trace_id);

drop table derived_new_traces;

update derived_state set through_ingest_id = $through_ingest_id, stale_reason = null;
