-- Derived tables of older tierscope versions, now read from calls as needed: each call priced as it is read
-- (int_priced_calls), each trace grouped from its calls (int_traces); a refresh's trace changes are a temp table
-- (steps/refresh_new_ingests.sql).
drop table if exists priced_calls;
drop table if exists traces;
drop table if exists trace_rollup_changes;
