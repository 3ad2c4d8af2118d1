-- Take the ingests after the derived tables' watermark into them: price their calls, and aggregate the traces that
-- started in them. Traces that already had calls before (a file that continues a trace) are set aside in
-- derived_continued_traces and recomputed from all their calls by refresh_continued_traces.sql.
insert into priced_calls
select * from int_priced_calls where ingest_id > $after_ingest_id and ingest_id <= $through_ingest_id;

create or replace temp table derived_continued_traces as
select trace_id
from traces
semi join (select trace_id from priced_calls where ingest_id > $after_ingest_id) as new_calls using (trace_id);

insert into traces
select * from int_traces($after_ingest_id)
anti join derived_continued_traces using (trace_id);

update derived_state set through_ingest_id = $through_ingest_id;
