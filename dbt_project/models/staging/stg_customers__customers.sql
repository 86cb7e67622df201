-- Every partition is a full export: one row per (customer_id, updated_at) version, first arrival.
with source as (
    select * from {{ source('silver', 'customers') }}
),

renamed as (
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(first_name as {{ dbt.type_string() }}) as first_name,
        cast(last_name as {{ dbt.type_string() }}) as last_name,
        cast(email as {{ dbt.type_string() }}) as email,
        cast(phone as {{ dbt.type_string() }}) as phone,
        cast(address as {{ dbt.type_string() }}) as address,
        cast(city as {{ dbt.type_string() }}) as city,
        cast(country as {{ dbt.type_string() }}) as country,
        cast(loyalty_tier as {{ dbt.type_string() }}) as loyalty_tier,
        cast(signup_date as date) as signup_date,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by customer_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
