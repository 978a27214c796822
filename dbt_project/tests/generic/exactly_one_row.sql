{#- Fails unless the model holds exactly one row (a one-row status table such as mart_serving_status). -#}
{% test exactly_one_row(model) %}
select rows_found
from (select count(*) as rows_found from {{ model }}) as counted
where rows_found <> 1
{% endtest %}
