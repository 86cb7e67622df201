-- The SCD2 validity ranges of a product do not overlap (nor leave gaps).
{{ scd2_validity_violations(ref('dim_products'), 'product_id') }}
