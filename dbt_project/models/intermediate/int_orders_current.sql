-- Every order's current state: the latest daily snapshot of the CDC-applied orders, with its
-- lifecycle timestamps from the latest gold lifecycle snapshot. Tombstones (deleted orders) are
-- kept here, flagged `is_deleted`: consumers decide.
with order_snapshots as (
    select * from {{ ref('stg_orders__order_snapshots') }}
),

lifecycle_snapshots as (
    select * from {{ ref('stg_gold__order_lifecycle') }}
),

latest_orders as (
    select *
    from order_snapshots
    where snapshot_date = (select max(all_orders.snapshot_date) from order_snapshots as all_orders)
),

latest_lifecycle as (
    select *
    from lifecycle_snapshots
    where snapshot_date = (select max(all_lifecycles.snapshot_date) from lifecycle_snapshots as all_lifecycles)
),

joined as (
    select
        orders.order_id,
        orders.customer_id,
        orders.session_id,
        orders.status,
        orders.is_deleted,
        orders.currency,
        orders.order_total,
        {{ to_usd('orders.order_total', 'orders.currency') }} as order_total_usd,
        orders.shipping_country,
        -- the order's own creation time: the lifecycle only knows events seen since the lake began
        orders.created_at,
        cast(orders.created_at as date) as created_date,
        lifecycle.paid_at,
        lifecycle.shipped_at,
        lifecycle.delivered_at,
        lifecycle.canceled_at,
        lifecycle.refunded_at,
        cast(
            {{ dbt.datediff('orders.created_at', 'lifecycle.shipped_at', 'second') }} as {{ type_double() }}
        ) / 3600.0 as hours_created_to_shipped,
        cast(
            {{ dbt.datediff('lifecycle.shipped_at', 'lifecycle.delivered_at', 'second') }} as {{ type_double() }}
        ) / 3600.0 as hours_shipped_to_delivered,
        orders.updated_at,
        orders.last_lsn,
        orders.last_operation,
        orders.snapshot_date
    from latest_orders as orders
    left join latest_lifecycle as lifecycle
        on orders.order_id = lifecycle.order_id
)

select * from joined
