-- Canceled and refunded orders are disjoint shares of the same day's orders: together at most 1,
-- and each equal to its count over orders_created (each rate's range is a generic test).
with kpis as (
    select * from {{ ref('mart_order_kpis') }}
)

select *
from kpis
where cancel_rate + refund_rate > 1 + 1e-9
    or (orders_created = 0 and (cancel_rate is not null or refund_rate is not null))
    or (sessions_started = 0 and conversion_rate is not null)
    or sessions_converted > sessions_started
