{#- The matchmaking funnel's stages in order (DESIGN.md section 5, "Match outcomes"): the CRM's match
    stages without the outcome lost (extractors/crm/contract.py FUNNEL_STAGES, which the landing checks
    and tests/test_published_contracts.py compares with fct_match.furthest_stage). -#}
{% macro funnel_stages() -%}
    {{ return(['recommended', 'contacted', 'meeting', 'negotiation', 'signed', 'landed']) }}
{%- endmacro %}
