-- The orders state (CDC applied, tombstones kept) as of the end of each partition day.
with source as (
    select * from {{ source('silver', 'orders') }}
),

renamed as (
    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(order_total as {{ type_money() }}) as order_total,
        cast(shipping_country as {{ dbt.type_string() }}) as shipping_country,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(lsn as {{ dbt.type_bigint() }}) as last_lsn,
        cast(op as {{ dbt.type_string() }}) as last_operation,
        {{ to_utc_timestamp('event_ts') }} as last_event_ts,
        cast(is_deleted as {{ dbt.type_boolean() }}) as is_deleted,
        cast(_partition_date as date) as snapshot_date
    from source
)

select * from renamed
