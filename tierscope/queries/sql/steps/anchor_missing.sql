-- Calls stored before calls had trace_started_at (an older tierscope) get their trace's anchor, before a rebuild
-- reads them. Reads only row groups that hold a NULL anchor: nothing once done.
update calls set trace_started_at = anchors.trace_started_at
from (
    select trace_id, min(started_at) as trace_started_at
    from calls
    semi join (select trace_id from calls where trace_started_at is null) as missing using (trace_id)
    group by trace_id
) as anchors
where calls.trace_id = anchors.trace_id and calls.trace_started_at is distinct from anchors.trace_started_at;
