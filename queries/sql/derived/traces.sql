-- int_traces materialised: one row per trace. Rebuilt with priced_calls; kept current by ingest.
create or replace table traces as select * from int_traces(null)
