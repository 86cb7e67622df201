-- The sale lines the marts report: fct_sales on the loaded days (dim_date.is_loaded), less the
-- online lines of orders deleted since they were sold (a tombstone is not an order; fct_sales
-- keeps those lines, gold sales being built before the delete arrived). With each line: whether
-- its day is provisional and its order's current status. The one input of agg_daily_sales,
-- agg_sales_by_category, mart_customer_360 and mart_product_ranking, so they report the same lines.
with sales as (
    select * from {{ ref('fct_sales') }}
),

reported_days as (
    select * from {{ ref('dim_date') }}
    where is_loaded
),

orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        sales.*,
        reported_days.is_provisional,
        orders.status as order_status
    from sales
    inner join reported_days
        on sales.sale_date = reported_days.date_day
    left join orders
        on sales.order_id = orders.order_id
    where orders.order_id is null
        or not orders.is_deleted
)

select * from final
