-- The ledger row of one ingest: rows_read = loaded + duplicates + quarantined by construction. $rows_read (records
-- staged) and $quarantined (records rejected) come from the load; loaded is counted in calls.
update ingests set
    finished_at = $now,
    skipped = $skipped,
    rows_read = counts.rows_read,
    loaded = counts.loaded,
    quarantined = counts.quarantined,
    duplicates = counts.rows_read - counts.loaded - counts.quarantined
from (
    select
        $rows_read::bigint as rows_read,
        (select count(*) from calls where ingest_id = $ingest_id) as loaded,
        $quarantined::bigint as quarantined
) as counts
where ingests.ingest_id = $ingest_id
returning ingests.rows_read, ingests.loaded, ingests.duplicates, ingests.quarantined
