-- After incremental loads, the current row of each customer still matches its latest version.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'dim_customers'}}}) }}

{{ scd2_current_row_is_latest_version(ref('dim_customers'), ref('int_customers_versioned'), 'customer_id') }}
