-- params: row_limit
-- The ingest ledger, newest first. grain: one row per loaded file, with rows_read = loaded + duplicates + quarantined.
with ledger as (
    select * from ingests
),

latest as (
    select * from ledger order by ingest_id desc limit row_limit
)

select * from latest
