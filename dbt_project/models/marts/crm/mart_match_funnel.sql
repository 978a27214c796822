{#- The matchmaking funnel (DESIGN.md section 5, "Match outcomes").

    Grain: committee x channel x match type x cluster x cohort month (the month, Asia/Shanghai, of the
    match's recommended event). Counts are of matches that reached each stage (a match that reached
    negotiation also counts under recommended, contacted and meeting), so they never increase down
    the funnel; conversions divide consecutive counts; cycle times are medians, in whole days between
    Asia/Shanghai dates, over the matches with both stage events recorded. Lost reasons are one column
    per reason: the CRM contract fixes six (extractors/crm/contract.py LOST_REASONS, checked at landing and
    by accepted_values on fct_match), so a wide row keeps the funnel and its losses together. -#}
{%- set stages = funnel_stages() %}
{%- set lost_reasons = ['budget', 'timing', 'location', 'policy', 'competitor', 'no_response'] %}

with cohorts as (
    select
        committee,
        channel,
        match_type,
        cluster_code,
        cohort_month,
        {%- for stage in stages[1:] %}
        is_cohort_mature_for_{{ stage }},
        {%- endfor %}
        {%- for stage in stages %}
        cast(sum(case when furthest_stage_rank >= {{ loop.index }} then 1 else 0 end) as bigint) as {{ stage }}_matches,
        {%- endfor %}
        {%- for stage in stages[1:] %}
        percentile_cont(0.5) within group (order by days_{{ stages[loop.index0] }}_to_{{ stage }})
            as median_days_{{ stages[loop.index0] }}_to_{{ stage }},
        {%- endfor %}
        cast(sum(case when is_stalled then 1 else 0 end) as bigint) as stalled_matches,
        cast(sum(case when is_lost then 1 else 0 end) as bigint) as lost_matches,
        {%- for reason in lost_reasons %}
        cast(sum(case when lost_reason = '{{ reason }}' then 1 else 0 end) as bigint) as lost_{{ reason }},
        {%- endfor %}
        max(data_origin) as data_origin
    from {{ ref('fct_match') }}
    group by
        committee,
        channel,
        match_type,
        cluster_code,
        -- the same for every match of a cohort month (fct_match, macros/maturity.sql)
        {%- for stage in stages[1:] %}
        is_cohort_mature_for_{{ stage }},
        {%- endfor %}
        cohort_month
)

select
    cohorts.committee,
    cohorts.channel,
    cohorts.match_type,
    cohorts.cluster_code,
    cohorts.cohort_month,
    {%- for stage in stages %}
    cohorts.{{ stage }}_matches,
    {%- endfor %}
    {%- for stage in stages[1:4] %}
    cast(cohorts.{{ stage }}_matches as double precision) / nullif(cohorts.{{ stages[loop.index0] }}_matches, 0)
        as {{ stages[loop.index0] }}_to_{{ stage }}_rate,
    {%- endfor %}
    cast(cohorts.signed_matches as double precision) / nullif(cohorts.negotiation_matches, 0)
        as negotiation_to_signed_rate,
    cast(cohorts.signed_matches as double precision) / nullif(cohorts.recommended_matches, 0)
        as overall_conversion_rate,
    cast(cohorts.landed_matches as double precision) / nullif(cohorts.signed_matches, 0) as landing_rate,
    {%- for stage in stages[1:] %}
    cohorts.median_days_{{ stages[loop.index0] }}_to_{{ stage }},
    {%- endfor %}
    cohorts.stalled_matches,
    cohorts.lost_matches,
    {%- for reason in lost_reasons %}
    cohorts.lost_{{ reason }},
    {%- endfor %}
    cohorts.data_origin,
    {%- for stage in stages[1:] %}
    cohorts.is_cohort_mature_for_{{ stage }},
    {%- endfor %}
    -- in Chinese, what the matchmaking dashboard shows and filters by
    {{ committee_name_cn('cohorts.committee') }} as committee_name_cn,
    {{ label_cn('channel', 'cohorts.channel') }} as channel_cn,
    {{ label_cn('match_type', 'cohorts.match_type') }} as match_type_cn,
    {{ lookup(ref('dim_cluster'), 'cluster_code', 'cluster_name_cn', 'cohorts.cluster_code') }} as cluster_name_cn,
    -- in English, what the dashboard's English version shows and filters by
    {{ committee_name_en('cohorts.committee') }} as committee_name_en,
    {{ label_en('channel', 'cohorts.channel') }} as channel_en,
    {{ label_en('match_type', 'cohorts.match_type') }} as match_type_en,
    {{ lookup(ref('dim_cluster'), 'cluster_code', 'cluster_name_en', 'cohorts.cluster_code') }} as cluster_name_en
from cohorts
