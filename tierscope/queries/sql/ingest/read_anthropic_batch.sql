-- Anthropic Message Batches results (ingest_records: one result per line) -> calls as text (ingest_read); see
-- ingest/formats/anthropic_batch.py. grain: one row per line. Anthropic's input_tokens exclude cache reads and cache
-- writes, so input = input_tokens + cache_read_input_tokens + cache_creation_input_tokens (the contract's input).
-- Results carry no time: calls take the file's modification time ($file_time).
with results as (
    select * rename (parsed as batch_result), md5(record::varchar) as record_hash
    from reader_records('{
        "custom_id": "VARCHAR",
        "result": {"type": "VARCHAR", "message": {"id": "VARCHAR", "model": "VARCHAR", "usage": {
            "input_tokens": "VARCHAR", "output_tokens": "VARCHAR", "cache_read_input_tokens": "VARCHAR",
            "cache_creation_input_tokens": "VARCHAR"
        }}}
    }')
),

unpacked as (
    select
        results.*,
        batch_result.result.message.usage as usage,
        custom_id_attributes(batch_result.custom_id) as attributes
    from results
),

calls as (
    select
        -- an errored request has no message id; its custom_id and content identify it
        coalesce(
            batch_result.result.message.id,
            -- (a custom_id that is an object stays one, and is rejected as such)
            case when is_structured(batch_result.custom_id) then batch_result.custom_id
                 else batch_result.custom_id || '#' || left(record_hash, 12) end
        ) as request_id,
        json_extract_string(attributes, '$.trace_id') as trace_id,
        $file_time as started_at,
        null as task_type,
        null as requested_model,
        batch_result.result.message.model as served_model,
        'anthropic' as provider,
        coalesce(
            token_sum([usage.input_tokens, usage.cache_read_input_tokens, usage.cache_creation_input_tokens]), '0'
        ) as input_tokens,
        coalesce(usage.output_tokens, '0') as output_tokens,
        usage.cache_read_input_tokens as cached_input_tokens,
        usage.cache_creation_input_tokens as cache_write_tokens,
        null as reasoning_tokens,
        null as latency_ms,
        case batch_result.result.type when 'succeeded' then 'success' else 'error' end as status,
        null as escalated,
        null as quality_passed,
        null as reported_cost_usd,
        'batch' as service_tier,
        json_extract_string(attributes, '$.user_id') as user_id,
        json_extract_string(attributes, '$.team') as team,
        json_extract_string(attributes, '$.feature') as feature,
        null as tags,
        attributes,
        source_line,
        record_element,
        is_malformed,
        reader_reason,
        -- canceled and expired requests were never sent to a model
        is_malformed or coalesce(batch_result.result.type not in ('canceled', 'expired'), true) as is_model_call
    from unpacked
)

select * from calls
