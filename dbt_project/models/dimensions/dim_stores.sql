-- Stores, SCD Type 1: the latest attributes of each store overwrite the previous ones.
with stores as (
    select * from {{ ref('stg_stores__stores') }}
),

latest as (
    select *
    from stores
    qualify row_number() over (partition by store_id order by updated_at desc) = 1
),

final as (
    select
        store_id,
        store_name,
        city,
        country,
        region,
        currency,
        opened_date,
        square_meters,
        updated_at
    from latest
)

select * from final
