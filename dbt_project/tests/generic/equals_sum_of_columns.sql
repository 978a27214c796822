{#- Fails on every row where the column differs from the sum of `columns` (a total and its breakdown,
    e.g. lost matches and the lost matches per reason). -#}
{% test equals_sum_of_columns(model, column_name, columns) %}
select *
from {{ model }}
where {{ column_name }} <> {{ columns | join(' + ') }}
{% endtest %}
