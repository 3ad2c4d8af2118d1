-- Staged input (every field as text, canonical names) -> typed calls plus a reject reason naming each bad field.
-- grain: one row per input record. reject_reason is NULL for a loadable row. Reads ingest_stage (a temp table, or the
-- generic JSON reader's view), whose fields are text, except that a reader may stage counts and amounts as DOUBLE and
-- flags as BOOLEAN when the source types them (the generic JSON reader's fast path).
-- The task type is the first value that routing.yaml's task_type_from rules find: the task_type field, a tag with a
-- prefix (task_type:extraction), or a key of the source's attributes (metadata, span attributes, properties).
-- Written for the common clean record: text with nothing to trim is not copied (clean_text), a time with a zone is read
-- without a time zone conversion (utc_time), the status and flags are compared before any lower/trim, and the reject
-- reason's text is only built for a record that fails the one combined check; every shortcut gives the value the
-- general expression after it would give (tests/test_ingest.py compares them on odd values).
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
        coalesce(
            utc_time(started_at),  -- the common case; the two readings below are the general ones
            try_cast(try_cast(trim(started_at) as timestamptz) at time zone 'UTC' as timestamp),
            case when regexp_full_match(trim(started_at), '-?[0-9]+(\.[0-9]+)?') then
                case when abs(trim(started_at)::double) >= 1e11
                     then make_timestamp((trim(started_at)::double * 1e3)::bigint)
                     else make_timestamp((trim(started_at)::double * 1e6)::bigint) end
            end
        ) as started_at_value,
        whole_number(input_tokens) as input_tokens_value,
        whole_number(output_tokens) as output_tokens_value,
        whole_number(coalesce(cached_input_tokens, '0')) as cached_input_tokens_value,
        whole_number(coalesce(cache_write_tokens, '0')) as cache_write_tokens_value,
        whole_number(coalesce(reasoning_tokens, '0')) as reasoning_tokens_value,
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
            case when task_type_rules.field_first then clean_text(parsed.task_type) end,
            list_filter(
                list_transform(task_type_rules.rules, lambda rule: case rule.kind
                    when 'field' then nullif(trim(parsed.task_type), '')
                    when 'tag_prefix' then nullif(trim(substr(
                        list_filter(parsed.tags_value, lambda tag: starts_with(tag, rule.key))[1], length(rule.key) + 1
                    )), '')
                    when 'attribute' then nullif(trim(try(json_extract_string(
                        parsed.attributes, '$."' || replace(rule.key, '"', '\\"') || '"'
                    ))), '')
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
                  and started_at_value is not null
                  and input_tokens_value >= 0
                  and output_tokens_value >= 0
                  and cached_input_tokens_value >= 0
                  and cache_write_tokens_value >= 0
                  and reasoning_tokens_value >= 0
                  and cached_input_tokens_value + cache_write_tokens_value <= input_tokens_value
                  and reasoning_tokens_value <= output_tokens_value
                  and (latency_ms is null or latency_ms_value is not null)
                  and (reported_cost_usd is null or reported_cost_usd_value is not null)
                  and status_value is not null
                  and (escalated is null or escalated_value is not null)
                  and (quality_passed is null or quality_passed_value is not null)
                  and (tags is null or tags_value is not null)
             then null
             else nullif(concat_ws('; ',
                 case when is_malformed then coalesce(reader_reason, 'not a readable record') end,
                 case when not is_malformed and request_id_text is null then 'request_id: missing (required)' end,
                 case when not is_malformed and started_at is null then 'started_at: missing (required)'
                      when not is_malformed and started_at_value is null then
                         'started_at: cannot read ''' || left(started_at, 60)
                         || ''' as a time (ISO-8601 or epoch seconds/milliseconds expected)' end,
                 token_problem('input_tokens', input_tokens, input_tokens_value, is_malformed, true),
                 token_problem('output_tokens', output_tokens, output_tokens_value, is_malformed, true),
                 token_problem(
                     'cached_input_tokens', cached_input_tokens, cached_input_tokens_value, is_malformed, false
                 ),
                 token_problem('cache_write_tokens', cache_write_tokens, cache_write_tokens_value, is_malformed, false),
                 token_problem('reasoning_tokens', reasoning_tokens, reasoning_tokens_value, is_malformed, false),
                 case when input_tokens_value >= 0
                           and cached_input_tokens_value + cache_write_tokens_value > input_tokens_value then
                     'cached_input_tokens + cache_write_tokens: '
                     || (cached_input_tokens_value + cache_write_tokens_value)
                     || ' exceed input_tokens ' || input_tokens_value || ' (input includes cached tokens)' end,
                 case when output_tokens_value >= 0 and reasoning_tokens_value > output_tokens_value then
                     'reasoning_tokens: ' || reasoning_tokens_value || ' exceed output_tokens ' || output_tokens_value
                     || ' (output includes reasoning tokens)' end,
                 case when latency_ms is not null and latency_ms_value is null then
                     'latency_ms: ''' || left(latency_ms::varchar, 60) || ''' is not a number' end,
                 case when reported_cost_usd is not null and reported_cost_usd_value is null then
                     'reported_cost_usd: ''' || left(reported_cost_usd::varchar, 60) || ''' is not a number' end,
                 case when not is_malformed and status_value is null then
                     'status: ''' || left(status, 60) || ''' is not success or error' end,
                 case when escalated is not null and escalated_value is null then
                     'escalated: ''' || left(escalated::varchar, 60) || ''' is not true or false' end,
                 case when quality_passed is not null and quality_passed_value is null then
                     'quality_passed: ''' || left(quality_passed::varchar, 60) || ''' is not true or false' end,
                 case when tags is not null and tags_value is null then
                     'tags: ''' || left(tags, 60) || ''' is not a list of strings' end
             ), '') end as reject_reason
    from attributed
),

typed as (
    select
        request_id_text as request_id,
        coalesce(clean_text(trace_id), request_id_text) as trace_id,
        started_at_value as started_at,
        coalesce(task_type_value, 'unknown') as task_type,
        clean_text(requested_model) as requested_model,
        clean_text(served_model) as served_model,
        clean_text(provider) as provider,
        input_tokens_value as input_tokens,
        output_tokens_value as output_tokens,
        cached_input_tokens_value as cached_input_tokens,
        cache_write_tokens_value as cache_write_tokens,
        reasoning_tokens_value as reasoning_tokens,
        latency_ms_value as latency_ms,
        status_value as status,
        coalesce(escalated_value, false) as escalated,
        quality_passed_value as quality_passed,
        reported_cost_usd_value as reported_cost_usd,
        clean_text(service_tier) as service_tier,
        clean_text(user_id) as user_id,
        clean_text(team) as team,
        clean_text(feature) as feature,
        tags_value as tags,
        case when task_type_value is null then hint_attribute_keys(attributes) end as attribute_keys,
        source_line,
        is_malformed,
        reject_reason,
        case when reject_reason is not null then
            coalesce(raw_text, to_json(struct_pack(
                request_id, trace_id, started_at, task_type, requested_model, served_model, provider,
                input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens,
                latency_ms, status, escalated, quality_passed, reported_cost_usd, service_tier,
                user_id, team, feature, tags
            ))::varchar)
        end as raw_text
    from checked
)

select * from typed
