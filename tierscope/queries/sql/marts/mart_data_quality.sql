-- params: start_at, end_at, task_types, teams, providers
-- Data-quality counters for the scope, one row: what was loaded, and what could not be attributed or priced.
-- Quarantine and duplicate counts come from the ingest ledger (they have no call time, so no scope applies).
with call_groups as (
    select * from int_call_groups_in_scope(start_at, end_at, task_types, teams, providers)
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
        coalesce(sum(calls), 0)::bigint as calls,
        coalesce(sum(calls) filter (where task_type = 'unknown'), 0)::bigint as unknown_task_calls,
        coalesce(sum(calls) filter (where is_unattributed), 0)::bigint as unattributed_calls,
        coalesce(sum(calls) filter (where not is_priced), 0)::bigint as unpriced_calls,
        coalesce(sum(calls) filter (where served_tier = 'untiered'), 0)::bigint as untiered_calls,
        coalesce(sum(calls) filter (where status = 'error'), 0)::bigint as error_calls,
        min(first_started_at) as first_started_at,
        max(last_started_at) as last_started_at
    from call_groups
),

combined as (
    select call_totals.*, ingest_totals.* from call_totals cross join ingest_totals
)

select * from combined
