with source as (
    select * from {{ source('silver', 'inventory_snapshots') }}
),

renamed as (
    select
        cast(snapshot_date as date) as snapshot_date,
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(on_hand as {{ dbt.type_int() }}) as on_hand,
        cast(on_order as {{ dbt.type_int() }}) as on_order,
        cast(reorder_point as {{ dbt.type_int() }}) as reorder_point,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

-- A re-sent row can land in several partitions: keep one row per (key, version), first arrival.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by snapshot_date, store_id, product_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
