-- The customers' lifetime figures cover the same window as the daily marts: their revenue adds up
-- to the reported days' sales lines of current customers (those of orders deleted since left out,
-- as agg_daily_sales does), to the cent, and their orders to the reported days' orders.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_360'}}}) }}

with customers as (
    select
        coalesce({{ sum_money('lifetime_revenue_usd') }}, 0) as revenue_usd,
        coalesce(sum(lifetime_orders), 0) as orders
    from {{ ref('mart_customer_360') }}
),

reported_days as (
    select date_day
    from {{ ref('dim_date') }}
    where is_loaded
),

current_customers as (
    select customer_id
    from {{ ref('dim_customers') }}
    where is_current
),

sales as (
    select coalesce({{ sum_money('sales.net_amount_usd') }}, 0) as revenue_usd
    from {{ ref('fct_sales') }} as sales
    inner join reported_days
        on sales.sale_date = reported_days.date_day
    inner join current_customers
        on sales.customer_id = current_customers.customer_id
    left join {{ ref('fct_orders') }} as sale_orders
        on sales.order_id = sale_orders.order_id
    where sale_orders.order_id is null
        or not sale_orders.is_deleted
),

orders as (
    select count(*) as orders
    from {{ ref('fct_orders') }} as orders
    inner join reported_days
        on orders.created_date = reported_days.date_day
    inner join current_customers
        on orders.customer_id = current_customers.customer_id
    where not orders.is_deleted
)

select
    customers.revenue_usd as mart_revenue_usd,
    sales.revenue_usd as sales_revenue_usd,
    customers.orders as mart_orders,
    orders.orders as fct_orders
from customers
cross join sales
cross join orders
where customers.revenue_usd <> sales.revenue_usd
    or customers.orders <> orders.orders
