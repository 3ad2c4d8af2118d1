-- Langfuse observations (ingest_records: one observation per record) -> calls as text (ingest_read); see
-- ingest/formats/langfuse.py. grain: one row per observation; only GENERATION and EMBEDDING observations are model
-- calls. Langfuse's usage types exclude each other: "input" is the uncached input and cached / cache-write tokens
-- have usage types of their own (input_cached_tokens, cache_read_input_tokens, cache_creation_input_tokens), as
-- "output" excludes output_reasoning_tokens. Langfuse sums every usage type whose name contains "input" (or
-- "output") into input (output) usage, and so does this query: that is the contract's inclusive input / output.
with observations as (
    select * rename (parsed as observation)
    from reader_records('{
        "id": "VARCHAR", "traceId": "VARCHAR", "type": "VARCHAR", "startTime": "VARCHAR", "endTime": "VARCHAR",
        "latency": "VARCHAR", "model": "VARCHAR", "providedModelName": "VARCHAR",
        "usageDetails": "MAP(VARCHAR, VARCHAR)", "usage": {"input": "VARCHAR", "output": "VARCHAR"},
        "costDetails": "MAP(VARCHAR, DOUBLE)", "totalCost": "VARCHAR", "calculatedTotalCost": "VARCHAR",
        "level": "VARCHAR", "metadata": "JSON", "userId": "VARCHAR", "tags": "JSON", "traceTags": "JSON"
    }')
),

usage_types as (
    select
        observations.*,
        map_entries(coalesce(observation.usageDetails, map())) as usage_entries,
        json_object_or_empty(observation.metadata) as metadata
    from observations
),

calls as (
    select
        observation.id as request_id,
        observation.traceId as trace_id,
        observation.startTime as started_at,
        null as task_type,
        coalesce(json_extract_string(metadata, '$.requested_model'), json_extract_string(metadata, '$.ls_model_name'))
            as requested_model,
        coalesce(observation.model, observation.providedModelName) as served_model,
        coalesce(json_extract_string(metadata, '$.provider'), json_extract_string(metadata, '$.ls_provider'))
            as provider,
        -- without usage details, the deprecated usage object (input / output)
        case when len(usage_entries) = 0 then observation.usage.input
             else coalesce(token_sum(list_transform(
                 list_filter(usage_entries, lambda usage_type: contains(lower(usage_type.key), 'input')),
                 lambda usage_type: usage_type.value
             )), '0') end as input_tokens,
        case when len(usage_entries) = 0 then observation.usage.output
             else coalesce(token_sum(list_transform(
                 list_filter(usage_entries, lambda usage_type: contains(lower(usage_type.key), 'output')),
                 lambda usage_type: usage_type.value
             )), '0') end as output_tokens,
        token_sum(list_transform(
            list_filter(usage_entries, lambda usage_type: contains(lower(usage_type.key), 'input')
                and regexp_matches(lower(usage_type.key), 'cache_read|cached')),
            lambda usage_type: usage_type.value
        )) as cached_input_tokens,
        token_sum(list_transform(
            list_filter(usage_entries, lambda usage_type: contains(lower(usage_type.key), 'input')
                and regexp_matches(lower(usage_type.key), 'cache_creation|cache_write')),
            lambda usage_type: usage_type.value
        )) as cache_write_tokens,
        token_sum(list_transform(
            list_filter(usage_entries, lambda usage_type: contains(lower(usage_type.key), 'output')
                and contains(lower(usage_type.key), 'reasoning')),
            lambda usage_type: usage_type.value
        )) as reasoning_tokens,
        coalesce(
            (epoch_ms(try_cast(observation.endTime as timestamptz))
                - epoch_ms(try_cast(observation.startTime as timestamptz)))::varchar,
            (try_cast(observation.latency as double) * 1000)::varchar
        ) as latency_ms,
        case when upper(observation.level) = 'ERROR' then 'error' else 'success' end as status,
        null as escalated,
        null as quality_passed,
        coalesce(observation.costDetails['total']::varchar, observation.totalCost, observation.calculatedTotalCost)
            as reported_cost_usd,
        null as service_tier,
        observation.userId as user_id,
        json_extract_string(metadata, '$.team') as team,
        json_extract_string(metadata, '$.feature') as feature,
        coalesce(json_list_or_null(observation.tags), json_list_or_null(observation.traceTags)) as tags,
        metadata as attributes,
        source_line,
        record_element,
        is_malformed,
        reader_reason,
        -- spans, events, tools, agents... are not model calls
        is_malformed or coalesce(upper(observation.type) in ('GENERATION', 'EMBEDDING'), false) as is_model_call
    from usage_types
)

select * from calls
