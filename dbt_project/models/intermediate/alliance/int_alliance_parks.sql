-- One row per park the alliance's member list resolves to: a catalogue zone matched by code or
-- name, or an alliance-only park (its stable A-code). Ambiguous and review members resolve to no
-- park until a person decides, so they are not here.
with resolved as (
    select *
    from {{ ref('stg_alliance__members') }}
    where park_id is not null
),

park_committees as (
    select
        resolved.park_id,
        committees.committee
    from resolved
    inner join {{ ref('stg_alliance__member_committees') }} as committees
        on resolved.member_id = committees.member_id
    group by resolved.park_id, committees.committee
),

committee_lists as (
    select
        park_id,
        string_agg(committee, ',' order by committee) as alliance_committees
    from park_committees
    group by park_id
)

select
    resolved.park_id,
    max(case when resolved.match_status = 'alliance_only' then 1 else 0 end) = 1 as is_alliance_only,
    min(resolved.join_date) as member_since,
    count(*) as member_records,
    min(resolved.member_name) as member_name,
    min(resolved.province_name) as province_name,
    min(resolved.city) as city,
    min(resolved.country_iso3) as country_iso3,
    min(resolved.data_origin) as data_origin,
    min(committee_lists.alliance_committees) as alliance_committees
from resolved
left join committee_lists
    on resolved.park_id = committee_lists.park_id
group by resolved.park_id
