-- params: start_at, end_at, task_types, teams, providers
-- Data-quality counters for the scope, one row: what was loaded, and what could not be attributed or priced.
-- Quarantine and duplicate counts come from the ingest ledger (they have no call time, so no scope applies).
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

ingest_totals as (
    select
        count(*) as ingests,
        coalesce(sum(rows_read), 0)::bigint as rows_read,
        coalesce(sum(duplicates), 0)::bigint as duplicates,
        coalesce(sum(quarantined), 0)::bigint as quarantined
    from ingests
),

call_totals as (
    select
        count(*) as calls,
        count(*) filter (where task_type = 'unknown') as unknown_task_calls,
        count(*) filter (where is_unattributed) as unattributed_calls,
        count(*) filter (where not is_priced) as unpriced_calls,
        count(*) filter (where served_tier = 'untiered') as untiered_calls,
        count(*) filter (where status = 'error') as error_calls,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at
    from calls
),

combined as (
    select call_totals.*, ingest_totals.* from call_totals cross join ingest_totals
)

select * from combined
