-- The alliance's member parks (dim_park.is_alliance_member), one row per member park and regional committee
-- it sits in (a park in no committee: one row, committee null, 无委员会), with its join date, where it is,
-- and whether its geocode may be drawn on a map (not suspect, not missing).
with park_committees as (
    select
        members.park_id,
        committees.committee
    from {{ ref('stg_alliance__members') }} as members
    inner join {{ ref('stg_alliance__member_committees') }} as committees
        on members.member_id = committees.member_id
    where members.park_id is not null
    group by members.park_id, committees.committee
),

members as (
    select *
    from {{ ref('dim_park') }}
    where is_alliance_member
)

select
    members.park_id,
    members.zone_name,
    members.in_catalogue,
    members.level_cn,
    members.level_en,
    members.zone_type_cn,
    members.zone_type_en,
    members.province_name,
    members.province_name_en,
    members.member_since,
    cast(extract(year from members.member_since) as integer) as member_since_year,
    park_committees.committee,
    {{ committee_name_cn('park_committees.committee') }} as committee_name_cn,
    {{ committee_name_en('park_committees.committee') }} as committee_name_en,
    members.longitude,
    members.latitude,
    members.geocode_quality,
    members.geocode_quality_cn,
    members.geocode_quality_en,
    coalesce(
        members.geocode_quality not in ('suspect', 'missing')
        and members.longitude is not null
        and members.latitude is not null,
        false
    ) as is_mappable,
    members.data_origin
from members
left join park_committees
    on members.park_id = park_committees.park_id
