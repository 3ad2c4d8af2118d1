-- OpenTelemetry OTLP/JSON trace exports (ingest_records: one ExportTraceServiceRequest per record) -> one row per span
-- as text (ingest_read); see ingest/formats/otel.py. Spans that are not model calls (HTTP, database, tool, agent
-- spans) are kept with is_model_call false, so they are counted as skipped. gen_ai.usage.input_tokens already includes
-- cached and cache-write tokens (the GenAI conventions' definition), so input needs no adjustment.
with records as (
    select * from ingest_records
),

shaped as (
    -- an export request whose resourceSpans / scopeSpans / spans are not lists of objects is malformed as a whole
    -- (quarantined with the path named), rather than read as having no spans
    select
        source_line,
        record_element,
        record,
        coalesce(reader_reason, case
            when try(json_type(record, '$.resourceSpans')) is distinct from 'ARRAY'
                then 'resourceSpans: missing or not a list'
            else list_filter(
                [{'path': 'resourceSpans[]', 'ok': json_types_are(record, '$.resourceSpans[*]', 'OBJECT')},
                 {'path': 'resourceSpans[].scopeSpans',
                  'ok': json_types_are(record, '$.resourceSpans[*].scopeSpans', 'ARRAY')},
                 {'path': 'scopeSpans[]', 'ok': json_types_are(record, '$.resourceSpans[*].scopeSpans[*]', 'OBJECT')},
                 {'path': 'scopeSpans[].spans',
                  'ok': json_types_are(record, '$.resourceSpans[*].scopeSpans[*].spans', 'ARRAY')},
                 {'path': 'spans[]',
                  'ok': json_types_are(record, '$.resourceSpans[*].scopeSpans[*].spans[*]', 'OBJECT')}],
                lambda shape: not shape.ok
            )[1].path || ': not a list of objects'
        end) as reader_reason
    from records
),

requests as (
    -- attributes are OTLP KeyValue lists; 64-bit integers arrive as strings or numbers, read alike as text
    select
        source_line,
        record_element,
        reader_reason,
        reader_reason is not null as is_malformed,
        from_json(case when reader_reason is null then record end, '{"resourceSpans": [{
            "resource": {"attributes": [{"key": "VARCHAR", "value": {"stringValue": "VARCHAR", "intValue": "VARCHAR",
                "doubleValue": "VARCHAR", "boolValue": "VARCHAR", "arrayValue": "JSON"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": "VARCHAR", "spanId": "VARCHAR", "name": "VARCHAR", "startTimeUnixNano": "VARCHAR",
                "endTimeUnixNano": "VARCHAR",
                "attributes": [{"key": "VARCHAR", "value": {"stringValue": "VARCHAR", "intValue": "VARCHAR",
                    "doubleValue": "VARCHAR", "boolValue": "VARCHAR", "arrayValue": "JSON"}}],
                "status": {"code": "VARCHAR", "message": "VARCHAR"}
            }]}]
        }]}') as export_request
    from shaped
),

resource_spans as (
    select
        source_line, record_element, reader_reason, is_malformed,
        unnest(coalesce(export_request.resourceSpans, [null])) as resource_span
    from requests
),

scope_spans as (
    select
        source_line, record_element, reader_reason, is_malformed,
        resource_span.resource.attributes as resource_attributes,
        unnest(coalesce(resource_span.scopeSpans, [null])) as scope_span
    from resource_spans
),

spans as (
    select
        source_line, record_element, reader_reason, is_malformed, resource_attributes,
        unnest(coalesce(scope_span.spans, [null])) as span
    from scope_spans
),

