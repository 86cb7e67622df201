-- The SCD2 validity ranges of a customer do not overlap (nor leave gaps).
{{ scd2_validity_violations(ref('dim_customers'), 'customer_id') }}
