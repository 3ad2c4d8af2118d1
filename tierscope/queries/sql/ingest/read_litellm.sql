-- LiteLLM StandardLoggingPayload records (ingest_records) -> calls as text (ingest_read); see ingest/formats/litellm.py.
-- grain: one row per record. prompt_tokens already include cached and cache-write tokens (LiteLLM adds Anthropic's
-- cache_read_input_tokens and cache_creation_input_tokens to it), so input needs no adjustment.
with payloads as (
    select * rename (parsed as payload)
    from reader_records('{
        "id": "VARCHAR", "trace_id": "VARCHAR", "call_type": "VARCHAR", "status": "VARCHAR",
        "startTime": "VARCHAR", "endTime": "VARCHAR", "model": "VARCHAR", "model_group": "VARCHAR",
        "custom_llm_provider": "VARCHAR", "prompt_tokens": "VARCHAR", "completion_tokens": "VARCHAR",
        "response_cost": "VARCHAR", "cache_hit": "VARCHAR", "request_tags": "JSON", "end_user": "VARCHAR",
        "response": "JSON", "model_parameters": {"service_tier": "VARCHAR"}, "autorouter_savings": "VARCHAR",
        "metadata": {
            "user_api_key_alias": "VARCHAR", "user_api_key_team_alias": "VARCHAR",
            "user_api_key_team_id": "VARCHAR", "user_api_key_user_id": "VARCHAR",
            "user_api_key_end_user_id": "VARCHAR", "spend_logs_metadata": "JSON", "requester_metadata": "JSON",
            "routing_decision": {
                "router_model_name": "VARCHAR", "router_type": "VARCHAR", "tier": "VARCHAR",
                "tier_label": "VARCHAR", "routed_model": "VARCHAR", "savings_baseline_model": "VARCHAR",
                "classifier_model": "VARCHAR", "classifier_cost": "VARCHAR", "escalated": "VARCHAR",
                "context_escalated": "VARCHAR", "cause": "VARCHAR", "score": "VARCHAR"
            },
            "usage_object": {
                "cache_read_input_tokens": "VARCHAR", "cache_creation_input_tokens": "VARCHAR",
                "prompt_tokens_details": {"cached_tokens": "VARCHAR", "cache_creation_tokens": "VARCHAR"},
                "completion_tokens_details": {"reasoning_tokens": "VARCHAR"}
            }
        }
    }')
),

calls as (
    select
        payload.id as request_id,
        payload.trace_id as trace_id,
        payload.startTime as started_at,
        null as task_type,
        coalesce(payload.model_group, payload.model) as requested_model,
        -- the response's own model when it was logged (a JSON object), else the deployment's model
        coalesce(
            case when try(json_type(payload.response)) = 'OBJECT' then json_extract_string(payload.response, '$.model') end,
            payload.model
        ) as served_model,
        payload.custom_llm_provider as provider,
        payload.prompt_tokens as input_tokens,
        payload.completion_tokens as output_tokens,
        coalesce(
            payload.metadata.usage_object.prompt_tokens_details.cached_tokens,
            payload.metadata.usage_object.cache_read_input_tokens
        ) as cached_input_tokens,
        coalesce(
            payload.metadata.usage_object.cache_creation_input_tokens,
            payload.metadata.usage_object.prompt_tokens_details.cache_creation_tokens
        ) as cache_write_tokens,
        payload.metadata.usage_object.completion_tokens_details.reasoning_tokens as reasoning_tokens,
        round((try_cast(payload.endTime as double) - try_cast(payload.startTime as double)) * 1000, 3) as latency_ms,
        payload.status as status,
        null as escalated,
        null as quality_passed,
        payload.response_cost as reported_cost_usd,
        payload.model_parameters.service_tier as service_tier,
        coalesce(payload.end_user, payload.metadata.user_api_key_end_user_id) as user_id,
        coalesce(payload.metadata.user_api_key_team_alias, payload.metadata.user_api_key_team_id) as team,
        -- a virtual key's alias names the calling app
        payload.metadata.user_api_key_alias as feature,
        json_list_or_null(payload.request_tags) as tags,
        json_merge_patch(
            json_object_or_empty(payload.metadata.spend_logs_metadata),
            json_object_or_empty(payload.metadata.requester_metadata)
        ) as attributes,
        payload.metadata.routing_decision.router_model_name as router_name,
        payload.metadata.routing_decision.router_type as router_type,
        -- the operator's name for the tier when the router renamed it
        coalesce(
            nullif(trim(payload.metadata.routing_decision.tier_label), ''), payload.metadata.routing_decision.tier
        ) as router_tier,
        payload.metadata.routing_decision.routed_model as routed_model,
        payload.metadata.routing_decision.savings_baseline_model as savings_baseline_model,
        payload.metadata.routing_decision.classifier_model as classifier_model,
        payload.metadata.routing_decision.classifier_cost as classifier_cost_usd,
        payload.metadata.routing_decision.escalated as router_escalated,
        payload.metadata.routing_decision.context_escalated as router_context_escalated,
        payload.metadata.routing_decision.cause as router_cause,
        payload.metadata.routing_decision.score as router_score,
        payload.autorouter_savings as autorouter_savings_usd,
        source_line,
        record_element,
        is_malformed,
        reader_reason,
        is_malformed or litellm_calls_a_model(payload.call_type, payload.cache_hit) as is_model_call
    from payloads
)

select * from calls
