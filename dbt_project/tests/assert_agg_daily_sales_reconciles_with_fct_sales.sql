-- Lines, units and net revenue of agg_daily_sales match fct_sales for every sale date x channel.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'agg_daily_sales'}}}) }}

with facts as (
    select
        sale_date,
        channel,
        count(*) as sale_lines,
        sum(quantity) as units_sold,
        sum(net_amount_usd) as net_revenue_usd
    from {{ ref('fct_sales') }}
    group by sale_date, channel
),

aggregates as (
    select * from {{ ref('agg_daily_sales') }}
)

select
    coalesce(facts.sale_date, aggregates.sale_date) as sale_date,
    coalesce(facts.channel, aggregates.channel) as channel,
    facts.net_revenue_usd as fct_net_revenue_usd,
    aggregates.net_revenue_usd as agg_net_revenue_usd
from facts
full outer join aggregates
    on facts.sale_date = aggregates.sale_date
    and facts.channel = aggregates.channel
-- a cent of tolerance: an adapter may sum decimals as floats
where facts.sale_date is null
    or aggregates.sale_date is null
    or abs(facts.net_revenue_usd - aggregates.net_revenue_usd) >= 0.01
    or facts.sale_lines is distinct from aggregates.sale_lines
    or facts.units_sold is distinct from aggregates.units_sold
