-- The order change events (CDC history): one row per log sequence number.
with source as (
    select * from {{ source('silver', 'orders_history') }}
),

renamed as (
    select
        cast(lsn as {{ dbt.type_bigint() }}) as lsn,
        cast(op as {{ dbt.type_string() }}) as operation,
        {{ to_utc_timestamp('event_ts') }} as event_ts,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(session_id as {{ dbt.type_string() }}) as session_id,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(order_total as {{ type_money() }}) as order_total,
        cast(shipping_country as {{ dbt.type_string() }}) as shipping_country,
        {{ to_utc_timestamp('created_at') }} as created_at,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

-- A repeated event can land in several partitions: the lsn identifies it.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (partition by lsn order by _partition_date) = 1
)

select * from deduplicated
