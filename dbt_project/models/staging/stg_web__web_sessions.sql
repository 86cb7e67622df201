with source as (
    select * from {{ source('silver', 'web_sessions') }}
),

renamed as (
    select
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        {{ to_utc_timestamp('started_at') }} as started_at,
        {{ to_utc_timestamp('ended_at') }} as ended_at,
        cast(device as {{ dbt.type_string() }}) as device,
        cast(traffic_source as {{ dbt.type_string() }}) as traffic_source,
        cast(pages_viewed as {{ dbt.type_int() }}) as pages_viewed,
        cast(converted as {{ dbt.type_boolean() }}) as is_converted,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

-- A re-sent row can land in several partitions: keep one row per (key, version), first arrival.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by session_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
