{#- References render as schema.table, without the database (DuckDB catalog) name.

    dbt writes build.duckdb, whose catalog is called "build"; publishing renames it to
    serving.duckdb, whose catalog is "serving". A view that named "build"."raw"."x" would break
    after the rename; a view naming "raw"."x" binds to whichever file it is read from. -#}
{% macro ref() %}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {{ return(relation.include(database=False)) }}
{% endmacro %}

{#- On PostgreSQL the build reads the loaded sources from their build schema (raw_build). -#}
{% macro source() %}
    {%- set relation = builtins.source(*varargs, **kwargs) -%}
    {%- set relation = relation.incorporate(path={"schema": park_build_schema(relation.schema) | trim}) -%}
    {{ return(relation.include(database=False)) }}
{% endmacro %}
