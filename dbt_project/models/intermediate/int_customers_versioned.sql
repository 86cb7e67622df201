-- SCD2 versions of every customer, built from attribute CHANGES only: consecutive exports (or
-- re-sent rows with a later updated_at) carrying the same attributes extend the current version
-- instead of opening a new one. Validity is [valid_from, valid_to), valid_to null = current.
{% set attributes = [
    'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'country',
    'loyalty_tier', 'signup_date',
] %}

with customers as (
    select * from {{ ref('stg_customers__customers') }}
),

hashed as (
    select
        customer_id,
        {% for attribute in attributes -%}
        {{ attribute }},
        {% endfor -%}
        updated_at,
        {{ hash_columns(attributes) }} as attributes_hash
    from customers
),

flagged as (
    select
        *,
        case
            when attributes_hash = lag(attributes_hash) over (partition by customer_id order by updated_at)
                then 0
            else 1
        end as starts_version
    from hashed
),

numbered as (
    select
        *,
        sum(starts_version) over (
            partition by customer_id
            order by updated_at
            rows between unbounded preceding and current row
        ) as version_number
    from flagged
),

version_bounds as (
    select
        customer_id,
        version_number,
        min(updated_at) as valid_from,
        max(updated_at) as last_updated_at
    from numbered
    group by customer_id, version_number
),

version_attributes as (
    select *
    from numbered
    where starts_version = 1
),

versioned as (
    select
        bounds.customer_id,
        cast(bounds.version_number as {{ dbt.type_int() }}) as version_number,
        {% for attribute in attributes -%}
        attrs.{{ attribute }},
        {% endfor -%}
        attrs.attributes_hash,
        bounds.valid_from,
        lead(bounds.valid_from) over (
            partition by bounds.customer_id
            order by bounds.valid_from
        ) as valid_to,
        bounds.last_updated_at
    from version_bounds as bounds
    inner join version_attributes as attrs
        on bounds.customer_id = attrs.customer_id
        and bounds.version_number = attrs.version_number
),

final as (
    select
        *,
        valid_to is null as is_current
    from versioned
)

select * from final
