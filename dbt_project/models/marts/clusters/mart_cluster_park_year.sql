-- Park × cluster × year: the cluster indicators of DESIGN.md section 5 (macro cluster_indicators) and
-- whether the park's enterprise base sits in the clusters it declares (主导产业), with the park's and the
-- cluster's names for the dashboards.
{#- the dashboards' notes under the rankings quote it -#}
{% set ranking_min_enterprises = 10 %}

with cluster_rows as (
    select
        park_id as geo_id,
        cluster_code,
        year,
        {{ cluster_measures() }}
    from {{ ref('int_enterprise_years') }}
    where cluster_code is not null
    group by park_id, cluster_code, year
),

geo_totals as (
    select park_id as geo_id, year, sum(employees) as employment
    from {{ ref('int_enterprise_years') }}
    group by park_id, year
),

{{ cluster_indicators('cluster_rows', 'geo_totals') }},

declared as (
    select
        indicators.geo_id,
        indicators.year,
        sum(case when bridge.park_id is not null then indicators.employment else 0 end) * 1.0
        / nullif(max(indicators.geo_employment), 0) as declared_employment_share
    from indicators
    left join {{ ref('bridge_park_cluster') }} as bridge
        on indicators.geo_id = bridge.park_id and indicators.cluster_code = bridge.cluster_code
    group by indicators.geo_id, indicators.year
)

select
    indicators.geo_id as park_id,
    park.province_adcode,
    indicators.cluster_code,
    indicators.year,
    indicators.enterprises,
    indicators.employment,
    indicators.revenue_cny,
    indicators.high_tech_share,
    indicators.tax_cny,
    indicators.rnd_intensity,
    indicators.geo_employment as park_employment,
    indicators.employment_share,
    indicators.location_quotient,
    indicators.hhi,
    indicators.cluster_tier,
    bridge.park_id is not null as is_declared_cluster,
    declared.declared_employment_share,
    indicators.employment_growth,
    indicators.revenue_growth,
    -- the park's and the cluster's descriptions, so that the dashboards filter and label without a join
    make_date(indicators.year, 1, 1) as year_start,
    park.zone_name,
    park.province_name,
    park.province_name_en,
    park.level,
    park.zone_type_en,
    park.geocode_quality,
    clusters.cluster_name_en,
    clusters.cluster_name_cn,
    {{ label_cn('cluster_tier', 'indicators.cluster_tier') }} as cluster_tier_cn,
    case when bridge.park_id is not null then '申报的主导产业集群' else '其他集群' end as declared_cn,
    park.level_cn,
    -- growth has a year to compare with; the cluster is large enough in the park to be ranked (its location
    -- quotient and shares swing with one enterprise below that: analyst guide, "Minimum sizes on rankings")
    indicators.has_prior_year,
    indicators.enterprises >= {{ ranking_min_enterprises }} as meets_ranking_minimum,
    {{ lookup(ref('zone_types'), 'zone_type', 'zone_type_cn', 'park.zone_type') }} as zone_type_cn,
    -- in English, for the dashboard's English version
    {{ label_en('cluster_tier', 'indicators.cluster_tier') }} as cluster_tier_en,
    case when bridge.park_id is not null then 'Declared leading cluster' else 'Other cluster' end as declared_en,
    park.level_en,
    -- the park's view sets each cluster's share of the park against its share of the province's parks, in
    -- the newest year the submissions cover
    province.employment_share as province_employment_share,
    indicators.year = max(indicators.year) over () as is_latest_year,
    -- whether the park is an alliance member (the dashboards' 联盟成员 filter)
    park.alliance_membership_cn,
    park.alliance_membership_en
from indicators
inner join {{ ref('dim_park') }} as park
    on indicators.geo_id = park.park_id
inner join {{ ref('dim_cluster') }} as clusters
    on indicators.cluster_code = clusters.cluster_code
inner join declared
    on indicators.geo_id = declared.geo_id and indicators.year = declared.year
left join {{ ref('bridge_park_cluster') }} as bridge
    on indicators.geo_id = bridge.park_id and indicators.cluster_code = bridge.cluster_code
left join {{ ref('mart_cluster_province_year') }} as province
    on
        park.province_adcode = province.province_adcode
        and indicators.cluster_code = province.cluster_code
        and indicators.year = province.year
