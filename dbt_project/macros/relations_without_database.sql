{#- References render as schema.table, without the database (DuckDB catalog) name.

    dbt writes build.duckdb, whose catalog is called "build"; publishing renames it to
    serving.duckdb, whose catalog is "serving". A view that named "build"."raw"."x" would break
    after the rename; a view naming "raw"."x" binds to whichever file it is read from. -#}
{% macro ref() %}
    {%- set relation = builtins.ref(*varargs, **kwargs) -%}
    {{ return(relation.include(database=False)) }}
{% endmacro %}

{% macro source() %}
    {%- set relation = builtins.source(*varargs, **kwargs) -%}
    {{ return(relation.include(database=False)) }}
{% endmacro %}
