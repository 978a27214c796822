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

{#- The label of a code of seed display_labels (channel, match type, stage, lost reason, direction, cluster
    tier, intake status, a submitted file's outcome, park level, geocode quality) in `language` (cn or en, the
    seed's columns label_cn and label_en); the code itself when the seed has none. -#}
{% macro display_label(domain, code, language) -%}
    coalesce(
        (
            select labels.label_{{ language }}
            from {{ ref('display_labels') }} as labels
            where labels.domain = '{{ domain }}' and labels.code = {{ code }}
        ),
        {{ code }}
    )
{%- endmacro %}

{#- The Chinese label of a code (what the Chinese dashboards show). -#}
{% macro label_cn(domain, code) -%}
    {{ display_label(domain, code, 'cn') }}
{%- endmacro %}

{#- The English label of a code (what the dashboards' English versions show). -#}
{% macro label_en(domain, code) -%}
    {{ display_label(domain, code, 'en') }}
{%- endmacro %}

{#- A committee's name in Chinese (seed committees); 无委员会 for no committee. -#}
{% macro committee_name_cn(code) -%}
    coalesce({{ lookup(ref('committees'), 'committee_code', 'committee_name_cn', code) }}, '无委员会')
{%- endmacro %}

{#- A committee's name in English (seed committees); No committee for no committee. -#}
{% macro committee_name_en(code) -%}
    coalesce({{ lookup(ref('committees'), 'committee_code', 'committee_name_en', code) }}, 'No committee')
{%- endmacro %}

{#- An investment corridor's two ends as the dashboards' Sankey draws them, in `language` (cn or en), as the
    columns origin_region_<language> and destination_region_<language>: where the money comes from (国内 /
    Domestic for a domestic project, else the sourcing committee, else the origin country) and where it goes
    (境外：/ Overseas: <country> for an outbound flow, else the park's province). Reads the aliases of
    mart_investment_flows_month: flows, committees, origin_country, destination_country and parks. -#}
{% macro corridor_ends(language) -%}
    {%- set words = {
        'cn': {'domestic': "'国内'", 'overseas': "'境外：'", 'province': 'parks.province_name'},
        'en': {
            'domestic': "'Domestic'", 'overseas': "'Overseas: '", 'province': 'parks.province_name_en, parks.province_name'
        },
    }[language] -%}
    case
        when flows.direction = 'domestic' then {{ words.domestic }}
        else coalesce(
            committees.committee_name_{{ language }},
            origin_country.name_{{ language }},
            flows.origin_country_iso3,
            {{ words.domestic }}
        )
    end as origin_region_{{ language }},
    case
        when flows.direction = 'outbound'
            then {{ words.overseas }} || coalesce(destination_country.name_{{ language }}, flows.destination_country_iso3, '?')
        else coalesce({{ words.province }}, flows.park_province_adcode, '?')
    end as destination_region_{{ language }}
{%- endmacro %}
