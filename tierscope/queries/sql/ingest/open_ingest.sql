-- The ledger row of one ingest, first write of its transaction; record_counts.sql completes it.
insert into ingests (ingest_id, source, source_format, source_fingerprint, started_at)
values (nextval('ingest_id_seq'), $source, $format, $fingerprint, $now)
returning ingest_id
