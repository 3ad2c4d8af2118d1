-- Derived tables of older tierscope versions, now read from calls as needed: each call priced as it is read
-- (int_priced_calls), each trace grouped from its calls (int_traces).
drop table if exists priced_calls;
drop table if exists traces;
