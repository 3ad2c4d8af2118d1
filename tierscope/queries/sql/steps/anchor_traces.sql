-- The traces of the calls of the ingests in ($after_ingest_id, $through_ingest_id], each call's trace anchor
-- (trace_started_at: the time of its trace's first call) made exact, and which of those traces had calls before
-- (derived_continued_traces, read by refresh_new_ingests.sql). The load stores started_at as the anchor, which is
-- already right for a trace of one call; a trace of several calls, or one continued from an earlier ingest (whose
-- first call may be new or old), gets its anchor on every call, stored calls included.
create or replace temp table derived_batch_traces as
select
    trace_id,
    min(started_at) as first_started_at,
    count(*) as call_count,
    count(trace_started_at) < count(*) as has_missing_anchor
from calls
where ingest_id > $after_ingest_id and ingest_id <= $through_ingest_id
group by trace_id;

create or replace temp table derived_continued_traces as
select distinct trace_id
from calls
semi join derived_batch_traces using (trace_id)
where ingest_id <= $after_ingest_id;

update calls set trace_started_at = anchors.trace_started_at
from (
    select trace_id, min(started_at) as trace_started_at
    from calls
    semi join derived_continued_traces using (trace_id)
    group by trace_id
    union all
    select trace_id, first_started_at
    from derived_batch_traces
    anti join derived_continued_traces using (trace_id)
    where call_count > 1 or has_missing_anchor
) as anchors
where calls.trace_id = anchors.trace_id and calls.trace_started_at is distinct from anchors.trace_started_at;

drop table derived_batch_traces;
