-- int_traces materialised: one row per trace, in time order (so a time range reads only its row groups). Rebuilt
-- with priced_calls; kept current by ingest.
create or replace table traces as select * from int_traces(null) order by started_at
