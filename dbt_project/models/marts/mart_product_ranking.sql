-- Every product (current version) ranked by net sales revenue (USD, both channels, the reported lines
-- of int_sales_reported, as agg_daily_sales), overall and within its current category. Products
-- without sales rank last with 0. Definitions: docs/metrics.md.
with products as (
    select * from {{ ref('dim_products') }}
),

sales as (
    select * from {{ ref('int_sales_reported') }}
),

current_products as (
    select *
    from products
    where is_current
),

product_sales as (
    select
        sales.product_id,
        count(*) as sale_lines,
        sum(sales.quantity) as units_sold,
        sum(sales.net_amount_usd) as net_revenue_usd,
        count(distinct coalesce(sales.transaction_id, sales.order_id)) as orders_or_transactions,
        max(sales.sale_date) as last_sale_date
    from sales
    group by sales.product_id
),

joined as (
    select
        current_products.product_id,
        current_products.product_sk,
        current_products.sku,
        current_products.product_name,
        current_products.category,
        current_products.subcategory,
        current_products.brand,
        current_products.is_active,
        cast(coalesce(product_sales.sale_lines, 0) as {{ dbt.type_bigint() }}) as sale_lines,
        cast(coalesce(product_sales.units_sold, 0) as {{ dbt.type_bigint() }}) as units_sold,
        cast(coalesce(product_sales.net_revenue_usd, 0) as {{ type_money() }}) as net_revenue_usd,
        cast(coalesce(product_sales.orders_or_transactions, 0) as {{ dbt.type_bigint() }})
            as orders_or_transactions,
        product_sales.last_sale_date
    from current_products
    left join product_sales
        on current_products.product_id = product_sales.product_id
),

ranked as (
    select
        *,
        cast(rank() over (order by net_revenue_usd desc) as {{ dbt.type_int() }}) as revenue_rank,
        cast(
            rank() over (partition by category order by net_revenue_usd desc)
            as {{ dbt.type_int() }}
        ) as category_revenue_rank,
        -- the total is summed as a decimal: exact, so the share does not depend on row order
        cast(
            cast(net_revenue_usd as {{ type_double() }})
            / cast(nullif(sum(net_revenue_usd) over (), 0) as {{ type_double() }})
            as {{ type_double() }}
        ) as share_of_net_revenue
    from joined
)

select * from ranked
