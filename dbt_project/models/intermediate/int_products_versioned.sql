-- SCD2 versions of every product, built from attribute CHANGES only: consecutive exports (or
-- re-sent rows with a later updated_at) carrying the same attributes extend the current version
-- instead of opening a new one. Validity is [valid_from, valid_to), valid_to null = current.
{% set attributes = [
    'sku', 'product_name', 'category', 'subcategory', 'brand', 'unit_price', 'currency',
    'is_active',
] %}

with products as (
    select * from {{ ref('stg_products__products') }}
),

hashed as (
    select
        product_id,
        {% for attribute in attributes -%}
        {{ attribute }},
        {% endfor -%}
        updated_at,
        {{ hash_columns(attributes) }} as attributes_hash
    from products
),

flagged as (
    select
        *,
        case
            when attributes_hash = lag(attributes_hash) over (partition by product_id order by updated_at)
                then 0
            else 1
        end as starts_version
    from hashed
),

numbered as (
    select
        *,
        sum(starts_version) over (
            partition by product_id
            order by updated_at
            rows between unbounded preceding and current row
        ) as version_number
    from flagged
),

version_bounds as (
    select
        product_id,
        version_number,
        min(updated_at) as valid_from,
        max(updated_at) as last_updated_at
    from numbered
    group by product_id, version_number
),

version_attributes as (
    select *
    from numbered
    where starts_version = 1
),

versioned as (
    select
        bounds.product_id,
        cast(bounds.version_number as {{ dbt.type_int() }}) as version_number,
        {% for attribute in attributes -%}
        attrs.{{ attribute }},
        {% endfor -%}
        attrs.attributes_hash,
        bounds.valid_from,
        lead(bounds.valid_from) over (
            partition by bounds.product_id
            order by bounds.valid_from
        ) as valid_to,
        bounds.last_updated_at
    from version_bounds as bounds
    inner join version_attributes as attrs
        on bounds.product_id = attrs.product_id
        and bounds.version_number = attrs.version_number
),

final as (
    select
        *,
        valid_to is null as is_current
    from versioned
)

select * from final
