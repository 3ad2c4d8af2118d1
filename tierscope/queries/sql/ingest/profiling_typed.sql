-- A profiling results file (staged as text in profiling_stage) -> typed rows plus a reject reason.
-- grain: one row per result line. A result needs prompt_id, task_type, tier or model, and passed.
with staged as (
    select * from profiling_stage
),

parsed as (
    select
        *,
        try_cast(lower(trim(passed)) as boolean) as passed_value,
        count_number(input_tokens) as input_tokens_value,
        count_number(output_tokens) as output_tokens_value,
        try_cast(score as double) as score_value,
        try_cast(latency_ms as double) as latency_ms_value
    from staged
),

checked as (
    select
        *,
        nullif(concat_ws('; ',
            case when is_malformed then 'not valid JSON, or an object with no known field' end,
            case when not is_malformed and nullif(trim(prompt_id), '') is null then 'prompt_id: missing (required)' end,
            case when not is_malformed and nullif(trim(task_type), '') is null then 'task_type: missing (required)' end,
            case when not is_malformed and nullif(trim(tier), '') is null and nullif(trim(model), '') is null
                 then 'tier or model: missing (one is required)' end,
            case when not is_malformed and passed_value is null then
                'passed: ' || shown_value(coalesce(passed, '')) || ' is not true or false (required)' end,
            token_problem('input_tokens', input_tokens, input_tokens_value, is_malformed, false),
            token_problem('output_tokens', output_tokens, output_tokens_value, is_malformed, false),
            case when score is not null and score_value is null then
                'score: ' || shown_value(score) || ' is not a number' end,
            case when latency_ms is not null and latency_ms_value is null then
                'latency_ms: ' || shown_value(latency_ms) || ' is not a number' end
        ), '') as reject_reason
    from parsed
),

typed as (
    select
        source_line,
        trim(prompt_id) as prompt_id,
        trim(task_type) as task_type,
        nullif(lower(trim(tier)), '') as tier,
        nullif(trim(model), '') as model,
        passed_value as passed,
        score_value as score,
        try_cast(input_tokens_value as bigint) as input_tokens,
        try_cast(output_tokens_value as bigint) as output_tokens,
        latency_ms_value as latency_ms,
        reject_reason,
        case when reject_reason is not null then known_fields_json([
            {'key': 'prompt_id', 'value': prompt_id::varchar}, {'key': 'task_type', 'value': task_type::varchar},
            {'key': 'tier', 'value': tier::varchar}, {'key': 'model', 'value': model::varchar},
            {'key': 'passed', 'value': passed::varchar}, {'key': 'score', 'value': score::varchar},
            {'key': 'input_tokens', 'value': input_tokens::varchar},
            {'key': 'output_tokens', 'value': output_tokens::varchar},
            {'key': 'latency_ms', 'value': latency_ms::varchar}
        ]) end as known_fields
    from checked
)

select * from typed
