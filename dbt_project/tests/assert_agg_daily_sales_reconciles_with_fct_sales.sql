-- agg_daily_sales holds exactly the loaded days' sale lines of fct_sales, less those of orders
-- deleted since: lines, units and every money column match to the cent per sale date x channel
-- (decimal sums are exact: no tolerance), and no day outside the loaded partitions is reported.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'agg_daily_sales'}}}) }}

with facts as (
    select
        sales.sale_date,
        sales.channel,
        count(*) as sale_lines,
        sum(sales.quantity) as units_sold,
        {{ sum_money('sales.gross_amount_usd') }} as gross_revenue_usd,
        {{ sum_money('sales.discount_usd') }} as discount_usd,
        {{ sum_money('sales.net_amount_usd') }} as net_revenue_usd
    from {{ ref('fct_sales') }} as sales
    inner join {{ ref('dim_date') }} as calendar_days
        on sales.sale_date = calendar_days.date_day
    left join {{ ref('fct_orders') }} as orders
        on sales.order_id = orders.order_id
    where calendar_days.is_loaded
        and (orders.order_id is null or not orders.is_deleted)
    group by sales.sale_date, sales.channel
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
where facts.sale_date is null
    or aggregates.sale_date is null
    or facts.sale_lines <> aggregates.sale_lines
    or facts.units_sold <> aggregates.units_sold
    or facts.gross_revenue_usd <> aggregates.gross_revenue_usd
    or facts.discount_usd <> aggregates.discount_usd
    or facts.net_revenue_usd <> aggregates.net_revenue_usd
    or aggregates.gross_revenue_usd - aggregates.discount_usd <> aggregates.net_revenue_usd
