-- Helicone request exports (ingest_records: one request per record) -> calls as text (ingest_read); see
-- ingest/formats/helicone.py. grain: one row per request. Helicone keeps token buckets that exclude each other:
-- prompt_tokens are the uncached input, prompt_cache_read_tokens and prompt_cache_write_tokens the cached and
-- cache-write input, completion_tokens the output without reasoning_tokens. So input = prompt + cache read + cache
-- write, output = completion + reasoning. Cost: Helicone's database stores USD x 1e9 (COST_PRECISION_MULTIPLIER); its
-- API and export tool divide it back to USD, a raw table dump (organization_id, no response_status) does not.
with requests as (
    select * rename (parsed as request)
    from reader_records('{
        "request_id": "VARCHAR", "response_id": "VARCHAR", "organization_id": "VARCHAR",
        "request_created_at": "VARCHAR", "response_status": "VARCHAR", "status": "VARCHAR",
        "request_user_id": "VARCHAR", "user_id": "VARCHAR", "request_properties": "JSON", "properties": "JSON",
        "provider": "VARCHAR", "delay_ms": "VARCHAR", "latency": "VARCHAR", "request_model": "VARCHAR",
        "response_model": "VARCHAR", "model": "VARCHAR", "model_override": "VARCHAR",
        "prompt_tokens": "VARCHAR", "completion_tokens": "VARCHAR", "reasoning_tokens": "VARCHAR",
        "prompt_cache_read_tokens": "VARCHAR", "prompt_cache_write_tokens": "VARCHAR",
        "cost": "VARCHAR", "costUSD": "VARCHAR"
    }')
),

unpacked as (
    select
        requests.*,
        -- custom properties (Helicone-Property-<Name> headers), keys read as lower case with '_' for '-':
        -- Task-Type -> task_type; a name given twice keeps its first value
        list_reduce(
            list_transform(
                json_keys(json_merge_patch(json_object_or_empty(request.properties),
                                           json_object_or_empty(request.request_properties))),
                lambda property_name: json_object(
                    replace(lower(property_name), '-', '_'),
                    json_extract_string(
                        json_merge_patch(json_object_or_empty(request.properties),
                                         json_object_or_empty(request.request_properties)),
                        '$."' || replace(property_name, '"', '\"') || '"'
                    )
                )
            ),
            lambda merged, property_object: json_merge_patch(property_object, merged),
            '{}'::json
        ) as properties,
        request.organization_id is not null and request.response_status is null as is_raw_table_dump
    from requests
),

calls as (
    select
        coalesce(request.request_id, request.response_id) as request_id,
        json_extract_string(properties, '$.trace_id') as trace_id,
        request.request_created_at as started_at,
        null as task_type,
        coalesce(request.model_override, request.request_model, request.model) as requested_model,
        coalesce(request.response_model, request.model, request.request_model) as served_model,
        lower(request.provider) as provider,
        coalesce(
            token_sum([request.prompt_tokens, request.prompt_cache_read_tokens, request.prompt_cache_write_tokens]),
            '0'
        ) as input_tokens,
        coalesce(token_sum([request.completion_tokens, request.reasoning_tokens]), '0') as output_tokens,
        request.prompt_cache_read_tokens as cached_input_tokens,
        request.prompt_cache_write_tokens as cache_write_tokens,
        request.reasoning_tokens as reasoning_tokens,
        coalesce(request.delay_ms, request.latency) as latency_ms,
        case when try_cast(coalesce(request.response_status, request.status) as integer) between 200 and 299
             then 'success' else 'error' end as status,
        null as escalated,
        null as quality_passed,
        coalesce(
            request.costUSD,
            case when is_raw_table_dump then (try_cast(request.cost as double) / 1e9)::varchar else request.cost end
        ) as reported_cost_usd,
        null as service_tier,
        nullif(coalesce(request.request_user_id, request.user_id), '') as user_id,
        json_extract_string(properties, '$.team') as team,
        json_extract_string(properties, '$.feature') as feature,
        null as tags,
        properties as attributes,
        source_line,
        record_element,
        is_malformed,
        reader_reason,
        true as is_model_call
    from unpacked
)

select * from calls
