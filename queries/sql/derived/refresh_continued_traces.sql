-- Traces continued by new ingests: recomputed from all of their calls (only run when there are some).
delete from traces where trace_id in (select trace_id from derived_continued_traces);

insert into traces
select * from int_traces(null)
semi join derived_continued_traces using (trace_id);
