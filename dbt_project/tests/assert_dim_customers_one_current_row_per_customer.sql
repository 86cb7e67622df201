-- Each customer has exactly one current row (is_current, open valid_to).
{{ scd2_current_row_violations(ref('dim_customers'), 'customer_id') }}
