{# SCD Type 2 building blocks shared by the customer and product models. Validity is
   [valid_from, valid_to), valid_to null = current (the same convention as scd2_valid_at). #}


{# The query of an int_*_versioned model: SCD2 versions of every `natural_key` of `source_relation`,
   built from attribute CHANGES only. Consecutive exports (or re-sent rows with a later
   `updated_at`) carrying the same attributes extend the current version instead of opening a new
   one. Output columns, in order: natural_key, version_number, the attributes, attributes_hash,
   valid_from, valid_to, last_updated_at, is_current. #}
{% macro scd2_versions(source_relation, natural_key, attributes, updated_at='updated_at') -%}
with source_rows as (
    select * from {{ source_relation }}
),

hashed as (
    select
        {{ natural_key }},
        {% for attribute in attributes -%}
        {{ attribute }},
        {% endfor -%}
        {{ updated_at }},
        {{ hash_columns(attributes) }} as attributes_hash
    from source_rows
),

-- a row opens a version only when its attributes differ from the previous export of the same key
flagged as (
    select
        *,
        case
            when attributes_hash = lag(attributes_hash) over (
                partition by {{ natural_key }} order by {{ updated_at }}
            )
                then 0
            else 1
        end as starts_version
    from hashed
),

-- running count of version starts = the version each row belongs to
numbered as (
    select
        *,
        sum(starts_version) over (
            partition by {{ natural_key }}
            order by {{ updated_at }}
            rows between unbounded preceding and current row
        ) as version_number
    from flagged
),

version_bounds as (
    select
        {{ natural_key }},
        version_number,
        min({{ updated_at }}) as valid_from,
        max({{ updated_at }}) as last_updated_at
    from numbered
    group by {{ natural_key }}, version_number
),

-- the attributes are constant within a version: take them from the row that opened it
version_attributes as (
    select *
    from numbered
    where starts_version = 1
),

versioned as (
    select
        bounds.{{ natural_key }},
        cast(bounds.version_number as {{ dbt.type_int() }}) as version_number,
        {% for attribute in attributes -%}
        attrs.{{ attribute }},
        {% endfor -%}
        attrs.attributes_hash,
        bounds.valid_from,
        -- a version ends exactly where the next one starts
        lead(bounds.valid_from) over (
            partition by bounds.{{ natural_key }}
            order by bounds.valid_from
        ) as valid_to,
        bounds.last_updated_at
    from version_bounds as bounds
    inner join version_attributes as attrs
        on bounds.{{ natural_key }} = attrs.{{ natural_key }}
        and bounds.version_number = attrs.version_number
),

final as (
    select
        *,
        valid_to is null as is_current
    from versioned
)

select * from final
{%- endmacro %}


{# The keys of `source_relation` that received a row newer than anything already loaded in the
   incremental model being built ({{ this }}, tracked by its last_updated_at). Only these keys need
   recomputing: their previous current row gets its valid_to closed and the new version is added. #}
{% macro scd2_changed_keys(source_relation, natural_key, updated_at='updated_at') -%}
    select distinct {{ natural_key }}
    from {{ source_relation }}
    where {{ updated_at }} > (
        select coalesce(max(last_updated_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }}
    )
{%- endmacro %}


{# The query of an incremental SCD2 dimension (delete+insert on `surrogate_key`): one row per
   version of `versions_relation` (an int_*_versioned model), keyed by natural key + valid_from.
   `columns` are the dimension's own columns (names or `expression as name`), placed between the
   natural key and the SCD2 bookkeeping columns. On an incremental run only the keys changed in
   `source_relation` are recomputed; the surrogate key being stable across runs is what lets
   delete+insert replace a closed version in place. #}
{% macro scd2_dimension(versions_relation, source_relation, natural_key, surrogate_key, columns) -%}
with versions as (
    select * from {{ versions_relation }}
),

{% if is_incremental() %}
changed_keys as (
    {{ scd2_changed_keys(source_relation, natural_key) }}
),
{% endif %}

final as (
    select
        {{ scd2_surrogate_key(natural_key) }} as {{ surrogate_key }},
        {{ natural_key }},
        {% for column in columns -%}
        {{ column }},
        {% endfor -%}
        version_number,
        valid_from,
        valid_to,
        is_current,
        attributes_hash,
        last_updated_at
    from versions
    {% if is_incremental() %}
    where {{ natural_key }} in (select {{ natural_key }} from changed_keys)
    {% endif %}
)

select * from final
{%- endmacro %}
