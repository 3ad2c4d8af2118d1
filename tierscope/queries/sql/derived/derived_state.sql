-- What the derived tables were built with (the config fingerprint) and how far they reach (the last ingest in them).
create or replace table derived_state as
select
    $fingerprint as config_fingerprint,
    now() as built_at,
    (select coalesce(max(ingest_id), 0) from ingests) as through_ingest_id
