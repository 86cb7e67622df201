-- End-of-day stock per store x product with the day's units sold and stock value (gold).
with source as (
    select * from {{ source('gold', 'inventory_position') }}
),

renamed as (
    select
        cast(snapshot_date as date) as snapshot_date,
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(on_hand as {{ dbt.type_int() }}) as on_hand,
        cast(on_order as {{ dbt.type_int() }}) as on_order,
        cast(reorder_point as {{ dbt.type_int() }}) as reorder_point,
        cast(units_sold as {{ dbt.type_bigint() }}) as units_sold,
        cast(stock_value_usd as {{ type_money() }}) as stock_value_usd,
        cast(below_reorder_point as {{ dbt.type_boolean() }}) as is_below_reorder_point,
        cast(days_of_cover as {{ type_double() }}) as days_of_cover,
        cast(_partition_date as date) as _partition_date
    from source
)

select * from renamed
