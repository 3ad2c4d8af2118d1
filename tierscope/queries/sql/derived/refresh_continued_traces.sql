-- Traces continued by new ingests: recomputed from all of their calls (only run when there are some). The rollups
-- take out the old version of each (-1) and take in the new one (+1).
insert into trace_rollup_changes by name
select *, -1 as sign from traces
semi join derived_continued_traces using (trace_id);

delete from traces where trace_id in (select trace_id from derived_continued_traces);

insert into traces
select * from int_traces(null)
semi join derived_continued_traces using (trace_id);

insert into trace_rollup_changes by name
select *, 1 as sign from traces
semi join derived_continued_traces using (trace_id);
