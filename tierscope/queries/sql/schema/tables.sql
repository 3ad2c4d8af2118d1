-- The stored tables: calls, quarantined input, and the ingest ledger. Config tables (cfg_*) are rewritten from the
-- YAML files every time a connection opens (queries/db.py), so they are not declared here.
create sequence if not exists ingest_id_seq start 1;

create table if not exists ingests (
    ingest_id bigint primary key,
    source varchar not null,
    source_format varchar not null,
    source_fingerprint varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    rows_read bigint not null default 0,
    loaded bigint not null default 0,
    duplicates bigint not null default 0,
    quarantined bigint not null default 0,
    -- records that are not model calls (e.g. non-LLM OpenTelemetry spans): not part of rows_read
    skipped bigint not null default 0
);

-- databases made before the calls table had its name (it was `requests`) keep their rows under the new one
alter table if exists requests rename to calls;

-- The one declaration of each canonical field's type (its name is listed in ingest/fields.py). It lives here because
-- this table is what stores a call, and every other use asks it: validation (ingest/normalize.sql) converts the staged
-- text into these types (tests/test_formats.py checks they agree), and the generic reader reads the DOUBLE and
-- BOOLEAN fields typed by reading them from the database (fields.field_types), not from a list of its own.
create table if not exists calls (
    request_id varchar not null,
    trace_id varchar not null,
    started_at timestamp not null,
    task_type varchar not null,
    requested_model varchar,
    served_model varchar,
    provider varchar,
    input_tokens bigint not null,
    output_tokens bigint not null,
    cached_input_tokens bigint not null,
    cache_write_tokens bigint not null,
    reasoning_tokens bigint not null,
    latency_ms double,
    status varchar not null,
    escalated boolean not null,
    quality_passed boolean,
    reported_cost_usd double,
    service_tier varchar,
    user_id varchar,
    team varchar,
    feature varchar,
    tags varchar[],
    source varchar not null,
    source_line bigint,
    ingest_id bigint not null,
    ingested_at timestamp not null,
    -- for a call whose task type is unknown: the keys of its source attributes a task_type_from rule could read
    -- (keys only, never values); NULL otherwise
    attribute_keys varchar[],
    -- the time of its trace's first call (the trace's anchor: a trace counts on that day). Calls are stored in ingest
    -- order, nearly time order, so a scan for the traces of a time range reads only that range's row groups. Set by
    -- the load as started_at, corrected for traces of several calls by steps/anchor_traces.sql.
    trace_started_at timestamp,
    -- where started_at comes from: log (the record's own time), file (the file's modification time: batch results
    -- carry no time) or given (`tierscope ingest --started-at`, for such records). Only log and given times say how
    -- recent the data is (mart_freshness).
    time_source varchar
);
-- databases made before these columns existed gain them (at the end: inserts name their columns)
alter table calls add column if not exists attribute_keys varchar[];
alter table calls add column if not exists trace_started_at timestamp;
alter table calls add column if not exists time_source varchar;
-- a content-based router's decision (docs/router.md), NULL for a call no router decided; added after attribute_keys in
-- every database, new or old, so inserts list them last
alter table calls add column if not exists router_name varchar;
alter table calls add column if not exists router_type varchar;
alter table calls add column if not exists router_tier varchar;
alter table calls add column if not exists routed_model varchar;
alter table calls add column if not exists savings_baseline_model varchar;
alter table calls add column if not exists classifier_model varchar;
alter table calls add column if not exists classifier_cost_usd double;
alter table calls add column if not exists router_escalated boolean;
alter table calls add column if not exists router_context_escalated boolean;
alter table calls add column if not exists router_cause varchar;
alter table calls add column if not exists router_score double;
alter table calls add column if not exists autorouter_savings_usd double;

-- Records that could not be loaded: where they are (the line they start on, their byte offset and length in the file
-- as read, decompressed, and the sha256 of their bytes: enough to find and compare them), every reason, and their
-- known scalar fields (JSON, each value cut to 100 characters). Never a record's text, which may carry prompts.
create table if not exists quarantine (
    ingest_id bigint not null,
    source varchar not null,
    source_fingerprint varchar not null,
    source_line bigint,
    byte_offset bigint,
    byte_length bigint,
    record_sha256 varchar,
    reason varchar not null,
    known_fields varchar,
    quarantined_at timestamp not null
);
-- databases made when quarantine kept each record's raw text: queries/db.py rewrites the file without it (a dropped
-- column's bytes would stay in the file); here, the columns that replaced it
alter table quarantine add column if not exists byte_offset bigint;
alter table quarantine add column if not exists byte_length bigint;
alter table quarantine add column if not exists record_sha256 varchar;
alter table quarantine add column if not exists known_fields varchar;

-- Synthetic profiling runs: each sample prompt run on each tier and graded by a quality oracle.
create sequence if not exists profiling_run_id_seq start 1;

create table if not exists profiling_runs (
    run_id bigint primary key,
    source varchar not null,
    source_fingerprint varchar not null,
    loaded_at timestamp not null,
    rows_read bigint not null,
    loaded bigint not null,
    quarantined bigint not null
);

create table if not exists profiling_results (
    run_id bigint not null,
    source_line bigint,
    prompt_id varchar not null,
    task_type varchar not null,
    tier varchar,
    model varchar,
    passed boolean not null,
    score double,
    input_tokens bigint,
    output_tokens bigint,
    latency_ms double
);

-- Streaming ingest (ingest/stream.py, ingest/spool.py). A tailed file's committed byte offset, keyed by the file's
-- identity (device, inode) so a rotated (renamed) file keeps its offset; head_hash (sha256 of its first
-- min(1024, committed_offset) bytes) tells a new file that reuses an inode from the one the offset belongs to.
-- Rows and offset commit in one transaction.
create table if not exists stream_offsets (
    device ubigint not null,
    inode ubigint not null,
    path varchar not null,
    committed_offset bigint not null,
    head_hash varchar not null,
    committed_at timestamp not null,
    primary key (device, inode)
);

-- Spool files whose rows are committed but which may not be deleted yet: written in the load's transaction,
-- removed once the files are gone. A drain that finds names here (its predecessor crashed in between) deletes
-- those files instead of loading them again.
create table if not exists spool_loaded (
    file_name varchar not null,
    loaded_at timestamp not null
);
