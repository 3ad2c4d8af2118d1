-- params: start_at, end_at, task_types, teams, providers
-- Cost per user (user_id as logged; '(none)' without one), in the shape of mart_cost_by (dimension_value first).
-- grain: one row per user. The daily rollups do not keep users, so this reads the calls of the scope themselves
-- (int_calls_in_scope): narrow the dates on a large database. requests counts the distinct traces a user's calls
-- belong to: a trace whose calls name two users counts for each.
with calls as (
    select * from int_calls_in_scope(start_at, end_at, task_types, teams, providers)
),

by_user as (
    select
        coalesce(user_id, '(none)') as dimension_value,
        count(distinct trace_id) as requests,
        count(*) as calls,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        sum(cost_usd) as cost_usd,
        count(*) filter (where not is_priced) as unpriced_calls
    from calls
    group by all
    order by cost_usd desc nulls last, dimension_value
)

select * from by_user
