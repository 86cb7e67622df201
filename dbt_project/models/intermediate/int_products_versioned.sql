-- SCD2 versions of every product, built from attribute CHANGES only: consecutive exports (or
-- re-sent rows with a later updated_at) carrying the same attributes extend the current version
-- instead of opening a new one. Validity is [valid_from, valid_to), valid_to null = current.
-- The versioning logic is shared with customers: see the scd2_versions macro.
{{
    scd2_versions(
        source_relation=ref('stg_products__products'),
        natural_key='product_id',
        attributes=[
            'sku', 'product_name', 'category', 'subcategory', 'brand', 'unit_price', 'currency',
            'is_active',
        ],
    )
}}
