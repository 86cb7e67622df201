-- Every partition is a full export: one row per (product_id, updated_at) version, first arrival.
with source as (
    select * from {{ source('silver', 'products') }}
),

renamed as (
    select
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(name as {{ dbt.type_string() }}) as product_name,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(subcategory as {{ dbt.type_string() }}) as subcategory,
        cast(brand as {{ dbt.type_string() }}) as brand,
        cast(unit_price as {{ type_money() }}) as unit_price,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(is_active as {{ dbt.type_boolean() }}) as is_active,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by product_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
