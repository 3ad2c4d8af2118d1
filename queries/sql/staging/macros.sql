-- Scalar macros shared by every layer.
-- model_key: the lookup key of a model name: lower case, no provider prefix ("openai/"), no date suffix
-- ("-2024-08-06", "-20251001", "@20241022").
create or replace macro model_key(model_name) as
    regexp_replace(
        regexp_replace(lower(trim(model_name)), '^.*/', ''),
        '[-@]([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$', ''
    );
