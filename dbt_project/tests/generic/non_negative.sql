{#- Fails on every row where the column is below zero (counts, amounts, areas). -#}
{% test non_negative(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
