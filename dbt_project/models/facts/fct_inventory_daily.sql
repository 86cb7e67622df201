-- One row per snapshot_date x store x product (gold.inventory_position), with the product
-- version valid at the end of that day. Date-driven like fct_sales: an incremental run only
-- processes the lake partitions of the run window (vars min_date/max_date).
{{
    config(
        materialized='incremental',
        unique_key='inventory_daily_id',
        incremental_strategy='delete+insert',
        tags=['daily'],
    )
}}

with positions as (
    select * from {{ ref('stg_gold__inventory_position') }}
    {% if is_incremental() %}
    where {{ partition_window_filter('_partition_date') }}
    {% endif %}
),

products as (
    select * from {{ ref('dim_products') }}
),

deduplicated as (
    select
        *,
        -- dateadd gives a timestamp on DuckDB and a date on Snowflake: cast it
        cast({{ dbt.dateadd('day', 1, 'snapshot_date') }} as {{ dbt.type_timestamp() }}) as end_of_day
    from positions
    qualify row_number() over (
        partition by snapshot_date, store_id, product_id
        order by _partition_date desc
    ) = 1
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
        {{ hash_columns(['inventory.snapshot_date', 'inventory.store_id', 'inventory.product_id']) }}
            as inventory_daily_id,
        inventory.snapshot_date,
        inventory.store_id,
        inventory.product_id,
        coalesce(product_as_of.product_sk, first_product.product_sk) as product_sk,
        inventory.category,
        inventory.on_hand,
        inventory.on_order,
        inventory.reorder_point,
        inventory.units_sold,
        inventory.stock_value_usd,
        inventory.is_below_reorder_point,
        inventory.days_of_cover,
        inventory._partition_date,
        {{ dbt.current_timestamp() }} as _dbt_loaded_at
    from deduplicated as inventory
    -- the version in force at the end of the day: started before midnight, not ended before it
    left join products as product_as_of
        on inventory.product_id = product_as_of.product_id
        and inventory.end_of_day > product_as_of.valid_from
        and (product_as_of.valid_to is null or inventory.end_of_day <= product_as_of.valid_to)
    left join first_product_versions as first_product
        on inventory.product_id = first_product.product_id
)

select * from joined
