{#- not_null, but only once `reference` holds rows: e.g. amounts converted with the WDI exchange rates,
    which a run without PARK_REFERENCE_DIR loads empty (the conversion is then null by design). -#}
{% test not_null_where_reference_loaded(model, column_name, reference) %}
select *
from {{ model }}
where {{ column_name }} is null and exists (select 1 from {{ reference }})
{% endtest %}
