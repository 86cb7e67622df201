{# Reference FX rates: 1 unit of the currency in USD. The single place they live in the warehouse
   (the lake's gold layer uses the same values: retail_platform.sources.registry.FX_TO_USD; a test
   keeps the two equal). Strings of exact decimals with at most 6 places: a Jinja float would
   render 0.000001 as 1e-06, which SQL reads as a double. #}
{% macro fx_rates() -%}
    {{ return({'USD': '1', 'EUR': '1.08', 'GBP': '1.27'}) }}
{%- endmacro %}


{# The money rule, the same in the lake (retail_platform.transforms.gold.usd): the exact decimal
   product of `amount` (cents) and `rate` (at most 6 places), rounded once to the cent, half away
   from zero, which is what round() does on DuckDB's DECIMAL and Snowflake's NUMBER. Both operands
   are 38 wide: DuckDB types decimal(18, 2) * decimal(18, 6) as decimal(18, 8), which overflows
   from 10^10. #}
{% macro convert_money(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 2)) * cast({{ rate }} as decimal(38, 6)), 2) as {{ type_money() }})
{%- endmacro %}


{# `amount` converted to USD with the reference rates (convert_money). Unknown currency -> null. #}
{% macro to_usd(amount, currency) -%}
    {%- set rate -%}
        case {{ currency }}
        {%- for code, usd_per_unit in fx_rates().items() %}
            when '{{ code }}' then cast('{{ usd_per_unit }}' as decimal(38, 6))
        {%- endfor %}
        end
    {%- endset -%}
    {{ convert_money(amount, rate) }}
{%- endmacro %}
