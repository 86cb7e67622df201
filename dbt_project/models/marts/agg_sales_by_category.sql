-- Net sales per sale date and product category (the category of the product version in force at
-- the time of the sale), amounts in USD. The same lines and days as agg_daily_sales: per day, the
-- categories add up to its channels. Definitions: docs/metrics.md.
with sales as (
    select * from {{ ref('int_sales_reported') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

aggregated as (
    select
        sales.sale_date,
        products.category,
        sales.is_provisional,
        count(*) as sale_lines,
        sum(sales.quantity) as units_sold,
        sum(sales.gross_amount_usd) as gross_revenue_usd,
        sum(sales.net_amount_usd) as net_revenue_usd,
        count(distinct coalesce(sales.transaction_id, sales.order_id)) as orders_or_transactions,
        count(distinct sales.product_id) as distinct_products
    from sales
    inner join products
        on sales.product_sk = products.product_sk
    group by sales.sale_date, products.category, sales.is_provisional
),

final as (
    select
        aggregated.sale_date,
        aggregated.category,
        cast(aggregated.sale_lines as {{ dbt.type_bigint() }}) as sale_lines,
        cast(aggregated.units_sold as {{ dbt.type_bigint() }}) as units_sold,
        cast(aggregated.gross_revenue_usd as {{ type_money() }}) as gross_revenue_usd,
        cast(aggregated.net_revenue_usd as {{ type_money() }}) as net_revenue_usd,
        cast(aggregated.orders_or_transactions as {{ dbt.type_bigint() }}) as orders_or_transactions,
        cast(aggregated.distinct_products as {{ dbt.type_bigint() }}) as distinct_products,
        -- the total is summed as a decimal: exact, so the share does not depend on row order
        cast(
            cast(aggregated.net_revenue_usd as {{ type_double() }})
            / cast(
                nullif(sum(aggregated.net_revenue_usd) over (partition by aggregated.sale_date), 0)
                as {{ type_double() }}
            )
            as {{ type_double() }}
        ) as share_of_day_net_revenue,
        aggregated.is_provisional
    from aggregated
)

select * from final
