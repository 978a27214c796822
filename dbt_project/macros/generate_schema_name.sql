{#- Marts land in the target schema itself (the one Superset and the report read); staging,
    intermediate and seeds get their own schema, named plainly rather than prefixed. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
