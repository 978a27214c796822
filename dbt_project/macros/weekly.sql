{#- A weekly indicator's value from its summed parts (mart_weekly_indicators_by_area): a ratio's numerator over
    its denominator (none when the denominator is 0), a sum's numerator. Superset's dataset of that mart defines
    its metrics with the same rule, so the dashboard's filtered figures are this mart's over the chosen areas. -#}
{% macro weekly_value(aggregation, numerator, denominator) -%}
    case when {{ aggregation }} = 'ratio' then {{ numerator }} / nullif({{ denominator }}, 0) else {{ numerator }} end
{%- endmacro %}
