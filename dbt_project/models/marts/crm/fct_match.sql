{#- One row per match: the furthest funnel stage it reached, when it reached each stage, whether it
    was lost (reason, date), its cohort month and whether it is stalled as of the build date.

    Stage order: recommended < contacted < meeting < negotiation < signed < landed; lost is an
    outcome recorded after whatever stage was reached, not a stage. A stage counts as reached when
    the match has an event of that stage or of a later one (a quarantined event leaves its stage
    without a timestamp but still reached); every match has at least been recommended. The park's
    and the cluster's names come with each match for the dashboards. -#}
{%- set stages = funnel_stages() %}

with events as (
    select * from {{ ref('fct_match_event') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

matches as (
    select
        match_id,
        max(match_type) as match_type,
        max(channel) as channel,
        max(committee) as committee,
        max(cluster_code) as cluster_code,
        max(park_code) as park_code,
        max(project_id) as project_id,
        max(demand_party) as demand_party,
        max(supply_party) as supply_party,
        coalesce(max(stage_rank), 1) as furthest_stage_rank,
        {%- for stage in stages %}
        min(case when stage = '{{ stage }}' then event_at end) as {{ stage }}_at,
        {%- endfor %}
        min(case when stage = 'lost' then event_at end) as lost_at,
        max(case when stage = 'lost' then lost_reason end) as lost_reason,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(*) as events,
        max(data_origin) as data_origin
    from events
    group by match_id
),

dated as (
    select
        matches.*,
        {%- for stage in stages %}
        {{ shanghai_date(stage ~ '_at') }} as {{ stage }}_date,
        {%- endfor %}
        {{ shanghai_date('lost_at') }} as lost_date,
        {{ shanghai_date('coalesce(recommended_at, first_event_at)') }} as cohort_date,
        {{ shanghai_date('last_event_at') }} as last_event_date
    from matches
),

-- the usual time from the recommendation (the cohort's event) to each later stage (macros/maturity.sql)
{%- set stage_days = {} %}
{%- for stage in stages[1:] %}
{%- do stage_days.update({'to_' ~ stage: days_between('cohort_date', stage ~ '_date')}) %}
{%- endfor %}
first_estimate as (
    select {{ usual_days_to_stages(stage_days) }}
    from dated
),

usual_days as (
    select
        {{ usual_days_to_stages(
            stage_days, "cast(date_trunc('month', dated.cohort_date) as date)", 'as_of.as_of_date', 'first_estimate'
        ) }}
    from dated
    cross join first_estimate
    cross join as_of
)

select
    dated.match_id,
    case dated.furthest_stage_rank
        {%- for stage in stages %}
        when {{ loop.index }} then '{{ stage }}'
        {%- endfor %}
    end as furthest_stage,
    dated.furthest_stage_rank,
    dated.match_type,
    dated.channel,
    dated.committee,
    dated.cluster_code,
    dated.park_code,
    parks.park_id,
    dated.project_id,
    dated.demand_party,
    dated.supply_party,
    cast(date_trunc('month', dated.cohort_date) as date) as cohort_month,
    dated.recommended_at is null as cohort_imputed,
    {%- for stage in stages %}
    dated.{{ stage }}_at,
    {%- endfor %}
    {%- for stage in stages[1:] %}
    {{ days_between('dated.' ~ stages[loop.index0] ~ '_date', 'dated.' ~ stage ~ '_date') }}
        as days_{{ stages[loop.index0] }}_to_{{ stage }},
    {%- endfor %}
    dated.furthest_stage_rank >= 6 as is_landed,
    dated.lost_at is not null as is_lost,
    dated.lost_reason,
    dated.lost_at,
    dated.lost_date,
    dated.first_event_at,
    dated.last_event_at,
    dated.last_event_date,
    dated.events,
    as_of.as_of_date,
    {{ days_between('dated.last_event_date', 'as_of.as_of_date') }} as days_since_last_event,
    (
        dated.furthest_stage_rank < 6
        and dated.lost_at is null
        and {{ days_between('dated.last_event_date', 'as_of.as_of_date') }} >= 90
    ) as is_stalled,
    {{ cohort_age_days("cast(date_trunc('month', dated.cohort_date) as date)", 'as_of.as_of_date') }}
        as cohort_age_days,
    {%- for stage in stages[1:] %}
    {{ is_cohort_mature("cast(date_trunc('month', dated.cohort_date) as date)", 'as_of.as_of_date',
        'usual_days.to_' ~ stage) }} as is_cohort_mature_for_{{ stage }},
    {%- endfor %}
    dated.data_origin,
    -- the park's and the cluster's names, which the matchmaking dashboard lists and filters by
    zones.zone_name,
    zones.province_name,
    zones.level,
    zones.zone_type_en,
    clusters.cluster_name_en,
    -- in Chinese, as the leadership dashboard lists the stalled deals and filters them by committee
    clusters.cluster_name_cn,
    coalesce(committees.committee_name_cn, '无委员会') as committee_name_cn,
    case dated.furthest_stage_rank
        {%- for stage in stages %}
        when {{ loop.index }} then {{ label_cn('stage', "'" ~ stage ~ "'") }}
        {%- endfor %}
    end as furthest_stage_cn,
    {{ label_cn('channel', 'dated.channel') }} as channel_cn,
    {{ label_cn('match_type', 'dated.match_type') }} as match_type_cn,
    {{ label_cn('lost_reason', 'dated.lost_reason') }} as lost_reason_cn,
    zones.level_cn,
    {{ lookup(ref('zone_types'), 'zone_type', 'zone_type_cn', 'zones.zone_type') }} as zone_type_cn,
    -- in English, for the dashboards' English versions
    zones.province_name_en,
    coalesce(committees.committee_name_en, 'No committee') as committee_name_en,
    case dated.furthest_stage_rank
        {%- for stage in stages %}
        when {{ loop.index }} then {{ label_en('stage', "'" ~ stage ~ "'") }}
        {%- endfor %}
    end as furthest_stage_en,
    {{ label_en('channel', 'dated.channel') }} as channel_en,
    {{ label_en('match_type', 'dated.match_type') }} as match_type_en,
    {{ label_en('lost_reason', 'dated.lost_reason') }} as lost_reason_en,
    zones.level_en
from dated
cross join as_of
cross join usual_days
left join {{ ref('int_crm__park_codes') }} as parks
    on dated.park_code = parks.park_code
left join {{ ref('dim_park') }} as zones
    on parks.park_id = zones.park_id
left join {{ ref('dim_cluster') }} as clusters
    on dated.cluster_code = clusters.cluster_code
left join {{ ref('committees') }} as committees
    on dated.committee = committees.committee_code
