-- The derived tables could not be brought up to date (queries/db.py): say why in derived_state. A database whose
-- derived_state is missing gets one with no fingerprint, so that the next open rebuilds everything.
create table if not exists derived_state (
    config_fingerprint varchar,
    built_at timestamp,
    through_ingest_id bigint,
    stale_reason varchar
);

alter table derived_state add column if not exists stale_reason varchar;

insert into derived_state (config_fingerprint, built_at, through_ingest_id)
select null, null, 0
where not exists (select 1 from derived_state);

update derived_state set stale_reason = $reason;
