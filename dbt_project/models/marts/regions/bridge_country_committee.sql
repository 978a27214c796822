-- Which alliance committee each country belongs to (DESIGN.md section 4): a committee defined on a
-- UN M49 region, sub-region or intermediate region takes every country M49 puts there; the Arab
-- States committee takes the countries of its member list. A country can sit in two committees
-- (Egypt: africa and arab_states), hence a bridge rather than a column.
with countries as (
    select
        country_iso3,
        un_region,
        un_sub_region,
        un_intermediate_region
    from {{ ref('stg_reference__countries') }}
),

committees as (
    select
        committee_code,
        m49_level,
        m49_name
    from {{ ref('committees') }}
),

by_m49_area as (
    select
        countries.country_iso3,
        committees.committee_code as committee,
        committees.m49_level as matched_on
    from committees
    inner join countries
        on
            (committees.m49_level = 'region' and committees.m49_name = countries.un_region)
            or (committees.m49_level = 'sub-region' and committees.m49_name = countries.un_sub_region)
            or (
                committees.m49_level = 'intermediate region'
                and committees.m49_name = countries.un_intermediate_region
            )
),

by_member_list as (
    select
        countries.country_iso3,
        committees.committee_code as committee,
        committees.m49_level as matched_on
    from {{ ref('arab_league_members') }} as members
    inner join committees
        on members.committee_code = committees.committee_code
    inner join countries
        on members.country_iso3 = countries.country_iso3
    where committees.m49_level = 'list'
)

select * from by_m49_area
union all
select * from by_member_list
