{#- Whether `table` holds at least one generated row (data_origin, which every table built from a source that
    the demo can generate carries) among those matching `rows`: a boolean, stopping at the first such row. -#}
{% macro has_generated_rows(table, rows='true') -%}
    exists(select 1 from {{ table }} where {{ rows }} and data_origin = 'generated')
{%- endmacro %}
