-- The temp relations of one ingest that exist on this connection, views and tables (ingest_typed is a view in a
-- load without dedup and a table in the one with dedup; the generic JSON reader's ingest_stage is a view over
-- ingest_stage_records), so that ingest/load.py drops each with the right statement, views first.
select view_name as name, 'view' as kind
from duckdb_views()
where temporary and view_name in ('ingest_new_calls', 'ingest_typed', 'ingest_stage')
union all
select table_name as name, 'table' as kind
from duckdb_tables()
where temporary and table_name in ('ingest_typed', 'ingest_stage', 'ingest_stage_records')
