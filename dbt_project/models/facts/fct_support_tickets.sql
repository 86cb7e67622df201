-- One row per support ticket: its latest version (greatest updated_at).
with ticket_versions as (
    select * from {{ ref('stg_support__support_tickets') }}
),

loaded_days as (
    select
        cast(
            {{ dbt.dateadd('day', var('ticket_order_max_age_days'), 'min(date_day)') }} as date
        ) as orders_known_from_date
    from {{ ref('dim_date') }}
    where is_loaded
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
        latest.ticket_id,
        latest.customer_id,
        latest.order_id,
        latest.status,
        latest.status <> 'closed' as is_open,
        latest.priority,
        latest.category,
        latest.opened_at,
        latest.closed_at,
        cast({{ dbt.datediff('latest.opened_at', 'latest.closed_at', 'second') }} as {{ type_double() }}) / 3600.0
            as hours_to_close,
        -- tickets name orders at most `ticket_order_max_age_days` old: a ticket opened that long
        -- after the lake began names an order created since, which the lake must know
        latest.order_id is not null
        and cast(latest.opened_at as date) >= loaded_days.orders_known_from_date as is_order_expected_in_lake,
        latest.updated_at,
        cast(latest.version_count as {{ dbt.type_int() }}) as version_count,
        latest.first_seen_partition_date
    from latest
    cross join loaded_days
)

select * from final
