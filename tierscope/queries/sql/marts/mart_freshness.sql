-- How fresh the data is, for the dashboard's live mode. grain: one row. latest_started_at: the newest call the marts
-- see (UTC) by a time the log gave (or `ingest --started-at`), not a batch file's modification time, unless no call
-- has one; last_ingest_at: when the newest ingest committed (UTC); latest_ingest_id and calls (what the marts
-- see: a call ingested but not yet taken into the derived tables counts once they catch up).
with call_groups as (
    select * from call_rollup
),

ledger as (
    select * from ingests
),

call_totals as (
    select
        coalesce(max(last_started_at) filter (where time_source <> 'file'), max(last_started_at)) as latest_started_at,
        coalesce(sum(calls), 0)::bigint as calls
    from call_groups
),

ingest_totals as (
    select max(finished_at) as last_ingest_at, coalesce(max(ingest_id), 0) as latest_ingest_id from ledger
),

freshness as (
    select
        call_totals.latest_started_at,
        ingest_totals.last_ingest_at,
        ingest_totals.latest_ingest_id,
        call_totals.calls
    from call_totals
    cross join ingest_totals
)

select * from freshness
