-- The products' shares of net revenue add up to 1 (a float sum: a tolerance of 1e-9).
with ranking as (
    select
        sum(net_revenue_usd) as net_revenue_usd,
        sum(share_of_net_revenue) as share_total
    from {{ ref('mart_product_ranking') }}
)

select *
from ranking
where net_revenue_usd <> 0
    and abs(share_total - 1) > 1e-9
