-- Every reported sale line lands in exactly one category: per sale date, agg_sales_by_category
-- adds up to agg_daily_sales (lines, units, gross and net revenue, to the cent) and reports the
-- same days.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'agg_sales_by_category'}}}) }}

with channels as (
    select
        sale_date,
        sum(sale_lines) as sale_lines,
        sum(units_sold) as units_sold,
        {{ sum_money('gross_revenue_usd') }} as gross_revenue_usd,
        {{ sum_money('net_revenue_usd') }} as net_revenue_usd
    from {{ ref('agg_daily_sales') }}
    group by sale_date
),

categories as (
    select
        sale_date,
        sum(sale_lines) as sale_lines,
        sum(units_sold) as units_sold,
        {{ sum_money('gross_revenue_usd') }} as gross_revenue_usd,
        {{ sum_money('net_revenue_usd') }} as net_revenue_usd
    from {{ ref('agg_sales_by_category') }}
    group by sale_date
)

select
    coalesce(channels.sale_date, categories.sale_date) as sale_date,
    channels.net_revenue_usd as channel_net_revenue_usd,
    categories.net_revenue_usd as category_net_revenue_usd
from channels
full outer join categories
    on channels.sale_date = categories.sale_date
where channels.sale_date is null
    or categories.sale_date is null
    or channels.sale_lines <> categories.sale_lines
    or channels.units_sold <> categories.units_sold
    or channels.gross_revenue_usd <> categories.gross_revenue_usd
    or channels.net_revenue_usd <> categories.net_revenue_usd
