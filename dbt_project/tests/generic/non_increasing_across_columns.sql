{#- Fails on every row where a column of the ordered list `columns` exceeds the one before it, e.g.
    funnel stage counts, which can only shrink from one stage to the next. Nulls pass. -#}
{% test non_increasing_across_columns(model, columns) %}
select *
from {{ model }}
where
    {%- for column in columns[1:] %}
    {{ column }} > {{ columns[loop.index0] }}{{ ' or' if not loop.last }}
    {%- endfor %}
{% endtest %}
