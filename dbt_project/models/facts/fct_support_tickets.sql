-- One row per support ticket: its latest version (greatest updated_at).
with ticket_versions as (
    select * from {{ ref('stg_support__support_tickets') }}
),

counted as (
    select
        *,
        count(*) over (partition by ticket_id) as version_count,
        min(_partition_date) over (partition by ticket_id) as first_seen_partition_date
    from ticket_versions
),

latest as (
    select *
    from counted
    qualify row_number() over (partition by ticket_id order by updated_at desc) = 1
),

final as (
    select
        ticket_id,
        customer_id,
        order_id,
        status,
        status <> 'closed' as is_open,
        priority,
        category,
        opened_at,
        closed_at,
        cast({{ dbt.datediff('opened_at', 'closed_at', 'second') }} as {{ type_double() }}) / 3600.0
            as hours_to_close,
        updated_at,
        cast(version_count as {{ dbt.type_int() }}) as version_count,
        first_seen_partition_date
    from latest
)

select * from final
