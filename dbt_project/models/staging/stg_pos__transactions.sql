with source as (
    select * from {{ source('silver', 'pos_transactions') }}
),

renamed as (
    select
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(register_id as {{ dbt.type_string() }}) as register_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        {{ to_utc_timestamp('transaction_ts') }} as transaction_ts,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(payment_method as {{ dbt.type_string() }}) as payment_method,
        cast(total_amount as {{ type_money() }}) as total_amount,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

-- A re-sent row can land in several partitions: keep one row per (key, version), first arrival.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by transaction_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
