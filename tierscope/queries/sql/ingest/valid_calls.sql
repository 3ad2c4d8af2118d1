-- The valid records of ingest_typed, all new (the view ingest_new_calls of a straight load: straight_check.sql found
-- nothing to dedup).
select * from ingest_typed where reject_reason is null
