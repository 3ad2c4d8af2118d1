-- params: start_at, end_at, task_types, teams, providers
-- For calls whose task type is unknown: the task_type_from rules (routing.yaml) that could give them one, from what
-- they carry: a tag 'prefix:value' (a tag_prefix rule) or a source attribute holding a short text value (an attribute
-- rule; only its key is stored). grain: one row per candidate rule, the most calls first; calls counts the unknown
-- calls it would reach, share_of_unknown_calls their share of all unknown calls in scope, example_values a few of the
-- values a tag rule would give (attribute values are not stored), sources the files the calls came from.
with calls as (
    select * from int_call_exceptions_in_scope(start_at, end_at, task_types, teams, providers)
),

unknown_calls as (
    select request_id, tags, attribute_keys, source, started_at
    from calls
    where task_type = 'unknown'
),

tagged as (
    select request_id, source, started_at, unnest(tags) as tag from unknown_calls
),

keyed as (
    select request_id, source, started_at, unnest(attribute_keys) as attribute_key from unknown_calls
),

tag_candidates as (
    select
        'tag_prefix' as rule_kind,
        split_part(tag, ':', 1) || ':' as rule_key,
        substr(tag, strpos(tag, ':') + 1) as example_value,
        request_id,
        source,
        started_at
    from tagged
    where strpos(tag, ':') > 1 and length(tag) > strpos(tag, ':')
),

attribute_candidates as (
    select
        'attribute' as rule_kind,
        attribute_key as rule_key,
        null as example_value,
        request_id,
        source,
        started_at
    from keyed
),

candidates as (
    select * from tag_candidates
    union all
    select * from attribute_candidates
),

unknown_total as (
    select count(*) as unknown_calls from unknown_calls
),

hints as (
    select
        rule_kind,
        rule_key,
        case rule_kind when 'tag_prefix' then '- tag_prefix: "' || rule_key || '"'
                       else '- attribute: ' || rule_key end as rule_yaml,
        count(distinct request_id) as calls,
        count(distinct request_id) / any_value(unknown_total.unknown_calls) as share_of_unknown_calls,
        nullif(list_sort(list_distinct(list(example_value)))[:3], []) as example_values,
        min(started_at) as first_started_at,
        max(started_at) as last_started_at,
        string_agg(distinct source, ', ' order by source) as sources
    from candidates
    cross join unknown_total
    group by rule_kind, rule_key
    order by calls desc, rule_kind, rule_key
)

select * from hints
