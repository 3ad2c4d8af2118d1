-- LiteLLM_SpendLogs rows (ingest_records; CSV cells are text, JSON columns arrive as text holding JSON) -> calls as
-- text (ingest_read); see ingest/formats/litellm_spend_logs.py. grain: one row per record. prompt_tokens already
-- include cached and cache-write tokens, as in LiteLLM's logging payload.
with rows_read as (
    select * rename (parsed as spend_log)
    from reader_records('{
        "request_id": "VARCHAR", "call_type": "VARCHAR", "spend": "VARCHAR", "prompt_tokens": "VARCHAR",
        "completion_tokens": "VARCHAR", "startTime": "VARCHAR", "endTime": "VARCHAR",
        "request_duration_ms": "VARCHAR", "model": "VARCHAR", "model_group": "VARCHAR",
        "custom_llm_provider": "VARCHAR", "user": "VARCHAR", "metadata": "JSON", "cache_hit": "VARCHAR",
        "request_tags": "JSON", "team_id": "VARCHAR", "end_user": "VARCHAR", "session_id": "VARCHAR",
        "status": "VARCHAR", "autorouter_savings": "VARCHAR"
    }')
),

unpacked as (
    select
        rows_read.*,
        json_object_or_empty(spend_log.metadata) as metadata,
        -- the usage object LiteLLM kept in metadata: newer proxies log usage_object, older additional_usage_values
        json_merge_patch(
            json_object_or_empty(json_extract(json_object_or_empty(spend_log.metadata), '$.additional_usage_values')),
            json_object_or_empty(json_extract(json_object_or_empty(spend_log.metadata), '$.usage_object'))
        ) as usage_values,
        json_object_or_empty(json_extract(json_object_or_empty(spend_log.metadata), '$.routing_decision'))
            as routing_decision
    from rows_read
),

calls as (
    select
        spend_log.request_id as request_id,
        nullif(spend_log.session_id, '') as trace_id,
        spend_log.startTime as started_at,
        null as task_type,
        coalesce(nullif(spend_log.model_group, ''), spend_log.model) as requested_model,
        nullif(spend_log.model, '') as served_model,
        nullif(spend_log.custom_llm_provider, '') as provider,
        spend_log.prompt_tokens as input_tokens,
        spend_log.completion_tokens as output_tokens,
        coalesce(
            json_extract_string(usage_values, '$.prompt_tokens_details.cached_tokens'),
            json_extract_string(usage_values, '$.cache_read_input_tokens')
        ) as cached_input_tokens,
        coalesce(
            json_extract_string(usage_values, '$.cache_creation_input_tokens'),
            json_extract_string(usage_values, '$.prompt_tokens_details.cache_creation_tokens')
        ) as cache_write_tokens,
        json_extract_string(usage_values, '$.completion_tokens_details.reasoning_tokens') as reasoning_tokens,
        coalesce(
            spend_log.request_duration_ms,
            (epoch_ms(try_cast(spend_log.endTime as timestamp)) - epoch_ms(try_cast(spend_log.startTime as timestamp)))
                ::varchar
        ) as latency_ms,
        coalesce(nullif(spend_log.status, ''), json_extract_string(metadata, '$.status')) as status,
        null as escalated,
        null as quality_passed,
        spend_log.spend as reported_cost_usd,
        null as service_tier,
        coalesce(nullif(spend_log.end_user, ''), nullif(spend_log.user, '')) as user_id,
        coalesce(json_extract_string(metadata, '$.user_api_key_team_alias'), nullif(spend_log.team_id, '')) as team,
        json_extract_string(metadata, '$.user_api_key_alias') as feature,
        json_list_or_null(spend_log.request_tags) as tags,
        json_object_or_empty(json_extract(metadata, '$.spend_logs_metadata')) as attributes,
        json_extract_string(routing_decision, '$.router_model_name') as router_name,
        json_extract_string(routing_decision, '$.router_type') as router_type,
        coalesce(
            nullif(trim(json_extract_string(routing_decision, '$.tier_label')), ''),
            json_extract_string(routing_decision, '$.tier')
        ) as router_tier,
        json_extract_string(routing_decision, '$.routed_model') as routed_model,
        json_extract_string(routing_decision, '$.savings_baseline_model') as savings_baseline_model,
        json_extract_string(routing_decision, '$.classifier_model') as classifier_model,
        json_extract_string(routing_decision, '$.classifier_cost') as classifier_cost_usd,
        json_extract_string(routing_decision, '$.escalated') as router_escalated,
        json_extract_string(routing_decision, '$.context_escalated') as router_context_escalated,
        json_extract_string(routing_decision, '$.cause') as router_cause,
        json_extract_string(routing_decision, '$.score') as router_score,
        -- stamped into the metadata column by the proxy (a column of its own in some exports)
        coalesce(nullif(spend_log.autorouter_savings, ''), json_extract_string(metadata, '$.autorouter_savings'))
            as autorouter_savings_usd,
        source_line,
        record_element,
        is_malformed,
        reader_reason,
        is_malformed or litellm_calls_a_model(spend_log.call_type, spend_log.cache_hit) as is_model_call
    from unpacked
)

select * from calls
