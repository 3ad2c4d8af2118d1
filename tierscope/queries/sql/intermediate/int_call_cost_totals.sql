-- params: keyed_calls
-- The cost measures every call-level mart shows, written once: the call groups of the relation named keyed_calls
-- (its key columns, plus calls, input_tokens, output_tokens, cost_usd and is_priced from int_call_groups) summed
-- per its key columns. calls counts model calls; cost_usd sums priced calls only (NULL when none is), and
-- unpriced_calls says how many were left out (never counted as $0). grain: one row per key.
with keyed as (
    select * from query_table(keyed_calls)
),

totals as (
    select
        * exclude (calls, input_tokens, output_tokens, cost_usd, is_priced),
        sum(calls)::bigint as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        coalesce(sum(calls) filter (where not is_priced), 0)::bigint as unpriced_calls
    from keyed
    group by all
)

select * from totals
