-- Per order lifecycle timestamps, one snapshot per partition day (`snapshot_date`).
with source as (
    select * from {{ source('gold', 'order_lifecycle') }}
),

renamed as (
    select
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(order_total as {{ type_money() }}) as order_total,
        cast(current_status as {{ dbt.type_string() }}) as current_status,
        cast(is_deleted as {{ dbt.type_boolean() }}) as is_deleted,
        cast(last_lsn as {{ dbt.type_bigint() }}) as last_lsn,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        {{ to_utc_timestamp('created_at') }} as created_event_at,
        {{ to_utc_timestamp('paid_at') }} as paid_at,
        {{ to_utc_timestamp('shipped_at') }} as shipped_at,
        {{ to_utc_timestamp('delivered_at') }} as delivered_at,
        {{ to_utc_timestamp('canceled_at') }} as canceled_at,
        {{ to_utc_timestamp('refunded_at') }} as refunded_at,
        cast(_partition_date as date) as snapshot_date
    from source
)

select * from renamed
