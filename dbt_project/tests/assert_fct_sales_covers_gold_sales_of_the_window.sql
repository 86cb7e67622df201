-- Every gold sale line of the processed partition window is in fct_sales, with its amount.
-- (several refs: meta.dagster.ref tells dagster-dbt which asset this check belongs to)
{{ config(meta={'dagster': {'ref': {'name': 'fct_sales'}}}) }}

with gold_lines as (
    select
        sale_line_id,
        net_amount_usd
    from {{ ref('stg_gold__sales') }}
    where {{ partition_window_filter('_partition_date') }}
    qualify row_number() over (partition by sale_line_id order by _partition_date desc) = 1
),

fact_lines as (
    select
        sale_line_id,
        net_amount_usd
    from {{ ref('fct_sales') }}
)

select gold_lines.*
from gold_lines
left join fact_lines
    on gold_lines.sale_line_id = fact_lines.sale_line_id
where fact_lines.sale_line_id is null
    or fact_lines.net_amount_usd <> gold_lines.net_amount_usd
