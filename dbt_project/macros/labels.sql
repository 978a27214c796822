{#- Names and labels in Chinese for the codes the marts carry, what the dashboards show instead of a code. -#}

{#- The value of `value_column` in `relation` for the row whose `key_column` is `code` (a scalar subquery, so
    that a mart adds a label without a join that could fan out). -#}
{% macro lookup(relation, key_column, value_column, code) -%}
    (
        select lookups.{{ value_column }}
        from {{ relation }} as lookups
        where lookups.{{ key_column }} = {{ code }}
    )
{%- endmacro %}

{#- The Chinese label of a code of seed display_labels (channel, match type, stage, lost reason, direction,
    cluster tier, intake status, a submitted file's outcome); the code itself when the seed has none. -#}
{% macro label_cn(domain, code) -%}
    coalesce(
        (
            select labels.label_cn
            from {{ ref('display_labels') }} as labels
            where labels.domain = '{{ domain }}' and labels.code = {{ code }}
        ),
        {{ code }}
    )
{%- endmacro %}

{#- A committee's name in Chinese (seed committees); 无委员会 for no committee. -#}
{% macro committee_name_cn(code) -%}
    coalesce({{ lookup(ref('committees'), 'committee_code', 'committee_name_cn', code) }}, '无委员会')
{%- endmacro %}
