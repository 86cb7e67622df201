-- Gold sale lines (store and online, amounts in USD). No dedup here, so that the incremental
-- fct_sales's filter on `_partition_date` prunes partitions through this view.
with source as (
    select * from {{ source('gold', 'sales') }}
),

renamed as (
    select
        cast(sale_line_id as {{ dbt.type_string() }}) as sale_line_id,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(sale_date as date) as sale_date,
        {{ to_utc_timestamp('sale_ts') }} as sale_ts,
        cast(store_id as {{ dbt.type_string() }}) as store_id,
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(line_number as {{ dbt.type_int() }}) as line_number,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(unit_price as {{ type_money() }}) as unit_price,
        cast(gross_amount_usd as {{ type_money() }}) as gross_amount_usd,
        cast(discount_usd as {{ type_money() }}) as discount_usd,
        cast(net_amount_usd as {{ type_money() }}) as net_amount_usd,
        cast(_partition_date as date) as _partition_date
    from source
)

select * from renamed
