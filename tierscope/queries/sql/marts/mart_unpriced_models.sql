-- params: start_at, end_at, task_types, teams, providers
-- Models that answered calls but have no price in effect: never costed as $0, listed here instead.
-- grain: one row per model name as logged. reason: not in the price book, or no price in effect at that time.
with calls as (
    select * from int_call_exceptions_in_scope(start_at, end_at, task_types, teams, providers)
),

unpriced as (
    select
        coalesce(served_model, requested_model, '(none)') as model_name,
        case when priced_model is null then 'not in the price book'
             else 'no price in effect at started_at' end as reason,
        count(*) as calls,
        count(distinct task_type) as task_types,
        sum(input_tokens)::bigint as input_tokens,
        sum(output_tokens)::bigint as output_tokens,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at
    from calls
    where not is_priced
    group by all
    order by calls desc, model_name
)

select * from unpriced
