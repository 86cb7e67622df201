{# SQL of the SCD2 invariants, shared by the singular tests in tests/ (each returns offending rows). #}

{# Exactly one current row per natural key, and it is the one with an open validity. #}
{% macro scd2_current_row_violations(model, natural_key) %}
    select
        {{ natural_key }},
        sum(case when is_current then 1 else 0 end) as current_rows,
        sum(case when valid_to is null then 1 else 0 end) as open_rows
    from {{ model }}
    group by {{ natural_key }}
    having sum(case when is_current then 1 else 0 end) <> 1
        or sum(case when valid_to is null then 1 else 0 end) <> 1
        or sum(case when is_current and valid_to is not null then 1 else 0 end) > 0
{% endmacro %}


{# Validity ranges [valid_from, valid_to) of a natural key neither overlap nor leave gaps: each
   version ends exactly where the next one starts, and every range is non-empty. #}
{% macro scd2_validity_violations(model, natural_key) %}
    with ordered as (
        select
            {{ natural_key }},
            valid_from,
            valid_to,
            lead(valid_from) over (partition by {{ natural_key }} order by valid_from) as next_valid_from
        from {{ model }}
    )

    select *
    from ordered
    where valid_to is distinct from next_valid_from
        or valid_from >= valid_to
{% endmacro %}


{# The current row of each natural key carries the attributes of its latest source version (the
   incremental loads lost no change). #}
{% macro scd2_current_row_is_latest_version(model, versions_model, natural_key) %}
    with current_rows as (
        select
            {{ natural_key }},
            attributes_hash
        from {{ model }}
        where is_current
    ),

    latest_versions as (
        select
            {{ natural_key }},
            attributes_hash
        from {{ versions_model }}
        where valid_to is null
    )

    select
        coalesce(current_rows.{{ natural_key }}, latest_versions.{{ natural_key }}) as {{ natural_key }},
        current_rows.attributes_hash as dimension_hash,
        latest_versions.attributes_hash as source_hash
    from current_rows
    full outer join latest_versions
        on current_rows.{{ natural_key }} = latest_versions.{{ natural_key }}
    where current_rows.attributes_hash is distinct from latest_versions.attributes_hash
{% endmacro %}
