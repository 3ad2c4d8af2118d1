-- The valid records of ingest_typed not loaded before (the view ingest_new_calls of the load with dedup): the first
-- occurrence of each request_id in the file, when no stored call has it.
-- Duplicates are found on narrow (request_id, source_line) pairs and skipped by line, so the wide rows are never
-- grouped or sorted: a file without duplicates costs two small hash aggregates and one streaming insert.
with candidates as (
    select * from ingest_typed where reject_reason is null
),

already_loaded as (
    select candidates.source_line
    from candidates
    semi join calls using (request_id)
),

repeated as (
    select request_id, min(source_line) as first_line
    from candidates
    group by request_id
    having count(*) > 1
),

later_copies as (
    select candidates.source_line
    from candidates
    join repeated using (request_id)
    where candidates.source_line > repeated.first_line
),

skipped_lines as (
    select source_line from already_loaded
    union
    select source_line from later_copies
),

new_calls as (
    select candidates.*
    from candidates
    anti join skipped_lines using (source_line)
)

select * from new_calls
