{#- Fails on every batch where received != landed + quarantined. -#}
{% test reconciles(model, received, landed, quarantined) %}
select *
from {{ model }}
where {{ received }} <> {{ landed }} + {{ quarantined }}
{% endtest %}
