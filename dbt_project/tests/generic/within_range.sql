{# Every non-null value of `column_name` lies in [min_value, max_value] (dbt_utils is not
   available). Rates and shares use 0 and 1. #}
{% test within_range(model, column_name, min_value, max_value) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }}
    or {{ column_name }} > {{ max_value }}

{% endtest %}
