-- The calls listed one by one on the data page and by reconciliation (int_call_exceptions over every call).
-- Rebuilt when the config or the SQL changes; kept current by steps/refresh_new_ingests.sql.
create or replace table call_exceptions as
select * from int_call_exceptions(null, null) order by started_at
