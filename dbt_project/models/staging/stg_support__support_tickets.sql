-- Tickets are re-sent on every status change: one row per (ticket_id, updated_at) version.
with source as (
    select * from {{ source('silver', 'support_tickets') }}
),

renamed as (
    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        {{ to_utc_timestamp('opened_at') }} as opened_at,
        {{ to_utc_timestamp('closed_at') }} as closed_at,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(priority as {{ dbt.type_string() }}) as priority,
        cast(category as {{ dbt.type_string() }}) as category,
        {{ to_utc_timestamp('updated_at') }} as updated_at,
        cast(_partition_date as date) as _partition_date
    from source
),

deduplicated as (
    select *
    from renamed
    qualify row_number() over (
        partition by ticket_id, updated_at
        order by _partition_date
    ) = 1
)

select * from deduplicated
