-- SCD2 versions of every customer, built from attribute CHANGES only: consecutive exports (or
-- re-sent rows with a later updated_at) carrying the same attributes extend the current version
-- instead of opening a new one. Validity is [valid_from, valid_to), valid_to null = current.
-- The versioning logic is shared with products: see the scd2_versions macro.
{{
    scd2_versions(
        source_relation=ref('stg_customers__customers'),
        natural_key='customer_id',
        attributes=[
            'first_name', 'last_name', 'email', 'phone', 'address', 'city', 'country',
            'loyalty_tier', 'signup_date',
        ],
    )
}}
