-- Net sales per sale date and channel (store / online), amounts in USD: every reported sale line
-- (int_sales_reported) as recorded when it was sold (online lines of orders canceled later
-- included). Only loaded days are reported (a line dated before the first loaded day is not a
-- day's sales); a day is provisional while late lines can still arrive. Definitions:
-- docs/metrics.md.
with sales as (
    select * from {{ ref('int_sales_reported') }}
),

aggregated as (
    select
        sales.sale_date,
        sales.channel,
        sales.is_provisional,
        count(*) as sale_lines,
        sum(sales.quantity) as units_sold,
        sum(sales.gross_amount_usd) as gross_revenue_usd,
        sum(sales.discount_usd) as discount_usd,
        sum(sales.net_amount_usd) as net_revenue_usd,
        -- store transactions and online orders: one basket each
        count(distinct coalesce(sales.transaction_id, sales.order_id)) as orders_or_transactions,
        count(distinct sales.customer_id) as distinct_customers
    from sales
    group by sales.sale_date, sales.channel, sales.is_provisional
),

final as (
    select
        aggregated.sale_date,
        aggregated.channel,
        cast(aggregated.sale_lines as {{ dbt.type_bigint() }}) as sale_lines,
        cast(aggregated.units_sold as {{ dbt.type_bigint() }}) as units_sold,
        cast(aggregated.gross_revenue_usd as {{ type_money() }}) as gross_revenue_usd,
        cast(aggregated.discount_usd as {{ type_money() }}) as discount_usd,
        cast(aggregated.net_revenue_usd as {{ type_money() }}) as net_revenue_usd,
        cast(aggregated.orders_or_transactions as {{ dbt.type_bigint() }}) as orders_or_transactions,
        cast(aggregated.distinct_customers as {{ dbt.type_bigint() }}) as distinct_customers,
        {{ money_ratio('aggregated.net_revenue_usd', 'aggregated.orders_or_transactions') }} as avg_basket_usd,
        aggregated.is_provisional
    from aggregated
)

select * from final
