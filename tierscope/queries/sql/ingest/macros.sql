-- Scalar macros of the ingest path.
-- whole_number: text -> BIGINT when it is a whole number ("12", "12.0", "1e3"), else NULL.
create or replace macro whole_number(value_text) as
    case when try_cast(value_text as double) = floor(try_cast(value_text as double))
              and abs(try_cast(value_text as double)) < 9e18
         then try_cast(value_text as double)::bigint end;

-- token_problem: the reject reason for one token count, or NULL when it is fine.
create or replace macro token_problem(field_name, value_text, value, is_malformed, is_required) as
    case when is_malformed then null
         when value_text is null and is_required then field_name || ': missing (required)'
         when value_text is not null and value is null then
            field_name || ': ''' || left(value_text::varchar, 60) || ''' is not a whole number'
         when value < 0 then field_name || ': ' || value || ' is negative (a count >= 0 expected)'
    end;

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
