-- The categories' shares of a day's net revenue add up to 1 (a float sum: a tolerance of 1e-9).
with categories as (
    select * from {{ ref('agg_sales_by_category') }}
),

category_days as (
    select
        sale_date,
        sum(net_revenue_usd) as net_revenue_usd,
        sum(share_of_day_net_revenue) as share_total
    from categories
    group by sale_date
)

select *
from category_days
where net_revenue_usd <> 0
    and abs(share_total - 1) > 1e-9
