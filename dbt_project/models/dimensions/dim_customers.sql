-- Customers, SCD Type 2: one row per version. Incremental: a run only recomputes the customers
-- that received a version newer than anything loaded, so their previous current row gets its
-- valid_to closed (same surrogate key, replaced by delete+insert) and the new version is added.
{{
    config(
        materialized='incremental',
        unique_key='customer_sk',
        incremental_strategy='delete+insert',
    )
}}

with versions as (
    select * from {{ ref('int_customers_versioned') }}
),

source_rows as (
    select * from {{ ref('stg_customers__customers') }}
),

{% if is_incremental() %}
changed_customers as (
    select distinct customer_id
    from source_rows
    where updated_at > (
        select coalesce(max(last_updated_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }}
    )
),
{% endif %}

final as (
    select
        {{ scd2_surrogate_key('customer_id') }} as customer_sk,
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        address,
        city,
        country,
        loyalty_tier,
        signup_date,
        version_number,
        valid_from,
        valid_to,
        is_current,
        attributes_hash,
        last_updated_at
    from versions
    {% if is_incremental() %}
    where customer_id in (select customer_id from changed_customers)
    {% endif %}
)

select * from final
