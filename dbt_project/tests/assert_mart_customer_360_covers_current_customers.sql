-- mart_customer_360 has one row for each current customer, no more, no less.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'mart_customer_360'}}}) }}

with current_customers as (
    select customer_id
    from {{ ref('dim_customers') }}
    where is_current
),

mart as (
    select customer_id
    from {{ ref('mart_customer_360') }}
)

select coalesce(current_customers.customer_id, mart.customer_id) as customer_id
from current_customers
full outer join mart
    on current_customers.customer_id = mart.customer_id
where current_customers.customer_id is null
    or mart.customer_id is null
