-- Every reported sale line is counted for one current product: the ranking's revenue, lines and
-- units add up to agg_daily_sales over all reported days, to the cent.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'mart_product_ranking'}}}) }}

with ranking as (
    select
        coalesce({{ sum_money('net_revenue_usd') }}, 0) as net_revenue_usd,
        coalesce(sum(sale_lines), 0) as sale_lines,
        coalesce(sum(units_sold), 0) as units_sold
    from {{ ref('mart_product_ranking') }}
),

daily as (
    select
        coalesce({{ sum_money('net_revenue_usd') }}, 0) as net_revenue_usd,
        coalesce(sum(sale_lines), 0) as sale_lines,
        coalesce(sum(units_sold), 0) as units_sold
    from {{ ref('agg_daily_sales') }}
)

select
    ranking.net_revenue_usd as ranking_net_revenue_usd,
    daily.net_revenue_usd as daily_net_revenue_usd
from ranking
cross join daily
where ranking.net_revenue_usd <> daily.net_revenue_usd
    or ranking.sale_lines <> daily.sale_lines
    or ranking.units_sold <> daily.units_sold
