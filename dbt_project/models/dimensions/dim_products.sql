-- Products, SCD Type 2: one row per version. Incremental: a run only recomputes the products
-- that received a version newer than anything loaded, so their previous current row gets its
-- valid_to closed (same surrogate key, replaced by delete+insert) and the new version is added.
-- The incremental SCD2 pattern is shared with customers: see the scd2_dimension macro.
{{
    config(
        materialized='incremental',
        unique_key='product_sk',
        incremental_strategy='delete+insert',
    )
}}

{{
    scd2_dimension(
        versions_relation=ref('int_products_versioned'),
        source_relation=ref('stg_products__products'),
        natural_key='product_id',
        surrogate_key='product_sk',
        columns=[
            'sku',
            'product_name',
            'category',
            'subcategory',
            'brand',
            'unit_price',
            'currency',
            to_usd('unit_price', 'currency') ~ ' as unit_price_usd',
            'is_active',
        ],
    )
}}
