-- int_priced_calls materialised: one row per call, what every mart reads. Rebuilt from scratch when the price book,
-- the routing map or the derivation SQL changes (queries/db.py); kept current by ingest (maintain_derived.sql).
create or replace table priced_calls as select * from int_priced_calls