keyed as (
    -- attribute lists as maps (a repeated key keeps its first value)
    select
        spans.*,
        map_from_entries(list_filter(
            list_transform(coalesce(span.attributes, []), lambda attribute: struct_pack(
                key := attribute.key,
                value := coalesce(attribute.value.stringValue, attribute.value.intValue, attribute.value.doubleValue,
                                  attribute.value.boolValue, attribute.value.arrayValue::varchar)
            )),
            lambda entry, position: list_position(list_transform(span.attributes, lambda item: item.key), entry.key)
                = position
        )) as span_attributes,
        map_from_entries(list_filter(
            list_transform(coalesce(resource_attributes, []), lambda attribute: struct_pack(
                key := attribute.key,
                value := coalesce(attribute.value.stringValue, attribute.value.intValue, attribute.value.doubleValue,
                                  attribute.value.boolValue, attribute.value.arrayValue::varchar)
            )),
            lambda entry, position: list_position(list_transform(resource_attributes, lambda item: item.key), entry.key)
                = position
        )) as resource_map
    from spans
),

calls as (
    select
        span.spanId as request_id,
        span.traceId as trace_id,
        -- epoch nanoseconds, read by the shared epoch reading (normalize.sql), which also refuses absurd ones
        span.startTimeUnixNano as started_at,
        null as task_type,
        span_attributes['gen_ai.request.model'] as requested_model,
        span_attributes['gen_ai.response.model'] as served_model,
        coalesce(span_attributes['gen_ai.provider.name'], span_attributes['gen_ai.system']) as provider,
        coalesce(span_attributes['gen_ai.usage.input_tokens'], span_attributes['gen_ai.usage.prompt_tokens'], '0')
            as input_tokens,
        coalesce(span_attributes['gen_ai.usage.output_tokens'], span_attributes['gen_ai.usage.completion_tokens'], '0')
            as output_tokens,
        coalesce(span_attributes['gen_ai.usage.cache_read.input_tokens'],
                 span_attributes['gen_ai.usage.cache_read_input_tokens']) as cached_input_tokens,
        coalesce(span_attributes['gen_ai.usage.cache_creation.input_tokens'],
                 span_attributes['gen_ai.usage.cache_creation_input_tokens']) as cache_write_tokens,
        coalesce(span_attributes['gen_ai.usage.reasoning.output_tokens'],
                 span_attributes['gen_ai.usage.reasoning_tokens']) as reasoning_tokens,
        ((try_cast(span.endTimeUnixNano as hugeint) - try_cast(span.startTimeUnixNano as hugeint)) / 1e6)::varchar
            as latency_ms,
        case when span_attributes['error.type'] is not null or span.status.code in ('2', 'STATUS_CODE_ERROR')
             then 'error' else 'success' end as status,
        null as escalated,
        null as quality_passed,
        span_attributes['gen_ai.usage.cost'] as reported_cost_usd,
        coalesce(span_attributes['openai.response.service_tier'], span_attributes['openai.request.service_tier'],
                 span_attributes['gen_ai.openai.response.service_tier']) as service_tier,
        coalesce(span_attributes['user.id'], span_attributes['enduser.id']) as user_id,
        span_attributes['team'] as team,
        resource_map['service.name'] as feature,
        null as tags,
        -- what else the source carries, for task_type_from rules: resource then span attributes, without the ones
        -- read into the call's own fields
        to_json(map_from_entries(list_filter(
            map_entries(map_concat(resource_map, span_attributes)),
            lambda entry: not regexp_matches(
                entry.key,
                '^(gen_ai\.(usage|request|response|provider|system|operation)|error\.|server\.|telemetry\.)'
            )
        ))) as attributes,
        source_line,
        record_element,
        is_malformed,
        reader_reason,
        is_malformed
            or coalesce(span_attributes['gen_ai.operation.name'] in ('chat', 'text_completion', 'generate_content',
                                                                       'embeddings'), false)
            or (span_attributes['gen_ai.operation.name'] is null
                and coalesce(span_attributes['gen_ai.request.model'], span_attributes['gen_ai.response.model'])
                    is not null) as is_model_call
    from keyed
)

select * from calls
