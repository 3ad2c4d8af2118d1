-- Records that failed validation go to quarantine with where they are (source, line, byte offset and length, the
-- sha256 of their bytes), every reason and their known scalar fields; never their text.
-- A record already quarantined from the same file content (fingerprint + line) is counted again but not stored twice.
insert into quarantine by name
with rejected as (
    select * from ingest_typed where reject_reason is not null
),

new_rejects as (
    select rejected.*
    from rejected
    where not exists (
        select 1 from quarantine
        where quarantine.source_fingerprint = $fingerprint and quarantine.source_line = rejected.source_line
    )
)

select
    $ingest_id as ingest_id,
    $source as source,
    $fingerprint as source_fingerprint,
    source_line,
    byte_offset,
    byte_length,
    record_sha256,
    reject_reason as reason,
    known_fields,
    $now as quarantined_at
from new_rejects
