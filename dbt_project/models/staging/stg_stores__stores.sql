-- Every partition is a full export: one row per (store_id, updated_at) version, first arrival.
with source as (
    select * from {{ source('silver', 'stores') }}
),

renamed as (
    select
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(name as {{ dbt.type_string() }}) as store_name,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(region as {{ dbt.type_string() }}) as region,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(opened_date as date) as opened_date,
        cast(square_meters as {{ dbt.type_int() }}) as square_meters,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by store_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
