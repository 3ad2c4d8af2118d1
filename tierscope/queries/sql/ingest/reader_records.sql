-- reader_records(shape): what every reader of an export (read_*.sql) starts from, declared once: each staged record
-- of ingest_records (ingest/formats/records.py) with where it is (source_line, record_element), why it could not be
-- read (reader_reason, is_malformed), the record as JSON, and the record read into the reader's from_json structure
-- (shape: JSON text of DuckDB types) as parsed; a reader renames parsed after what a record is (payload,
-- spend_log...). A temporary macro, made once the records are staged: DuckDB resolves a table macro's tables when it
-- is created.
create or replace temp macro reader_records(shape) as table
    select
        source_line,
        record_element,
        reader_reason,
        record is null as is_malformed,
        record,
        from_json(record, shape) as parsed
    from ingest_records;
