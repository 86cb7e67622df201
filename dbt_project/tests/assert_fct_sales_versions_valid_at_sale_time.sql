-- The customer and product versions of a sale line are the ones in force at the sale time (or
-- the first version, when the sale predates every known version).
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'fct_sales'}}}) }}

with sales as (
    select * from {{ ref('fct_sales') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

products as (
    select * from {{ ref('dim_products') }}
)

select
    sales.sale_line_id,
    sales.sale_ts,
    customers.valid_from as customer_valid_from,
    customers.valid_to as customer_valid_to,
    products.valid_from as product_valid_from,
    products.valid_to as product_valid_to
from sales
left join customers
    on sales.customer_sk = customers.customer_sk
left join products
    on sales.product_sk = products.product_sk
where products.product_id is distinct from sales.product_id
    or (sales.customer_id is not null and customers.customer_id is distinct from sales.customer_id)
    or not (
        ({{ scd2_valid_at('products', 'sales.sale_ts') }})
        or (products.version_number = 1 and sales.sale_ts < products.valid_from)
    )
    or (
        sales.customer_id is not null
        and not (
            ({{ scd2_valid_at('customers', 'sales.sale_ts') }})
            or (customers.version_number = 1 and sales.sale_ts < customers.valid_from)
        )
    )
