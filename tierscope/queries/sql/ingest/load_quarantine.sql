-- Records that failed validation go to quarantine with source, line, raw text and every reason.
-- A record already quarantined from the same file content (fingerprint + line) is counted again but not stored twice.
insert into quarantine (ingest_id, source, source_fingerprint, source_line, raw_text, reason, quarantined_at)
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

select $ingest_id, $source, $fingerprint, source_line, raw_text, reject_reason, $now
from new_rejects
