-- One row per e-commerce order, current state. Deleted orders (CDC tombstones) are KEPT and
-- flagged `is_deleted` so that deletions stay visible and countable; every mart excludes them.
with orders as (
    select * from {{ ref('int_orders_current') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

first_customer_versions as (
    select
        customer_id,
        customer_sk
    from customers
    where version_number = 1
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        coalesce(customer_as_of.customer_sk, first_customer.customer_sk) as customer_sk,
        orders.session_id,
        orders.status,
        orders.is_deleted,
        orders.status in ('canceled', 'refunded') as is_canceled_or_refunded,
        orders.currency,
        orders.order_total,
        orders.order_total_usd,
        orders.shipping_country,
        orders.created_at,
        orders.created_date,
        orders.paid_at,
        orders.shipped_at,
        orders.delivered_at,
        orders.canceled_at,
        orders.refunded_at,
        orders.hours_created_to_shipped,
        orders.hours_shipped_to_delivered,
        orders.updated_at,
        orders.last_lsn,
        orders.snapshot_date
    from orders
    -- the customer version in force when the order was created
    left join customers as customer_as_of
        on orders.customer_id = customer_as_of.customer_id
        and {{ scd2_valid_at('customer_as_of', 'orders.created_at') }}
    left join first_customer_versions as first_customer
        on orders.customer_id = first_customer.customer_id
)

select * from final
