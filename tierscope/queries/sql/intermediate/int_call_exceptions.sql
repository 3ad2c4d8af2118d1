-- params: after_ingest_id, through_ingest_id
-- The calls the data-quality and reconciliation views list one by one: unpriced, unattributed (no served model), of
-- unknown task type, or priced with a source-reported cost that differs from the computed one by more than 0.1%
-- (the smallest reconciliation tolerance these rows answer; a smaller one reads every call). Few in a healthy log,
-- so the derived table call_exceptions keeps them apart. Reads the calls of the ingests in
-- (after_ingest_id, through_ingest_id] (NULL = no bound). grain: one row per call (all int_priced_calls columns).
with calls as (
    select *
    from int_priced_calls
    where (after_ingest_id is null or ingest_id > after_ingest_id)
      and (through_ingest_id is null or ingest_id <= through_ingest_id)
),

exceptions as (
    select *
    from calls
    where not is_priced
       or is_unattributed
       or task_type = 'unknown'
       or (reported_cost_usd is not null
           and abs(reported_cost_usd - cost_usd) > 0.001 * greatest(abs(cost_usd), 1e-9))
)

select * from exceptions
