-- OpenAI Batch API output / error file lines (ingest_records) -> calls as text (ingest_read); see
-- ingest/formats/openai_batch.py. grain: one row per line. OpenAI's prompt / input tokens include cached tokens and
-- its completion / output tokens include reasoning tokens, as the contract does. Batch calls are priced at the batch
-- price. A line without a body time (an HTTP error) takes the latest time of the file's answered lines, else the
-- file's modification time ($file_time).
with lines as (
    select * rename (parsed as batch_line)
    from reader_records('{
        "id": "VARCHAR", "custom_id": "VARCHAR",
        "response": {"status_code": "VARCHAR", "body": {
            "id": "VARCHAR", "object": "VARCHAR", "created": "VARCHAR", "created_at": "VARCHAR",
            "model": "VARCHAR", "status": "VARCHAR", "metadata": "JSON", "error": "JSON",
            "usage": {
                "prompt_tokens": "VARCHAR", "completion_tokens": "VARCHAR", "input_tokens": "VARCHAR",
                "output_tokens": "VARCHAR",
                "prompt_tokens_details": {"cached_tokens": "VARCHAR"},
                "input_tokens_details": {"cached_tokens": "VARCHAR"},
                "completion_tokens_details": {"reasoning_tokens": "VARCHAR"},
                "output_tokens_details": {"reasoning_tokens": "VARCHAR"}
            }
        }},
        "error": "JSON"
    }')
),

timed as (
    select
        lines.*,
        coalesce(batch_line.response.body.created, batch_line.response.body.created_at) as answered_at,
        batch_line.response.body as body,
        batch_line.response.body.usage as usage,
        -- custom_id segments, then the request metadata the Responses API echoes
        json_merge_patch(
            json_object_or_empty(batch_line.response.body.metadata), custom_id_attributes(batch_line.custom_id)
        ) as attributes
    from lines
),

calls as (
    select
        coalesce(batch_line.id, batch_line.custom_id) as request_id,
        json_extract_string(custom_id_attributes(batch_line.custom_id), '$.trace_id') as trace_id,
        coalesce(
            answered_at,
            (max(try_cast(answered_at as bigint)) over ())::varchar,
            $file_time
        ) as started_at,
        null as task_type,
        null as requested_model,
        body.model as served_model,
        'openai' as provider,
        coalesce(usage.prompt_tokens, usage.input_tokens, '0') as input_tokens,
        coalesce(usage.completion_tokens, usage.output_tokens, '0') as output_tokens,
        coalesce(usage.prompt_tokens_details.cached_tokens, usage.input_tokens_details.cached_tokens)
            as cached_input_tokens,
        null as cache_write_tokens,
        coalesce(usage.completion_tokens_details.reasoning_tokens, usage.output_tokens_details.reasoning_tokens)
            as reasoning_tokens,
        null as latency_ms,
        case when try_cast(batch_line.response.status_code as integer) between 200 and 299
                  and coalesce(body.status, 'completed') not in ('failed', 'cancelled')
             then 'success' else 'error' end as status,
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
        -- a line with no response failed before reaching a model (expired, cancelled): not a model call
        is_malformed or batch_line.response is not null as is_model_call
    from timed
)

select * from calls
