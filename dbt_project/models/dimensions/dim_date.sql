-- The calendar: one row per day from the earliest business date found in the loaded data (sales,
-- orders, web sessions, inventory), at most `calendar_lookback_days` before the first loaded day,
-- to the last loaded day. A fact dated outside it (a sale in 2999 or 1900) fails its blocking
-- `relationships` test to dim_date instead of stretching the calendar. Built with dbt's
-- cross-database generate_series. Each day says whether its lake partition was loaded and whether
-- late rows can still change its figures: the daily marts only report loaded days
-- (docs/metrics.md, "Reported days").
{% set max_days = 36600 %}  {# ~100 years #}
{% set late_arrival_days = var('late_arrival_days') %}

with pos_transactions as (
    select * from {{ ref('stg_pos__transactions') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

order_snapshots as (
    select * from {{ ref('stg_orders__order_snapshots') }}
),

web_sessions as (
    select * from {{ ref('stg_web__web_sessions') }}
),

inventory_snapshots as (
    select * from {{ ref('stg_inventory__inventory_snapshots') }}
),

business_dates as (
    select cast(transaction_ts as date) as business_date from pos_transactions
    union all
    select cast(created_at as date) from orders
    union all
    select cast(event_ts as date) from orders
    union all
    select cast(created_at as date) from order_snapshots
    union all
    select cast(started_at as date) from web_sessions
    union all
    select snapshot_date from inventory_snapshots
),

-- a day's lake partition is loaded when any daily feed has rows in it
loaded_partitions as (
    select _partition_date as partition_date from pos_transactions
    union
    select _partition_date from orders
    union
    select _partition_date from web_sessions
    union
    select _partition_date from inventory_snapshots
),

-- final: the next `late_arrival_days` partitions are loaded too, so no late row can still come
partition_status as (
    select
        loaded.partition_date,
        count(later.partition_date) < {{ late_arrival_days }} as is_provisional
    from loaded_partitions as loaded
    left join loaded_partitions as later
        on loaded.partition_date < later.partition_date
        and later.partition_date <= cast({{ dbt.dateadd('day', late_arrival_days, 'loaded.partition_date') }} as date)
    group by loaded.partition_date
),

partition_bounds as (
    select
        min(partition_date) as first_loaded_date,
        max(partition_date) as last_loaded_date
    from loaded_partitions
),

bounds as (
    select
        least(
            coalesce(min(business_dates.business_date), partition_bounds.first_loaded_date),
            partition_bounds.first_loaded_date
        ) as first_date,
        partition_bounds.last_loaded_date as last_date
    from partition_bounds
    left join business_dates
        on partition_bounds.last_loaded_date >= business_dates.business_date
        and business_dates.business_date >= cast(
            {{ dbt.dateadd('day', '-' ~ var('calendar_lookback_days'), 'partition_bounds.first_loaded_date') }} as date
        )
    group by partition_bounds.first_loaded_date, partition_bounds.last_loaded_date
),

series as (
    {{ dbt.generate_series(max_days) }}
),

spine as (
    select
        cast(
            {{ dbt.dateadd('day', 'cast(series.generated_number as ' ~ dbt.type_int() ~ ') - 1', 'bounds.first_date') }}
            as date
        ) as date_day
    from series
    cross join bounds
    where series.generated_number - 1 <= {{ dbt.datediff('bounds.first_date', 'bounds.last_date', 'day') }}
),

with_day_of_week as (
    select
        spine.date_day,
        {{ iso_day_of_week('spine.date_day') }} as day_of_week,
        partition_status.partition_date is not null as is_loaded,
        coalesce(partition_status.is_provisional, false) as is_provisional
    from spine
    left join partition_status
        on spine.date_day = partition_status.partition_date
),

final as (
    select
        date_day,
        cast(day_of_week as {{ dbt.type_int() }}) as day_of_week,
        case day_of_week
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            else 'Sunday'
        end as day_name,
        day_of_week in (6, 7) as is_weekend,
        -- ISO week (Monday) by arithmetic: date_trunc('week') follows Snowflake's WEEK_START
        cast({{ dbt.dateadd('day', '1 - day_of_week', 'date_day') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start_date,
        cast(extract(month from date_day) as {{ dbt.type_int() }}) as month_of_year,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start_date,
        cast(extract(quarter from date_day) as {{ dbt.type_int() }}) as quarter_of_year,
        cast(extract(year from date_day) as {{ dbt.type_int() }}) as year_number,
        is_loaded,
        is_provisional
    from with_day_of_week
)

select * from final
