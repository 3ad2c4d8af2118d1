-- Scalar macros of the ingest path.
-- max_tokens_per_call: the most tokens of one kind a single call may report (1e12; the largest context windows
-- are around 1e7). A count above it is a corrupt record, quarantined; it also keeps every stored sum far from
-- overflowing.
create or replace macro max_tokens_per_call() as 1000000000000;

-- count_number: text (or a number) -> its value as DOUBLE when it is a finite whole number ("12", "12.0", "1e3"),
-- else NULL ("12.7", "true", "inf", an object). A JSON boolean arrives as the text 'true': it is not a count.
create or replace macro count_number(value_text) as
    case when isfinite(try_cast(value_text as double))
              and try_cast(value_text as double) = floor(try_cast(value_text as double))
         then try_cast(value_text as double) end;

-- is_structured: whether text is a JSON object or list (what DuckDB's readers give for one where text is expected).
create or replace macro is_structured(value_text) as
    (starts_with(value_text, '{') or starts_with(value_text, '[')) and json_valid(value_text);

-- shown_value: a staged value as a reject reason quotes it: its first 60 characters, quoted; never the content of a
-- JSON object or list, which may carry prompt text.
create or replace macro shown_value(value_text) as
    case when is_structured(trim(value_text::varchar)) then 'a JSON object or list'
         else '''' || left(value_text::varchar, 60) || '''' end;

-- token_problem: the reject reason for one token count (value = count_number(value_text)), or NULL when it is fine.
create or replace macro token_problem(field_name, value_text, value, is_malformed, is_required) as
    case when is_malformed then null
         when value_text is null and is_required then field_name || ': missing (required)'
         when value_text is not null and value is null then
            field_name || ': ' || shown_value(value_text) || ' is not a whole number'
         when value < 0 then field_name || ': ' || trim(value_text::varchar) || ' is negative (a count >= 0 expected)'
         when value > max_tokens_per_call() then
            field_name || ': ' || trim(value_text::varchar) || ' is above the ceiling of ' || max_tokens_per_call()
            || ' tokens per call'
    end;

-- number_problem: the reject reason for an optional amount or score (value = try_cast(value_text as double)), or NULL
-- when it is absent or a number.
create or replace macro number_problem(field_name, value_text, value) as
    case when value_text is not null and value is null then
        field_name || ': ' || shown_value(value_text) || ' is not a number' end;

-- clean_text: nullif(trim(value), '') (trim strips Unicode space separators) without copying the common value that
-- has nothing to trim: an ASCII value with no space in it is returned as it is, any other value is trimmed.
create or replace macro clean_text(value_text) as
    nullif(case when strlen(value_text) = length(value_text) and not contains(value_text, ' ')
                then value_text else trim(value_text) end, '');

-- utc_time: text with a time zone or offset (ISO-8601 '...Z', '...+02:00') -> TIMESTAMP in UTC, the value of
-- try_cast(text as timestamptz) at time zone 'UTC' without a time zone conversion per row; NULL when the text does not
-- read as one, or is infinite (epoch_us gives NULL then), so that the caller falls back to its more lenient reading.
create or replace macro utc_time(value_text) as
    make_timestamp(epoch_us(try_cast(value_text as timestamptz)));

-- epoch_time: an epoch number (text) -> TIMESTAMP, its unit read from its magnitude: below 1e11 seconds, below 1e14
-- milliseconds, below 1e17 microseconds, below 1e20 nanoseconds (for the years 1973 to 5138 the units cannot be
-- confused; times before 1973-03-03 given in ms, us or ns read as later times in a larger unit). Whole numbers are
-- read exactly (HUGEINT), others as DOUBLE. NULL for anything else, and for 1e20 and above.
create or replace macro epoch_time(value_text) as
    case when regexp_full_match(trim(value_text), '-?[0-9]{1,30}') then
            make_timestamp(case
                when abs(trim(value_text)::hugeint) < 100000000000 then trim(value_text)::hugeint * 1000000
                when abs(trim(value_text)::hugeint) < 100000000000000 then trim(value_text)::hugeint * 1000
                when abs(trim(value_text)::hugeint) < 100000000000000000 then trim(value_text)::hugeint
                when abs(trim(value_text)::hugeint) < 100000000000000000000 then trim(value_text)::hugeint // 1000
            end::bigint)
         when regexp_full_match(trim(value_text), '-?[0-9]+(\.[0-9]*)?([eE][+-]?[0-9]+)?')
              and abs(trim(value_text)::double) < 1e20 then
            make_timestamp(round(case
                when abs(trim(value_text)::double) < 1e11 then trim(value_text)::double * 1e6
                when abs(trim(value_text)::double) < 1e14 then trim(value_text)::double * 1e3
                when abs(trim(value_text)::double) < 1e17 then trim(value_text)::double
                else trim(value_text)::double / 1e3
            end)::bigint)
    end;

-- is_plausible_time: the years a call's time may have (1970 to 2099): a time outside them is a unit or a clock gone
-- wrong (epoch microseconds read as seconds, a zero date, infinity), quarantined rather than loaded. Future times
-- within the range are accepted: clocks and batch results may run ahead, and a reader cannot know by how much.
create or replace macro is_plausible_time(value) as
    value >= timestamp '1970-01-01' and value < timestamp '2100-01-01';

-- known_fields_json: what quarantine keeps of a rejected record besides its place and reasons: its known scalar fields
-- (a list of {key, value} text), as a JSON object of the values present, each cut to 100 characters; a value that is
-- a JSON object or list is left out (it may carry prompt text).
create or replace macro known_fields_json(fields) as
    to_json(map_from_entries(list_filter(
        list_transform(fields, lambda known: {
            'key': known.key,
            'value': case when not is_structured(trim(known.value)) then left(known.value, 100) end
        }),
        lambda known: known.value is not null
    )))::varchar;
