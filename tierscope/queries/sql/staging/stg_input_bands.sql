-- The input-size bands a trace's answer is kept in (traces.answer_input_band_*, for the context guard and
-- long-context prices in the daily trace rollup):
-- a geometric grid from 8,192 tokens, 4 steps per doubling, plus every threshold the config draws: each price-book
-- model's guard limit (context_guard_ratio x its window, rounded down) and each long-context threshold. A decision
-- against one of those thresholds is therefore the same for every count in a band; against any other limit
-- (a scenario with another guard ratio) it is off by at most one band (a factor of 2^(1/4)).
-- grain: one row per band (lower, upper]: the first from -1 (so 0 tokens falls in it), the last open (upper NULL).
with settings as (
    select * from cfg_settings
),

models as (
    select * from cfg_models
),

prices as (
    select * from stg_prices
),

grid as (
    select (8192 * pow(2, step / 4))::bigint as edge from range(0, 40) as steps(step)
),

thresholds as (
    select floor(settings.context_guard_ratio * models.context_window)::bigint as edge
    from models
    cross join settings
    where models.context_window is not null
    union
    select long_context_above_tokens from prices where long_context_above_tokens is not null
),

edges as (
    select edge from grid
    union
    select edge from thresholds where edge > 0
),

bands as (
    select lag(edge, 1, -1) over (order by edge) as lower, edge as upper from edges
    union all
    select max(edge), null from edges
)

select * from bands
