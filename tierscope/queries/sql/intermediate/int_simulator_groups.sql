-- params: source, by_scope
-- Trace groups (the rows of the table or CTE named source: trace_rollup, or a scope's groups) folded to what the
-- what-if simulator looks at (mart_whatif.sql): day, task type, the tier and model that first served a trace and the
-- tier that answered, escalation, unpriced calls, the answer's price variant and input band, with the sums the
-- simulator prices; with by_scope, also the scope's other dimensions (team, provider), as simulator_rollup keeps
-- them. The other dimensions (feature, requested and default tier, models) are summed away.
-- grain: one row per day x those keys; requests counts traces.
select
    day,
    task_type,
    case when by_scope then team end as team,
    case when by_scope then provider end as provider,
    first_served_tier,
    first_served_model,
    final_served_tier_rank,
    is_escalated,
    has_unpriced_call,
    answer_price_variant,
    answer_input_band_lower,
    answer_input_band_upper,
    sum(requests)::bigint as requests,
    sum(cost_usd) as cost_usd,
    sum(answer_input_tokens)::hugeint as answer_input_tokens,
    sum(answer_cached_input_tokens)::hugeint as answer_cached_input_tokens,
    sum(answer_cache_write_tokens)::hugeint as answer_cache_write_tokens,
    sum(answer_output_tokens)::hugeint as answer_output_tokens,
    sum(answer_reasoning_tokens)::hugeint as answer_reasoning_tokens
from query_table(source)
group by all
