-- params: row_limit
-- The latest quarantined records: where each is (source, line, byte offset and length in the file as read, sha256 of
-- its bytes), every reason and its known scalar fields (JSON); never the record's text. grain: one row per record.
with quarantined as (
    select * from quarantine
),

latest as (
    select
        source, source_line, byte_offset, byte_length, record_sha256, reason, known_fields, ingest_id, quarantined_at
    from quarantined
    order by quarantined_at desc, ingest_id desc, source_line
    limit row_limit
)

select * from latest
