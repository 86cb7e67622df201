-- E-commerce KPIs per day of order creation (UTC), for the loaded days. Deleted orders (tombstones)
-- are not orders: they are excluded everywhere. Cancel and refund rates are shares of the orders
-- created that day by their CURRENT status, so a day's rates move as its orders progress; the
-- conversion rate is the share of the day's web sessions that converted. Definitions:
-- docs/metrics.md.
with orders as (
    select * from {{ ref('fct_orders') }}
),

web_sessions_daily as (
    select * from {{ ref('int_web_sessions_aggregated_daily') }}
),

reported_days as (
    select * from {{ ref('dim_date') }}
    where is_loaded
),

orders_daily as (
    select
        created_date as order_date,
        count(*) as orders_created,
        sum(order_total_usd) as order_value_usd,
        sum(case when status <> 'canceled' then order_total_usd else 0 end) as net_revenue,
        sum(case when status not in ('canceled', 'refunded') then order_total_usd else 0 end)
            as net_revenue_after_refunds,
        sum(case when status = 'canceled' then 1 else 0 end) as orders_canceled,
        sum(case when status = 'refunded' then 1 else 0 end) as orders_refunded,
        avg(hours_created_to_shipped) as avg_hours_created_to_shipped,
        avg(hours_shipped_to_delivered) as avg_hours_shipped_to_delivered
    from orders
    where not is_deleted
    group by created_date
),

final as (
    select
        reported_days.date_day as order_date,
        cast(coalesce(orders_daily.orders_created, 0) as {{ dbt.type_bigint() }}) as orders_created,
        cast(coalesce(web_sessions_daily.sessions_started, 0) as {{ dbt.type_bigint() }}) as sessions_started,
        cast(coalesce(web_sessions_daily.sessions_converted, 0) as {{ dbt.type_bigint() }})
            as sessions_converted,
        cast(coalesce(orders_daily.order_value_usd, 0) as {{ type_money() }}) as order_value_usd,
        cast(coalesce(orders_daily.net_revenue, 0) as {{ type_money() }}) as net_revenue,
        cast(coalesce(orders_daily.net_revenue_after_refunds, 0) as {{ type_money() }})
            as net_revenue_after_refunds,
        cast(
            cast(web_sessions_daily.sessions_converted as {{ type_double() }})
            / nullif(web_sessions_daily.sessions_started, 0)
            as {{ type_double() }}
        ) as conversion_rate,
        cast(
            cast(coalesce(orders_daily.orders_created, 0) as {{ type_double() }})
            / nullif(web_sessions_daily.sessions_started, 0)
            as {{ type_double() }}
        ) as orders_per_session,
        cast(
            cast(orders_daily.orders_canceled as {{ type_double() }})
            / nullif(orders_daily.orders_created, 0)
            as {{ type_double() }}
        ) as cancel_rate,
        cast(
            cast(orders_daily.orders_refunded as {{ type_double() }})
            / nullif(orders_daily.orders_created, 0)
            as {{ type_double() }}
        ) as refund_rate,
        -- rounded: a float average depends on summation order, which differs between runs
        cast(round(orders_daily.avg_hours_created_to_shipped, 2) as {{ type_double() }})
            as avg_hours_created_to_shipped,
        cast(round(orders_daily.avg_hours_shipped_to_delivered, 2) as {{ type_double() }})
            as avg_hours_shipped_to_delivered,
        reported_days.is_provisional
    -- every loaded day, with or without orders and sessions
    from reported_days
    left join orders_daily
        on reported_days.date_day = orders_daily.order_date
    left join web_sessions_daily
        on reported_days.date_day = web_sessions_daily.session_date
)

select * from final
