-- Sales per sale date and channel (store / online), amounts in USD.
with sales as (
    select * from {{ ref('fct_sales') }}
),

aggregated as (
    select
        sale_date,
        channel,
        count(*) as sale_lines,
        sum(quantity) as units_sold,
        sum(gross_amount_usd) as gross_revenue_usd,
        sum(discount_usd) as discount_usd,
        sum(net_amount_usd) as net_revenue_usd,
        -- store transactions and online orders: one basket each
        count(distinct coalesce(transaction_id, order_id)) as orders_or_transactions,
        count(distinct customer_id) as distinct_customers
    from sales
    group by sale_date, channel
),

final as (
    select
        sale_date,
        channel,
        cast(sale_lines as {{ dbt.type_bigint() }}) as sale_lines,
        cast(units_sold as {{ dbt.type_bigint() }}) as units_sold,
        cast(gross_revenue_usd as {{ type_money() }}) as gross_revenue_usd,
        cast(discount_usd as {{ type_money() }}) as discount_usd,
        cast(net_revenue_usd as {{ type_money() }}) as net_revenue_usd,
        cast(orders_or_transactions as {{ dbt.type_bigint() }}) as orders_or_transactions,
        cast(distinct_customers as {{ dbt.type_bigint() }}) as distinct_customers,
        cast(net_revenue_usd / nullif(orders_or_transactions, 0) as {{ type_money() }}) as avg_basket_usd
    from aggregated
)

select * from final
