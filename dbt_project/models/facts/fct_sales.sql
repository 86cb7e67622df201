-- One row per sale line, store and online (gold.sales), with the customer and product versions
-- valid at the time of the sale. Date-driven: an incremental run only processes the lake
-- partitions of the Dagster run window (vars min_date/max_date); the first build processes all.
{{
    config(
        materialized='incremental',
        unique_key='sale_line_id',
        incremental_strategy='delete+insert',
        tags=['daily'],
    )
}}

with sales as (
    select * from {{ ref('stg_gold__sales') }}
    {% if is_incremental() %}
    where {{ partition_window_filter('_partition_date') }}
    {% endif %}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

-- a line re-sent in a later partition of the window: the latest arrival wins
deduplicated as (
    select *
    from sales
    qualify row_number() over (partition by sale_line_id order by _partition_date desc) = 1
),

-- a sale older than the first known version of its customer/product gets that first version
first_customer_versions as (
    select
        customer_id,
        customer_sk
    from customers
    where version_number = 1
),

first_product_versions as (
    select
        product_id,
        product_sk
    from products
    where version_number = 1
),

joined as (
    select
        sale_lines.sale_line_id,
        sale_lines.channel,
        sale_lines.sale_date,
        sale_lines.sale_ts,
        sale_lines.store_id,
        sale_lines.transaction_id,
        sale_lines.order_id,
        sale_lines.line_number,
        sale_lines.customer_id,
        coalesce(customer_as_of.customer_sk, first_customer.customer_sk) as customer_sk,
        sale_lines.product_id,
        coalesce(product_as_of.product_sk, first_product.product_sk) as product_sk,
        sale_lines.quantity,
        sale_lines.currency,
        sale_lines.unit_price,
        sale_lines.gross_amount_usd,
        sale_lines.discount_usd,
        sale_lines.net_amount_usd,
        sale_lines._partition_date,
        -- when this row was (re)built: shows which partitions an incremental run touched
        {{ dbt.current_timestamp() }} as _dbt_loaded_at
    from deduplicated as sale_lines
    left join customers as customer_as_of
        on sale_lines.customer_id = customer_as_of.customer_id
        and {{ scd2_valid_at('customer_as_of', 'sale_lines.sale_ts') }}
    left join first_customer_versions as first_customer
        on sale_lines.customer_id = first_customer.customer_id
    left join products as product_as_of
        on sale_lines.product_id = product_as_of.product_id
        and {{ scd2_valid_at('product_as_of', 'sale_lines.sale_ts') }}
    left join first_product_versions as first_product
        on sale_lines.product_id = first_product.product_id
)

select * from joined
