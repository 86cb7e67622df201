-- Cancel and refund rates are shares of the same orders: each in [0, 1], together at most 1.
select *
from {{ ref('mart_order_kpis') }}
where cancel_rate < 0
    or cancel_rate > 1
    or refund_rate < 0
    or refund_rate > 1
    or cancel_rate + refund_rate > 1
    or conversion_rate < 0
