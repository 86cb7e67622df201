-- Customers, SCD Type 2: one row per version. Incremental: a run only recomputes the customers
-- that received a version newer than anything loaded, so their previous current row gets its
-- valid_to closed (same surrogate key, replaced by delete+insert) and the new version is added.
-- The incremental SCD2 pattern is shared with products: see the scd2_dimension macro.
{{
    config(
        materialized='incremental',
        unique_key='customer_sk',
        incremental_strategy='delete+insert',
    )
}}

{{
    scd2_dimension(
        versions_relation=ref('int_customers_versioned'),
        source_relation=ref('stg_customers__customers'),
        natural_key='customer_id',
        surrogate_key='customer_sk',
        columns=[
            'first_name',
            'last_name',
            'email',
            'phone',
            'address',
            'city',
            'country',
            'loyalty_tier',
            'signup_date',
        ],
    )
}}
