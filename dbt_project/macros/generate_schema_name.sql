{#- Marts land in the target schema itself (the one Superset and the report read); staging,
    intermediate and seeds get their own schema, named plainly rather than prefixed.

    On PostgreSQL dbt writes only BUILD schemas (park_build_schema): the quality gate validates them
    and parkplatform.publish.publish_postgres swaps them for the serving schemas in one transaction.
    On DuckDB the whole build file is the build (published by renaming the file). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ park_build_schema(target.schema) }}
    {%- else -%}
        {{ park_build_schema(custom_schema_name | trim) }}
    {%- endif -%}
{%- endmacro %}

{#- The schema dbt writes for a serving schema: itself on DuckDB; on PostgreSQL <schema>_build, and
    marts_build for the marts' schema (the target schema). Keep in step with
    parkplatform.warehouse.POSTGRES_BUILD_SCHEMAS. With the var park_serving_catalog (dbt docs of what
    is published: parkplatform.dbt.generate_docs) the serving schemas themselves. -#}
{% macro park_build_schema(serving_schema) -%}
    {%- if target.type == 'postgres' and not var('park_serving_catalog', false) -%}
        {{ ('marts' if serving_schema == target.schema else serving_schema) ~ '_build' }}
    {%- else -%}
        {{ serving_schema }}
    {%- endif -%}
{%- endmacro %}
