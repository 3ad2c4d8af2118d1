-- params: from_at := '-infinity', to_at := 'infinity', also_from_at := 'infinity', also_to_at := 'infinity', after_ingest_id := null, through_ingest_id := null
-- The priced calls a rollup is grouped from: started in [from_at, to_at) or [also_from_at, also_to_at) (a scope's
-- two partial days at once), of the ingests in (after_ingest_id, through_ingest_id] (NULL = no bound).
-- grain: one row per call.
with calls as (
    select *
    from int_priced_calls
    where ((started_at >= from_at::timestamp and started_at < to_at::timestamp)
           or (started_at >= also_from_at::timestamp and started_at < also_to_at::timestamp))
      and (after_ingest_id is null or ingest_id > after_ingest_id)
      and (through_ingest_id is null or ingest_id <= through_ingest_id)
)

select * from calls
