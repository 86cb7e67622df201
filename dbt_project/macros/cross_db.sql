{# Cross-database helpers the models share. Everything adapter-specific lives here, so the models
   are written once for DuckDB and Snowflake. #}

{# Money: the lake's Decimal(18, 2), the same literal type on both adapters. #}
{% macro type_money() -%}
    decimal(18, 2)
{%- endmacro %}


{# A naive timestamp holding UTC wall-clock time. The lake's timestamps are timezone-aware UTC;
   casting them straight to `timestamp` would use the session time zone (DuckDB's defaults to the
   machine's), which would move sales across dates. #}
{% macro to_utc_timestamp(column) -%}
    {{ return(adapter.dispatch('to_utc_timestamp')(column)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(column) -%}
    cast(convert_timezone('UTC', {{ column }}) as timestamp_ntz)
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}


{# md5 of the columns, null-safe (`||` gives null on both adapters as soon as one part is null) and
   unambiguous (a separator between parts). Used for surrogate keys and change detection. #}
{% macro hash_columns(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~null~')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}


{# SCD2 surrogate key: natural key + the start of the version's validity. #}
{% macro scd2_surrogate_key(natural_key, valid_from='valid_from') -%}
    {{ hash_columns([natural_key, valid_from]) }}
{%- endmacro %}


{# The SCD2 version of `alias` valid at `as_of`: validity is [valid_from, valid_to), valid_to is
   null on the current version. #}
{% macro scd2_valid_at(alias, as_of) -%}
    {{ alias }}.valid_from <= {{ as_of }}
    and ({{ alias }}.valid_to is null or {{ as_of }} < {{ alias }}.valid_to)
{%- endmacro %}


{# ISO day of week (1 = Monday ... 7 = Sunday) from day arithmetic, so it depends neither on the
   adapter's function names nor on Snowflake's WEEK_START parameter. 1900-01-01 was a Monday. #}
{% macro iso_day_of_week(date_column) -%}
    (mod({{ dbt.datediff("cast('1900-01-01' as date)", date_column, 'day') }}, 7) + 1)
{%- endmacro %}


{# The partition window of a Dagster run, as dates (inclusive). Dagster passes it in the
   environment (RETAIL_DBT_MIN_DATE/MAX_DATE): a change of dbt vars re-parses the whole project, a
   changed environment variable only the files that read it. By hand: --vars or the environment. #}
{% macro partition_window_filter(column='_partition_date') -%}
    {{ column }} between cast('{{ env_var("RETAIL_DBT_MIN_DATE", var("min_date")) }}' as date)
    and cast('{{ env_var("RETAIL_DBT_MAX_DATE", var("max_date")) }}' as date)
{%- endmacro %}


{# A 64-bit float: dbt's type_float() is `float`, which DuckDB reads as a 4-byte float (Snowflake's
   FLOAT is already 8 bytes). #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ dbt.type_float() }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}


{# A money amount divided by a count (an average per basket, per order), rounded once to the cent,
   half away from zero: the same rule as every USD amount (docs/metrics.md). Exact on both adapters:
   it divides whole numbers of half-cents (DuckDB's `/` gives a double, which cannot round a tie
   exactly; an exact whole quotient survives it up to 2^53 half-cents). Null when `count` is 0. #}
{% macro money_ratio(amount, count) -%}
    {%- set cents = "cast(" ~ amount ~ " * 100 as decimal(38, 0))" -%}
    {%- set dividend = "(2 * abs(" ~ cents ~ ") + " ~ count ~ ")" -%}
    {%- set divisor = "(2 * nullif(" ~ count ~ ", 0))" -%}
    cast(
        sign({{ cents }})
        * cast(({{ dividend }} - mod({{ dividend }}, {{ divisor }})) / {{ divisor }} as decimal(38, 0))
        * 0.01
        as {{ type_money() }}
    )
{%- endmacro %}


{# The sum of a money column as money. Exact on DuckDB and Snowflake; the loopback Snowflake
   emulator the deployment tests use sums decimals as doubles (1235.1699999999998), which the cast
   brings back to the exact cents. #}
{% macro sum_money(expression) -%}
    cast(sum({{ expression }}) as {{ type_money() }})
{%- endmacro %}
