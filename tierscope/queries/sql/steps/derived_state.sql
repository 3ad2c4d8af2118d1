-- What the derived tables were built with (the config fingerprint), how far they reach (the last ingest in them) and,
-- when they could not be brought up to date, why (stale_reason; steps/mark_stale.sql, cleared by a refresh).
create or replace table derived_state as
select
    $fingerprint as config_fingerprint,
    now() as built_at,
    (select coalesce(max(ingest_id), 0) from ingests) as through_ingest_id,
    null::varchar as stale_reason
