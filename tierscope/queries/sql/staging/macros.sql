-- Scalar macros shared by every layer.
-- model_key: the lookup key of a model name: lower case, no provider prefix ("openai/"), no date suffix
-- ("-2024-08-06", "-20251001", "@20241022").
create or replace macro model_key(model_name) as
    regexp_replace(
        regexp_replace(lower(trim(model_name)), '^.*/', ''),
        '[-@]([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$', ''
    );

-- token_cost_usd: the cost of token counts (a struct or row with input_tokens, cached_input_tokens,
-- cache_write_tokens, output_tokens, reasoning_tokens) at prices (a struct or row with the five
-- *_usd_per_1m_tokens columns of stg_prices): uncached input, cache reads, cache writes, visible output and reasoning
-- each at their own price (docs/concepts.md). NULL when the prices are (an unpriced model).
create or replace macro token_cost_usd(tokens, prices) as (
    greatest(tokens.input_tokens - tokens.cached_input_tokens - tokens.cache_write_tokens, 0)
        * prices.input_usd_per_1m_tokens
    + tokens.cached_input_tokens * prices.cached_input_usd_per_1m_tokens
    + tokens.cache_write_tokens * prices.cache_write_usd_per_1m_tokens
    + greatest(tokens.output_tokens - tokens.reasoning_tokens, 0) * prices.output_usd_per_1m_tokens
    + tokens.reasoning_tokens * prices.reasoning_usd_per_1m_tokens
) / 1e6;

-- is_in_scope: whether a row's task type, team and provider pass a scope's lists (NULL list = no restriction;
-- a missing team or provider matches '(none)').
create or replace macro is_in_scope(task_type, team, provider, task_types, teams, providers) as
    (task_types is null or list_contains(task_types, task_type))
    and (teams is null or list_contains(teams, coalesce(team, '(none)')))
    and (providers is null or list_contains(providers, coalesce(provider, '(none)')));

-- A scope [start_at, end_at) read through the daily rollups: the whole UTC days inside it come from the rollup
-- tables, the partial days at its edges (the head and the tail) from the calls and traces themselves. NULL = open.
-- A scope inside one day is all head. Timestamps only; 'infinity' makes an empty edge.
create or replace macro scope_first_whole_day(start_at) as
    case when start_at::timestamp = date_trunc('day', start_at::timestamp) then start_at::timestamp
         else date_trunc('day', start_at::timestamp) + interval 1 day end;

create or replace macro scope_is_within_a_day(start_at, end_at) as
    coalesce(scope_first_whole_day(start_at) > date_trunc('day', end_at::timestamp), false);

-- whether a rollup row of day `day` belongs to the scope's whole days
create or replace macro scope_has_whole_day(day, start_at, end_at) as
    not scope_is_within_a_day(start_at, end_at)
    and (start_at is null or day >= scope_first_whole_day(start_at))
    and (end_at is null or day < date_trunc('day', end_at::timestamp));

create or replace macro scope_head_from(start_at) as coalesce(start_at::timestamp, 'infinity'::timestamp);

create or replace macro scope_head_to(start_at, end_at) as
    case when start_at is null then 'infinity'::timestamp
         when scope_is_within_a_day(start_at, end_at) then end_at::timestamp
         else scope_first_whole_day(start_at) end;

create or replace macro scope_tail_from(start_at, end_at) as
    case when end_at is null or scope_is_within_a_day(start_at, end_at) then 'infinity'::timestamp
         else date_trunc('day', end_at::timestamp) end;

create or replace macro scope_tail_to(end_at) as coalesce(end_at::timestamp, 'infinity'::timestamp);

-- cost_bucket: a cost's bucket on a log scale, 32 per decade (bucket b holds [10^(b/32), 10^((b+1)/32)));
-- -100000 holds zero costs; NULL stays NULL. cost_bucket_value: the value a bucket stands for (its geometric
-- middle), within 3.7% of any cost in it.
create or replace macro cost_bucket(cost) as
    case when cost <= 0 then -100000 else floor(log10(cost) * 32)::integer end;

create or replace macro cost_bucket_value(bucket) as
    case when bucket = -100000 then 0.0 else pow(10, (bucket + 0.5) / 32) end;

-- output_token_bucket: an output token count under 1,000 as it is, a larger one rounded down to 3 significant
-- digits (1,234 -> 1,230; 56,789 -> 56,700), so the bucket is within 1% of every count in it.
create or replace macro output_token_bucket(tokens) as
    case when tokens < 1000 then tokens
         else (tokens // pow(10, floor(log10(tokens)) - 2)::bigint) * pow(10, floor(log10(tokens)) - 2)::bigint end;
