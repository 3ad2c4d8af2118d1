-- Scalar macros of the log-format readers (queries/sql/ingest/read_*.sql).
-- json_object_or_empty: a JSON object given as JSON or as a string holding JSON (a CSV cell) -> the object's JSON
-- text; anything else (NULL, a list, a number, unreadable text) -> '{}'. Source metadata is merged from these.
create or replace macro json_object_or_empty(value) as
    case when try(json_type(value::json)) = 'OBJECT' then value::json
         when try(json_type(value::json)) = 'VARCHAR'
              and try(json_type(json_extract_string(value::json, '$')::json)) = 'OBJECT'
             then json_extract_string(value::json, '$')::json
         else '{}'::json
    end;

-- json_list_or_null: a JSON list of strings given as JSON or as a string holding JSON -> its JSON text, else NULL.
create or replace macro json_list_or_null(value) as
    case when try(json_type(value::json)) = 'ARRAY' then value::json
         when try(json_type(value::json)) = 'VARCHAR'
              and try(json_type(json_extract_string(value::json, '$')::json)) = 'ARRAY'
             then json_extract_string(value::json, '$')::json
    end;

-- custom_id_attributes: the attributes a batch request's custom_id carries, as a JSON object. Batch output files
-- carry no metadata, so a custom_id made of '__'-separated key-value segments is read as attributes:
-- 'task_type-extraction__team-search__0042' (Anthropic allows only letters, digits, '_' and '-') or
-- 'task_type=extraction__team=search' gives task_type and team; a segment without a separator ('0042') is ignored.
-- A custom_id with neither '__' nor '=' ('req-0042'), or that is a JSON object, carries no attributes.
create or replace macro custom_id_attributes(custom_id) as
    case when is_structured(custom_id) then '{}'::json else list_reduce(
        list_transform(
            list_filter(
                string_split(coalesce(custom_id, ''), '__'),
                lambda segment: (contains(custom_id, '__') or contains(custom_id, '='))
                    and regexp_matches(segment, '^[^=-]+[=-].')
            ),
            lambda segment: json_object(
                regexp_extract(segment, '^([^=-]+)[=-](.*)$', 1), regexp_extract(segment, '^([^=-]+)[=-](.*)$', 2)
            )
        ),
        -- a key given twice keeps its first value
        lambda merged, segment_object: json_merge_patch(segment_object, merged),
        '{}'::json
    ) end;

-- hint_attribute_keys: the keys of a source's attributes that a task_type_from `attribute` rule could use: those
-- holding a short text value (values themselves are never stored). NULL when there are none.
create or replace macro hint_attribute_keys(attributes) as
    nullif(list_filter(
        coalesce(try(json_keys(attributes::json)), []::varchar[]),
        lambda attribute_key: try(json_type(attributes::json, '$."' || replace(attribute_key, '"', '\"') || '"'))
                              = 'VARCHAR'
            and length(json_extract_string(attributes::json, '$."' || replace(attribute_key, '"', '\"') || '"'))
                between 1 and 64
    ), []::varchar[]);

-- litellm_calls_a_model: whether a LiteLLM log row (payload or spend log) is a model call. Batch and file
-- operations, fine-tuning, MCP tool calls, vector stores and answers from LiteLLM's own cache call no model.
create or replace macro litellm_calls_a_model(call_type, cache_hit) as
    not (coalesce(regexp_matches(call_type, 'batch|file|fine_tun|mcp|vector_store'), false)
         or coalesce(lower(cache_hit) = 'true', false));

-- token_sum: the contract's count from a source's separate buckets (text), e.g. Anthropic's uncached input + cache
-- reads + cache writes: their sum as text, NULL when every bucket is. A bucket that is not a whole number >= 0 is
-- returned as it is instead, so that validation rejects the record naming its value (a sum would hide a negative
-- bucket, or turn 'true' into 1).
create or replace macro token_sum(buckets) as
    case when list_filter(buckets, lambda bucket: bucket is not null) = [] then null
         else coalesce(
             list_filter(buckets, lambda bucket: bucket is not null and not coalesce(count_number(bucket) >= 0, false))[1],
             list_sum(list_transform(buckets, lambda bucket: coalesce(count_number(bucket), 0)))::varchar
         )
    end;

-- json_types_are: whether every value a wildcard JSON path finds in a record has the JSON type expected (true when
-- it finds none).
create or replace macro json_types_are(record, path, expected) as
    coalesce(list_filter(try(json_type(record, path)), lambda found: found <> expected) = [], true);
