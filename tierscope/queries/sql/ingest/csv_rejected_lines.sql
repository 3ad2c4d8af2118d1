-- The lines read_csv rejected (store_rejects), one row each with the first error DuckDB reported for it (the line's
-- text is not kept).
create or replace temp table ingest_csv_rejected_lines as
select
    line,
    arg_min('CSV ' || lower(error_type) || ': ' || error_message, column_idx) as reason
from ingest_csv_rejects
group by line
