-- int_priced_calls materialised: one row per call, in time order (so a time range reads only its row groups).
-- Rebuilt from scratch when the price book, the routing map or the derivation SQL changes (queries/db.py); kept
-- current by ingest (refresh_new_ingests.sql).
create or replace table priced_calls as select * from int_priced_calls order by started_at
