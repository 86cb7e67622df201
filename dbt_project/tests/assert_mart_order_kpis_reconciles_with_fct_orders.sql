-- Orders and revenue of mart_order_kpis add up to fct_orders over the loaded days (deleted orders
-- excluded, canceled orders excluded from net revenue), to the cent.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'mart_order_kpis'}}}) }}

with facts as (
    select
        count(*) as orders_created,
        coalesce({{ sum_money('orders.order_total_usd') }}, 0) as order_value_usd,
        coalesce({{ sum_money("case when orders.status <> 'canceled' then orders.order_total_usd else 0 end") }}, 0)
            as net_revenue
    from {{ ref('fct_orders') }} as orders
    inner join {{ ref('dim_date') }} as calendar_days
        on orders.created_date = calendar_days.date_day
    where not orders.is_deleted
        and calendar_days.is_loaded
),

kpis as (
    select
        coalesce(sum(orders_created), 0) as orders_created,
        coalesce({{ sum_money('order_value_usd') }}, 0) as order_value_usd,
        coalesce({{ sum_money('net_revenue') }}, 0) as net_revenue
    from {{ ref('mart_order_kpis') }}
)

select
    facts.orders_created as fct_orders_created,
    kpis.orders_created as kpi_orders_created,
    facts.net_revenue as fct_net_revenue,
    kpis.net_revenue as kpi_net_revenue
from facts
cross join kpis
where facts.orders_created <> kpis.orders_created
    or facts.order_value_usd <> kpis.order_value_usd
    or facts.net_revenue <> kpis.net_revenue
