-- One row per customer (current version): profile, lifetime orders and sales, support load.
-- "Lifetime" is one window for every figure: the loaded days (orders by creation date, sales by
-- sale date, tickets by opening date), from `figures_since_date` on; what happened before the lake
-- began is unknown, not zero. Revenue is net sales as recorded (fct_sales, both channels); what
-- was later canceled or refunded online is reported beside it, not deducted. Definitions:
-- docs/metrics.md.
with customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

sales as (
    select * from {{ ref('int_sales_reported') }}
),

tickets as (
    select * from {{ ref('fct_support_tickets') }}
),

reported_days as (
    select * from {{ ref('dim_date') }}
    where is_loaded
),

current_customers as (
    select *
    from customers
    where is_current
),

order_stats as (
    select
        orders.customer_id,
        count(*) as lifetime_orders,
        sum(case when orders.status in ('canceled', 'refunded') then 1 else 0 end) as canceled_or_refunded_orders,
        min(orders.created_at) as first_order_at,
        max(orders.created_at) as last_order_at
    from orders
    inner join reported_days
        on orders.created_date = reported_days.date_day
    where not orders.is_deleted
        and orders.customer_id is not null
    group by orders.customer_id
),

sales_stats as (
    select
        sales.customer_id,
        count(distinct sales.transaction_id) as lifetime_store_transactions,
        sum(sales.net_amount_usd) as lifetime_revenue_usd,
        sum(case when sales.order_status in ('canceled', 'refunded') then sales.net_amount_usd else 0 end)
            as lifetime_canceled_or_refunded_usd,
        max(sales.sale_ts) as last_purchase_at
    from sales
    where sales.customer_id is not null
    group by sales.customer_id
),

ticket_stats as (
    select
        tickets.customer_id,
        count(*) as tickets,
        sum(case when tickets.is_open then 1 else 0 end) as open_tickets
    from tickets
    inner join reported_days
        on cast(tickets.opened_at as date) = reported_days.date_day
    group by tickets.customer_id
),

window_start as (
    select min(date_day) as figures_since_date
    from reported_days
),

final as (
    select
        current_customers.customer_id,
        current_customers.customer_sk,
        current_customers.first_name,
        current_customers.last_name,
        current_customers.email,
        current_customers.phone,
        current_customers.city,
        current_customers.country,
        current_customers.loyalty_tier,
        current_customers.signup_date,
        current_customers.valid_from as profile_updated_at,
        cast(coalesce(order_stats.lifetime_orders, 0) as {{ dbt.type_bigint() }}) as lifetime_orders,
        cast(coalesce(order_stats.canceled_or_refunded_orders, 0) as {{ dbt.type_bigint() }})
            as canceled_or_refunded_orders,
        cast(coalesce(sales_stats.lifetime_store_transactions, 0) as {{ dbt.type_bigint() }})
            as lifetime_store_transactions,
        cast(coalesce(sales_stats.lifetime_revenue_usd, 0) as {{ type_money() }}) as lifetime_revenue_usd,
        cast(coalesce(sales_stats.lifetime_canceled_or_refunded_usd, 0) as {{ type_money() }})
            as lifetime_canceled_or_refunded_usd,
        order_stats.first_order_at,
        order_stats.last_order_at,
        sales_stats.last_purchase_at,
        cast(coalesce(ticket_stats.tickets, 0) as {{ dbt.type_bigint() }}) as support_tickets,
        cast(coalesce(ticket_stats.open_tickets, 0) as {{ dbt.type_bigint() }}) as open_tickets_count,
        window_start.figures_since_date
    from current_customers
    cross join window_start
    left join order_stats
        on current_customers.customer_id = order_stats.customer_id
    left join sales_stats
        on current_customers.customer_id = sales_stats.customer_id
    left join ticket_stats
        on current_customers.customer_id = ticket_stats.customer_id
)

select * from final
