-- params: row_limit
-- The latest quarantined records with where they came from and every reason. grain: one row per record.
with quarantined as (
    select * from quarantine
),

latest as (
    select source, source_line, reason, raw_text, ingest_id, quarantined_at
    from quarantined
    order by quarantined_at desc, ingest_id desc, source_line
    limit row_limit
)

select * from latest
