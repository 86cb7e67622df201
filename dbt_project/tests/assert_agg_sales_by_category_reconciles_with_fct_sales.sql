-- Every sale line lands in exactly one category: per sale date, agg_sales_by_category adds up to
-- fct_sales.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'agg_sales_by_category'}}}) }}

with facts as (
    select
        sale_date,
        count(*) as sale_lines,
        sum(net_amount_usd) as net_revenue_usd
    from {{ ref('fct_sales') }}
    group by sale_date
),

categories as (
    select
        sale_date,
        sum(sale_lines) as sale_lines,
        sum(net_revenue_usd) as net_revenue_usd
    from {{ ref('agg_sales_by_category') }}
    group by sale_date
)

select
    coalesce(facts.sale_date, categories.sale_date) as sale_date,
    facts.net_revenue_usd as fct_net_revenue_usd,
    categories.net_revenue_usd as category_net_revenue_usd
from facts
full outer join categories
    on facts.sale_date = categories.sale_date
-- a cent of tolerance: an adapter may sum decimals as floats
where facts.sale_date is null
    or categories.sale_date is null
    or abs(facts.net_revenue_usd - categories.net_revenue_usd) >= 0.01
    or facts.sale_lines is distinct from categories.sale_lines
