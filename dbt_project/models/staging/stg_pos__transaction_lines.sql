with source as (
    select * from {{ source('silver', 'pos_transaction_lines') }}
),

renamed as (
    select
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(line_number as {{ dbt.type_int() }}) as line_number,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_price as {{ type_money() }}) as unit_price,
        cast(discount_amount as {{ type_money() }}) as discount_amount,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

-- A re-sent row can land in several partitions: keep one row per (key, version), first arrival.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by transaction_id, line_number, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
