-- After incremental loads, the current row of each product still matches its latest version.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'dim_products'}}}) }}

{{ scd2_current_row_is_latest_version(ref('dim_products'), ref('int_products_versioned'), 'product_id') }}
