-- Every park the platform knows: the catalogue's zones, then the alliance's members the catalogue
-- does not list (alliance-only parks, level 'unlisted'), each with its geocode quality, declared
-- clusters and alliance membership.
{%- set membership = "case when alliance.park_id is not null then 'member' else 'non_member' end" %}
with declared_clusters as (
    select
        park_id,
        string_agg(cluster_code, ',' order by cluster_code) as declared_clusters,
        count(*) as declared_cluster_count
    from {{ ref('int_park_declared_clusters') }}
    group by park_id
),

catalogue as (
    select
        zones.park_id,
        zones.zone_code,
        zones.zone_code_clash,
        zones.zone_name,
        true as in_catalogue,
        zones.level,
        zones.zone_type,
        zones.zone_type_cn,
        provinces.province_adcode,
        coalesce(provinces.province_name_cn, zones.province_name) as province_name,
        provinces.province_name_en,
        zones.city_district,
        'CHN' as country_iso3,
        zones.approval_date,
        zones.approval_date_second,
        zones.approved_area_ha,
        zones.leading_industries,
        declared_clusters.declared_clusters,
        coalesce(declared_clusters.declared_cluster_count, 0) as declared_cluster_count,
        zones.longitude,
        zones.latitude,
        zones.formatted_address,
        zones.geocode_status,
        zones.geocode_quality,
        zones.geocode_shared_point,
        zones.geocode_province_mismatch,
        zones.typo_flags,
        zones.data_origin
    from {{ ref('stg_park_registry__zones') }} as zones
    left join {{ ref('province_names') }} as provinces
        on zones.province_name = provinces.province_name_cn
    left join declared_clusters
        on zones.park_id = declared_clusters.park_id
),

alliance_only as (
    select
        parks.park_id,
        parks.park_id as zone_code,
        false as zone_code_clash,
        parks.member_name as zone_name,
        false as in_catalogue,
        'unlisted' as level,
        'other' as zone_type,
        cast(null as varchar) as zone_type_cn,
        provinces.province_adcode,
        parks.province_name,
        provinces.province_name_en,
        parks.city as city_district,
        parks.country_iso3,
        cast(null as date) as approval_date,
        cast(null as date) as approval_date_second,
        cast(null as double precision) as approved_area_ha,
        cast(null as varchar) as leading_industries,
        cast(null as varchar) as declared_clusters,
        0 as declared_cluster_count,
        cast(null as double precision) as longitude,
        cast(null as double precision) as latitude,
        cast(null as varchar) as formatted_address,
        cast(null as varchar) as geocode_status,
        'missing' as geocode_quality,
        false as geocode_shared_point,
        false as geocode_province_mismatch,
        cast(null as varchar) as typo_flags,
        parks.data_origin
    from {{ ref('int_alliance_parks') }} as parks
    left join {{ ref('province_names') }} as provinces
        on parks.province_name = provinces.province_name_cn
    where parks.is_alliance_only
),

parks as (
    select * from catalogue
    union all
    select * from alliance_only
)

select
    parks.*,
    zone_types.zone_type_en,
    alliance.park_id is not null as is_alliance_member,
    alliance.member_since,
    alliance.alliance_committees,
    -- in Chinese, what the dashboards filter and colour by, and in English, what their English versions do
    {{ label_cn('level', 'parks.level') }} as level_cn,
    {{ label_cn('geocode_quality', 'parks.geocode_quality') }} as geocode_quality_cn,
    {{ label_en('level', 'parks.level') }} as level_en,
    {{ label_en('geocode_quality', 'parks.geocode_quality') }} as geocode_quality_en,
    {{ label_cn('alliance_membership', membership) }} as alliance_membership_cn,
    {{ label_en('alliance_membership', membership) }} as alliance_membership_en
from parks
left join {{ ref('zone_types') }} as zone_types
    on parks.zone_type = zone_types.zone_type
left join {{ ref('int_alliance_parks') }} as alliance
    on parks.park_id = alliance.park_id
