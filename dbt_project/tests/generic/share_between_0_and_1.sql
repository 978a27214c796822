{#- Fails on every row where a share (a ratio of a part to its whole) lies outside [0, 1]; null passes. -#}
{% test share_between_0_and_1(model, column_name) %}
select *
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
