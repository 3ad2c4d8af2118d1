-- Staged input (every field as text, canonical names) -> typed calls plus a reject reason naming each bad field.
-- grain: one row per input record. reject_reason is NULL for a loadable row. Each field comes out with the type the
-- calls table declares for it (schema/tables.sql). Reads ingest_stage (a temp table, or the generic JSON reader's
-- view), whose fields are text, except that a reader may stage amounts as DOUBLE and flags as BOOLEAN when the source
-- types them (the generic JSON reader's fast path). Token counts are always text: a count
-- must be a JSON number or numeric text (true is not 1 token), whole, >= 0 and at most max_tokens_per_call().
-- Text fields must be scalars: a JSON object or list given as one (it may carry prompt text) rejects the record.
-- A time is ISO-8601 or an epoch number whose unit its magnitude gives (epoch_time), within the years 1970 to 2099.
-- The task type is the first value that routing.yaml's task_type_from rules find: the task_type field, a tag with a
-- prefix (task_type:extraction), or a key of the source's attributes (metadata, span attributes, properties).
-- Written for the common clean record: text with nothing to trim is not copied (clean_text), a time with a zone is read
-- without a time zone conversion (utc_time), the status and flags are compared before any lower/trim, and the reject
-- reason's text is only built for a record that fails the one combined check; every shortcut gives the value the
-- general expression after it would give (tests/test_ingest.py compares them on odd values).
-- A rejected record keeps only where it is in the file (byte_offset, byte_length, record_sha256: filled in afterwards by
-- ingest/locate_lines.sql) and its known scalar fields (load_quarantine.sql), never its text.
with staged as (
    select * from ingest_stage
),

task_type_rules as (
    select
        list({'kind': kind, 'key': rule_key} order by rule_rank) as rules,
        -- the first rule reads the task_type field: a record that has one needs no rule list walked
        coalesce(arg_min(kind, rule_rank) = 'field', false) as field_first
    from cfg_task_type_rules
),

parsed as (
    select
        *,
        clean_text(request_id) as request_id_text,
        clean_text(trace_id) as trace_id_text,
        clean_text(task_type) as task_type_text,
        clean_text(requested_model) as requested_model_text,
        clean_text(served_model) as served_model_text,
        clean_text(provider) as provider_text,
        clean_text(service_tier) as service_tier_text,
        clean_text(user_id) as user_id_text,
        clean_text(team) as team_text,
        clean_text(feature) as feature_text,
        clean_text(router_name) as router_name_text,
        clean_text(router_type) as router_type_text,
        clean_text(router_tier) as router_tier_text,
        clean_text(routed_model) as routed_model_text,
        clean_text(savings_baseline_model) as savings_baseline_model_text,
        clean_text(classifier_model) as classifier_model_text,
        clean_text(router_cause) as router_cause_text,
        try_cast(classifier_cost_usd as double) as classifier_cost_usd_value,
        try_cast(router_score as double) as router_score_value,
        try_cast(autorouter_savings_usd as double) as autorouter_savings_usd_value,
        coalesce(try_cast(router_escalated as boolean), try_cast(lower(trim(router_escalated::varchar)) as boolean))
            as router_escalated_value,
        coalesce(
            try_cast(router_context_escalated as boolean),
            try_cast(lower(trim(router_context_escalated::varchar)) as boolean)
        ) as router_context_escalated_value,
        coalesce(
            utc_time(started_at),  -- the common case; the two readings below are the general ones
            try_cast(try_cast(trim(started_at) as timestamptz) at time zone 'UTC' as timestamp),
            epoch_time(started_at)
        ) as started_at_value,
        count_number(input_tokens) as input_tokens_value,
        count_number(output_tokens) as output_tokens_value,
        count_number(coalesce(cached_input_tokens, '0')) as cached_input_tokens_value,
        count_number(coalesce(cache_write_tokens, '0')) as cache_write_tokens_value,
        count_number(coalesce(reasoning_tokens, '0')) as reasoning_tokens_value,
        try_cast(latency_ms as double) as latency_ms_value,
        try_cast(reported_cost_usd as double) as reported_cost_usd_value,
        -- the common values first, as they are; a list_contains (not IN, which plans a join over every row) after
        case when status is null or status = 'success' then 'success'
             when status = 'error' then 'error'
             when list_contains(['success', 'ok', 'succeeded', 'completed', '200'], lower(trim(status)))
                 then 'success'
             when list_contains(['error', 'failure', 'failed', 'fail', 'exception'], lower(trim(status)))
                 then 'error'
        end as status_value,
        -- a flag read as BOOLEAN (or plain 'true'/'false' text) casts as it is; other text is lowered and trimmed
        coalesce(try_cast(escalated as boolean), try_cast(lower(trim(escalated::varchar)) as boolean))
            as escalated_value,
        coalesce(try_cast(quality_passed as boolean), try_cast(lower(trim(quality_passed::varchar)) as boolean))
            as quality_passed_value,
        case when tags is null then null
             when starts_with(trim(tags), '[') then try(from_json(tags, '["VARCHAR"]'))
             else list_transform(string_split(tags, ','), lambda tag: trim(tag))
        end as tags_value
    from staged
),

attributed as (
    select
        parsed.*,
        coalesce(
            case when task_type_rules.field_first then task_type_text end,
            list_filter(
                list_transform(task_type_rules.rules, lambda rule: case rule.kind
                    when 'field' then nullif(trim(parsed.task_type), '')
                    when 'tag_prefix' then nullif(trim(substr(
                        list_filter(parsed.tags_value, lambda tag: starts_with(tag, rule.key))[1], length(rule.key) + 1
                    )), '')
                    -- an attribute holding an object or a list is no task type
                    when 'attribute' then case when try(json_type(
                        parsed.attributes, '$."' || replace(rule.key, '"', '\\"') || '"'
                    )) not in ('OBJECT', 'ARRAY') then nullif(trim(json_extract_string(
                        parsed.attributes, '$."' || replace(rule.key, '"', '\\"') || '"'
                    )), '') end
                end),
                lambda value: value is not null
            )[1]
        ) as task_type_value
    from parsed
    cross join task_type_rules
),

checked as (
    select
        *,
        -- one combined check first: a record passing it has no reason; any other record gets every reason spelled out
        case when not is_malformed
                  and request_id_text is not null
                  and is_plausible_time(started_at_value)
                  and input_tokens_value between 0 and max_tokens_per_call()
                  and output_tokens_value between 0 and max_tokens_per_call()
                  and cached_input_tokens_value between 0 and max_tokens_per_call()
                  and cache_write_tokens_value between 0 and max_tokens_per_call()
                  and reasoning_tokens_value between 0 and max_tokens_per_call()
                  and cached_input_tokens_value + cache_write_tokens_value <= input_tokens_value
                  and reasoning_tokens_value <= output_tokens_value
                  and (latency_ms is null or latency_ms_value is not null)
                  and (reported_cost_usd is null or reported_cost_usd_value is not null)
                  and status_value is not null
                  and (escalated is null or escalated_value is not null)
                  and (quality_passed is null or quality_passed_value is not null)
                  and (classifier_cost_usd is null or classifier_cost_usd_value is not null)
                  and (router_score is null or router_score_value is not null)
                  and (autorouter_savings_usd is null or autorouter_savings_usd_value is not null)
                  and (router_escalated is null or router_escalated_value is not null)
                  and (router_context_escalated is null or router_context_escalated_value is not null)
                  -- a tag that is an object or a list is no tag
                  and (tags is null or (tags_value is not null and list_filter(tags_value, lambda tag: is_structured(tag)) = []))
                  -- no text field holds an object or a list: a sufficient test on the text as read (a value with a
                  -- bracket anywhere takes the full check below, which names only real objects and lists)
                  and not coalesce(contains(request_id, '{') or contains(request_id, '[')
                                   or contains(trace_id, '{') or contains(trace_id, '[')
                                   or contains(task_type, '{') or contains(task_type, '[')
                                   or contains(requested_model, '{') or contains(requested_model, '[')
                                   or contains(served_model, '{') or contains(served_model, '[')
                                   or contains(provider, '{') or contains(provider, '[')
                                   or contains(service_tier, '{') or contains(service_tier, '[')
                                   or contains(user_id, '{') or contains(user_id, '[')
                                   or contains(team, '{') or contains(team, '[')
                                   or contains(feature, '{') or contains(feature, '[')
                                   or contains(router_name, '{') or contains(router_name, '[')
                                   or contains(router_type, '{') or contains(router_type, '[')
                                   or contains(router_tier, '{') or contains(router_tier, '[')
                                   or contains(routed_model, '{') or contains(routed_model, '[')
                                   or contains(savings_baseline_model, '{') or contains(savings_baseline_model, '[')
                                   or contains(classifier_model, '{') or contains(classifier_model, '[')
                                   or contains(router_cause, '{') or contains(router_cause, '['), false)
             then null
             else nullif(concat_ws('; ',
                 case when is_malformed then coalesce(reader_reason, 'not a readable record') end,
                 case when not is_malformed and request_id_text is null then 'request_id: missing (required)' end,
                 case when not is_malformed and started_at is null then 'started_at: missing (required)'
                      when not is_malformed and started_at_value is null then
                         'started_at: cannot read ' || shown_value(started_at)
                         || ' as a time (ISO-8601, or epoch seconds, ms, us or ns)'
                      when not is_malformed and not is_plausible_time(started_at_value) then
                         'started_at: ' || started_at_value || ' is outside the years 1970 to 2099' end,
                 token_problem('input_tokens', input_tokens, input_tokens_value, is_malformed, true),
                 token_problem('output_tokens', output_tokens, output_tokens_value, is_malformed, true),
                 token_problem(
                     'cached_input_tokens', cached_input_tokens, cached_input_tokens_value, is_malformed, false
                 ),
                 token_problem('cache_write_tokens', cache_write_tokens, cache_write_tokens_value, is_malformed, false),
                 token_problem('reasoning_tokens', reasoning_tokens, reasoning_tokens_value, is_malformed, false),
                 case when input_tokens_value between 0 and max_tokens_per_call()
                           and cached_input_tokens_value between 0 and max_tokens_per_call()
                           and cache_write_tokens_value between 0 and max_tokens_per_call()
                           and cached_input_tokens_value + cache_write_tokens_value > input_tokens_value then
                     'cached_input_tokens + cache_write_tokens: '
                     || (cached_input_tokens_value + cache_write_tokens_value)::bigint
                     || ' exceed input_tokens ' || input_tokens_value::bigint || ' (input includes cached tokens)' end,
                 case when output_tokens_value between 0 and max_tokens_per_call()
                           and reasoning_tokens_value between 0 and max_tokens_per_call()
                           and reasoning_tokens_value > output_tokens_value then
                     'reasoning_tokens: ' || reasoning_tokens_value::bigint || ' exceed output_tokens '
                     || output_tokens_value::bigint || ' (output includes reasoning tokens)' end,
                 case when latency_ms is not null and latency_ms_value is null then
                     'latency_ms: ' || shown_value(latency_ms) || ' is not a number' end,
                 case when reported_cost_usd is not null and reported_cost_usd_value is null then
                     'reported_cost_usd: ' || shown_value(reported_cost_usd) || ' is not a number' end,
                 case when not is_malformed and status_value is null then
                     'status: ' || shown_value(status) || ' is not success or error' end,
                 case when escalated is not null and escalated_value is null then
                     'escalated: ' || shown_value(escalated) || ' is not true or false' end,
                 case when quality_passed is not null and quality_passed_value is null then
                     'quality_passed: ' || shown_value(quality_passed) || ' is not true or false' end,
                 number_problem('classifier_cost_usd', classifier_cost_usd, classifier_cost_usd_value),
                 number_problem('router_score', router_score, router_score_value),
                 number_problem('autorouter_savings_usd', autorouter_savings_usd, autorouter_savings_usd_value),
                 case when router_escalated is not null and router_escalated_value is null then
                     'router_escalated: ' || shown_value(router_escalated) || ' is not true or false' end,
                 case when router_context_escalated is not null and router_context_escalated_value is null then
                     'router_context_escalated: ' || shown_value(router_context_escalated)
                     || ' is not true or false' end,
                 case when tags is not null
                           and (tags_value is null or list_filter(tags_value, lambda tag: is_structured(tag)) <> []) then
                     'tags: not a list of strings (a JSON list of strings, or comma-separated text)' end,
                 -- a text field holding a JSON object or list: named, its content never quoted
                 nullif(array_to_string(list_transform(list_filter(
                     [{'name': 'request_id', 'value': request_id_text}, {'name': 'trace_id', 'value': trace_id_text},
                      {'name': 'task_type', 'value': task_type_text},
                      {'name': 'requested_model', 'value': requested_model_text},
                      {'name': 'served_model', 'value': served_model_text},
                      {'name': 'provider', 'value': provider_text},
                      {'name': 'service_tier', 'value': service_tier_text},
                      {'name': 'user_id', 'value': user_id_text}, {'name': 'team', 'value': team_text},
                      {'name': 'feature', 'value': feature_text},
                      {'name': 'router_name', 'value': router_name_text},
                      {'name': 'router_type', 'value': router_type_text},
                      {'name': 'router_tier', 'value': router_tier_text},
                      {'name': 'routed_model', 'value': routed_model_text},
                      {'name': 'savings_baseline_model', 'value': savings_baseline_model_text},
                      {'name': 'classifier_model', 'value': classifier_model_text},
                      {'name': 'router_cause', 'value': router_cause_text}],
                     lambda text_field: is_structured(text_field.value)),
                     lambda text_field: text_field.name || ': a JSON object or list where text is expected'), '; '), '')
             ), '') end as reject_reason
    from attributed
),

typed as (
    select
        request_id_text as request_id,
        coalesce(trace_id_text, request_id_text) as trace_id,
        started_at_value as started_at,
        coalesce(task_type_value, 'unknown') as task_type,
        requested_model_text as requested_model,
        served_model_text as served_model,
        provider_text as provider,
        -- try_cast: a rejected record's count may be past BIGINT
        try_cast(input_tokens_value as bigint) as input_tokens,
        try_cast(output_tokens_value as bigint) as output_tokens,
        try_cast(cached_input_tokens_value as bigint) as cached_input_tokens,
        try_cast(cache_write_tokens_value as bigint) as cache_write_tokens,
        try_cast(reasoning_tokens_value as bigint) as reasoning_tokens,
        latency_ms_value as latency_ms,
        status_value as status,
        coalesce(escalated_value, false) as escalated,
        quality_passed_value as quality_passed,
        reported_cost_usd_value as reported_cost_usd,
        service_tier_text as service_tier,
        user_id_text as user_id,
        team_text as team,
        feature_text as feature,
        tags_value as tags,
        router_name_text as router_name,
        router_type_text as router_type,
        router_tier_text as router_tier,
        routed_model_text as routed_model,
        savings_baseline_model_text as savings_baseline_model,
        classifier_model_text as classifier_model,
        classifier_cost_usd_value as classifier_cost_usd,
        router_escalated_value as router_escalated,
        router_context_escalated_value as router_context_escalated,
        router_cause_text as router_cause,
        router_score_value as router_score,
        autorouter_savings_usd_value as autorouter_savings_usd,
        case when task_type_value is null then hint_attribute_keys(attributes) end as attribute_keys,
        source_line,
        record_element,
        is_malformed,
        reject_reason,
        null::bigint as byte_offset,
        null::bigint as byte_length,
        null::varchar as record_sha256
    from checked
)

select * from typed
