-- One profiling run: its ledger row, its usable results, and its unusable ones in quarantine (ingest_id = -run_id).
insert into profiling_runs
select
    nextval('profiling_run_id_seq'), $source, $fingerprint, $now, count(*),
    count(*) filter (where reject_reason is null), count(*) filter (where reject_reason is not null)
from profiling_typed;

insert into profiling_results
select
    currval('profiling_run_id_seq'), source_line, prompt_id, task_type, tier, model, passed, score, input_tokens,
    output_tokens, latency_ms
from profiling_typed
where reject_reason is null;

insert into quarantine by name
select
    -currval('profiling_run_id_seq') as ingest_id,
    $source as source,
    $fingerprint as source_fingerprint,
    source_line,
    'profiling: ' || reject_reason as reason,
    known_fields,
    $now as quarantined_at
from profiling_typed
where reject_reason is not null;

select run_id, rows_read, loaded, quarantined from profiling_runs where run_id = currval('profiling_run_id_seq');
