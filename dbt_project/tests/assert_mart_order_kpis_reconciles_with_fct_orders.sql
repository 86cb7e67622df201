-- Orders created and net revenue of mart_order_kpis add up to fct_orders (deleted orders
-- excluded, canceled orders excluded from revenue).
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'mart_order_kpis'}}}) }}

with facts as (
    select
        count(*) as orders_created,
        sum(case when status <> 'canceled' then order_total_usd else 0 end) as net_revenue
    from {{ ref('fct_orders') }}
    where not is_deleted
),

kpis as (
    select
        sum(orders_created) as orders_created,
        sum(net_revenue) as net_revenue
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
    -- a cent of tolerance: an adapter may sum decimals as floats
    or abs(facts.net_revenue - kpis.net_revenue) >= 0.01
