{#- Calendar helpers that read the same on DuckDB and PostgreSQL. -#}

{#- One row per day from start_date to end_date (inclusive), column date_day. -#}
{% macro date_series(start_date, end_date) -%}
    select cast(day_start as date) as date_day
    from generate_series(
        cast('{{ start_date }}' as timestamp), cast('{{ end_date }}' as timestamp), interval '1 day'
    ) as days(day_start)
{%- endmacro %}

{#- The calendar date in Asia/Shanghai of a timestamp with time zone (weeks and months are local). -#}
{% macro shanghai_date(timestamp_column) -%}
    cast(({{ timestamp_column }}) at time zone 'Asia/Shanghai' as date)
{%- endmacro %}

{#- Whole days from one date to another. -#}
{% macro days_between(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}
