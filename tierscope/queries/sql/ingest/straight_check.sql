-- Whether the staged file may go straight into calls (valid_calls.sql), in the load's transaction: every
-- request_id new, none twice in the file and none stored before, so there is nothing to dedup. A sufficient check:
-- a file failing it (even by a hash collision) takes the load with dedup, which dedups exactly.
with staged as (
    select clean_text(request_id) as request_id from ingest_stage
)

select
    count(*) as rows_read,
    count(request_id) as ids,
    count(distinct hash(request_id)) filter (where request_id is not null) as distinct_ids,
    (
        select count(*)
        from ingest_stage
        semi join calls on calls.request_id = clean_text(ingest_stage.request_id)
    ) as already_loaded
from staged
