-- int_priced_calls materialised: one row per call, in the order the calls were stored (ingest order, which for logs
-- is nearly time order, so a time range reads few row groups). Rebuilt from scratch when the price book, the routing
-- map or the derivation SQL changes (queries/db.py); kept current by ingest (refresh_new_ingests.sql).
create or replace table priced_calls as select * from int_priced_calls
