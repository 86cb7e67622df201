-- Products, SCD Type 2: one row per version. Incremental: a run only recomputes the products
-- that received a version newer than anything loaded, so their previous current row gets its
-- valid_to closed (same surrogate key, replaced by delete+insert) and the new version is added.
{{
    config(
        materialized='incremental',
        unique_key='product_sk',
        incremental_strategy='delete+insert',
    )
}}

with versions as (
    select * from {{ ref('int_products_versioned') }}
),

source_rows as (
    select * from {{ ref('stg_products__products') }}
),

{% if is_incremental() %}
changed_products as (
    select distinct product_id
    from source_rows
    where updated_at > (
        select coalesce(max(last_updated_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }}
    )
),
{% endif %}

final as (
    select
        {{ scd2_surrogate_key('product_id') }} as product_sk,
        product_id,
        sku,
        product_name,
        category,
        subcategory,
        brand,
        unit_price,
        currency,
        {{ to_usd('unit_price', 'currency') }} as unit_price_usd,
        is_active,
        version_number,
        valid_from,
        valid_to,
        is_current,
        attributes_hash,
        last_updated_at
    from versions
    {% if is_incremental() %}
    where product_id in (select product_id from changed_products)
    {% endif %}
)

select * from final
