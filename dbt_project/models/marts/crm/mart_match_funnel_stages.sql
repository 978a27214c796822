-- The funnel of mart_match_funnel with one row per stage, as a funnel chart draws it: the matches of a
-- committee x channel x match type x cluster x cohort month that reached each stage (macro funnel_stages),
-- the stage labelled with its rank so that it sorts in funnel order.
{%- set stages = funnel_stages() %}
{%- for stage in stages %}

select
    committee,
    channel,
    match_type,
    cluster_code,
    cohort_month,
    '{{ loop.index }} {{ stage }}' as stage,
    {{ loop.index }} as stage_rank,
    {{ stage }}_matches as matches,
    data_origin,
    committee_name_cn,
    channel_cn,
    match_type_cn,
    cluster_name_cn,
    '{{ loop.index }} ' || {{ label_cn('stage', "'" ~ stage ~ "'") }} as stage_cn,
    committee_name_en,
    channel_en,
    match_type_en,
    cluster_name_en,
    '{{ loop.index }} ' || {{ label_en('stage', "'" ~ stage ~ "'") }} as stage_en
from {{ ref('mart_match_funnel') }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
