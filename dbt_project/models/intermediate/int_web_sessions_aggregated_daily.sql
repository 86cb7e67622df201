-- Web sessions per day they started (UTC), the denominator of the conversion rate.
with web_sessions as (
    select * from {{ ref('stg_web__web_sessions') }}
),

-- a session re-sent with a later updated_at counts once, in its latest version
latest as (
    select *
    from web_sessions
    qualify row_number() over (partition by session_id order by updated_at desc) = 1
),

aggregated as (
    select
        cast(started_at as date) as session_date,
        count(*) as sessions_started,
        sum(case when is_converted then 1 else 0 end) as sessions_converted,
        count(distinct customer_id) as distinct_customers
    from latest
    group by cast(started_at as date)
)

select * from aggregated
