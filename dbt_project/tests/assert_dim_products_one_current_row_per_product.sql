-- Each product has exactly one current row (is_current, open valid_to).
{{ scd2_current_row_violations(ref('dim_products'), 'product_id') }}
