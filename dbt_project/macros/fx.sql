{# Reference FX rates: 1 unit of the currency in USD. The single place they live in the warehouse
   (the lake's gold layer uses the same values: retail_platform.sources.registry.FX_TO_USD). #}
{% macro fx_rates() -%}
    {{ return({'USD': 1.0, 'EUR': 1.08, 'GBP': 1.27}) }}
{%- endmacro %}


{# `amount` converted to USD, rounded to cents like the gold layer. Unknown currency -> null. #}
{% macro to_usd(amount, currency) -%}
    cast(round(cast({{ amount }} as {{ type_double() }}) * case {{ currency }}
        {%- for code, rate in fx_rates().items() %}
        when '{{ code }}' then {{ rate }}
        {%- endfor %}
    end, 2) as {{ type_money() }})
{%- endmacro %}
