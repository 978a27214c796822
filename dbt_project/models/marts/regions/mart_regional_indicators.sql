-- Regional indicators (DESIGN.md section 5), one row per region and year:
--   province:  NBS Gross Regional Product in yuan and US$, nominal growth, the catalogue's zones;
--   country:   WDI GDP (current US$), real GDP growth, FDI net inflows, population;
--   committee: the sums over the committee's member countries and their GDP-weighted real growth.
-- US$ <-> yuan at the year's average rate of int_fx_rates_yearly (CNY per US$, WDI PA.NUS.FCRF).
with cny_per_usd as (
    select
        year,
        cny_per_usd
    from {{ ref('int_fx_rates_yearly') }}
    where currency_code = 'CNY'
),

catalogue_zones as (
    select
        province_adcode,
        approved_area_ha,
        cast(extract(year from approval_date) as integer) as approval_year
    from {{ ref('dim_park') }}
    where in_catalogue
),

zones_of_province as (
    select
        province_adcode,
        count(*) as zones,
        {{ exact_sum('approved_area_ha') }} as approved_area_ha
    from catalogue_zones
    group by province_adcode
),

province_gdp as (
    select
        gdp.province_adcode,
        gdp.year,
        gdp.gdp_cny,
        previous_year.gdp_cny as gdp_cny_previous_year
    from {{ ref('stg_nbs__province_gdp') }} as gdp
    left join {{ ref('stg_nbs__province_gdp') }} as previous_year
        on
            gdp.province_adcode = previous_year.province_adcode
            and gdp.year - 1 = previous_year.year
),

zones_approved_by_year as (
    select
        province_gdp.province_adcode,
        province_gdp.year,
        count(*) as zones_approved_by_year_end
    from province_gdp
    inner join catalogue_zones
        on
            province_gdp.province_adcode = catalogue_zones.province_adcode
            and province_gdp.year >= catalogue_zones.approval_year
    group by province_gdp.province_adcode, province_gdp.year
),

provinces as (
    select
        'province' as region_type,
        region.region_key,
        region.code as region_code,
        region.name_en as region_name_en,
        region.name_cn as region_name_cn,
        province_gdp.year,
        province_gdp.gdp_cny,
        province_gdp.gdp_cny / cny_per_usd.cny_per_usd as gdp_usd,
        cny_per_usd.cny_per_usd,
        case
            when province_gdp.gdp_cny_previous_year > 0
                then (province_gdp.gdp_cny / province_gdp.gdp_cny_previous_year - 1) * 100
        end as gdp_growth_nominal_pct,
        cast(null as double precision) as gdp_growth_real_pct,
        cast(null as double precision) as fdi_net_inflows_usd,
        cast(null as bigint) as population,
        coalesce(zones_of_province.zones, 0) as zones,
        coalesce(zones_approved_by_year.zones_approved_by_year_end, 0) as zones_approved_by_year_end,
        coalesce(zones_of_province.approved_area_ha, 0) as approved_area_ha,
        cast(null as bigint) as member_countries,
        cast(null as bigint) as members_reporting_gdp
    from province_gdp
    inner join {{ ref('dim_region') }} as region
        on
            region.region_type = 'province'
            and province_gdp.province_adcode = region.code
    left join cny_per_usd
        on province_gdp.year = cny_per_usd.year
    left join zones_of_province
        on province_gdp.province_adcode = zones_of_province.province_adcode
    left join zones_approved_by_year
        on
            province_gdp.province_adcode = zones_approved_by_year.province_adcode
            and province_gdp.year = zones_approved_by_year.year
),

country_years as (
    select
        region.region_key,
        region.code as region_code,
        region.name_en as region_name_en,
        region.name_cn as region_name_cn,
        indicators.country_iso3,
        indicators.year,
        indicators.gdp_usd,
        indicators.gdp_growth_real_pct,
        indicators.fdi_net_inflows_usd,
        indicators.population
    from {{ ref('int_wdi_indicators_yearly') }} as indicators
    inner join {{ ref('dim_region') }} as region
        on
            region.region_type = 'country'
            and indicators.country_iso3 = region.code
),

countries as (
    select
        'country' as region_type,
        country_years.region_key,
        country_years.region_code,
        country_years.region_name_en,
        country_years.region_name_cn,
        country_years.year,
        country_years.gdp_usd * cny_per_usd.cny_per_usd as gdp_cny,
        country_years.gdp_usd,
        cny_per_usd.cny_per_usd,
        cast(null as double precision) as gdp_growth_nominal_pct,
        country_years.gdp_growth_real_pct,
        country_years.fdi_net_inflows_usd,
        country_years.population,
        cast(null as bigint) as zones,
        cast(null as bigint) as zones_approved_by_year_end,
        cast(null as double precision) as approved_area_ha,
        cast(null as bigint) as member_countries,
        cast(null as bigint) as members_reporting_gdp
    from country_years
    left join cny_per_usd
        on country_years.year = cny_per_usd.year
),

members_of_committee as (
    select
        committee,
        count(*) as member_countries
    from {{ ref('bridge_country_committee') }}
    group by committee
),

committee_years as (
    select
        bridge.committee,
        country_years.year,
        {{ exact_sum('country_years.gdp_usd') }} as gdp_usd,
        {{ exact_sum('country_years.gdp_usd * country_years.gdp_growth_real_pct') }}
        / nullif(
            {{ exact_sum('case when country_years.gdp_growth_real_pct is not null then country_years.gdp_usd end') }},
            0
        )
            as gdp_growth_real_pct,
        {{ exact_sum('country_years.fdi_net_inflows_usd') }} as fdi_net_inflows_usd,
        cast(sum(country_years.population) as bigint) as population,
        count(country_years.gdp_usd) as members_reporting_gdp
    from {{ ref('bridge_country_committee') }} as bridge
    inner join country_years
        on bridge.country_iso3 = country_years.country_iso3
    group by bridge.committee, country_years.year
),

committees as (
    select
        'committee' as region_type,
        committees.committee_code as region_key,
        committees.committee_code as region_code,
        committees.committee_name_en as region_name_en,
        committees.committee_name_cn as region_name_cn,
        committee_years.year,
        committee_years.gdp_usd * cny_per_usd.cny_per_usd as gdp_cny,
        committee_years.gdp_usd,
        cny_per_usd.cny_per_usd,
        cast(null as double precision) as gdp_growth_nominal_pct,
        committee_years.gdp_growth_real_pct,
        committee_years.fdi_net_inflows_usd,
        committee_years.population,
        cast(null as bigint) as zones,
        cast(null as bigint) as zones_approved_by_year_end,
        cast(null as double precision) as approved_area_ha,
        members_of_committee.member_countries,
        committee_years.members_reporting_gdp
    from committee_years
    inner join {{ ref('committees') }} as committees
        on committee_years.committee = committees.committee_code
    inner join members_of_committee
        on committee_years.committee = members_of_committee.committee
    left join cny_per_usd
        on committee_years.year = cny_per_usd.year
),

committee_names_of_country as (
    select
        bridge.country_iso3,
        string_agg(committees.committee_name_cn, '、' order by committees.committee_name_cn) as committee_names_cn,
        string_agg(committees.committee_name_en, ', ' order by committees.committee_name_en) as committee_names_en
    from {{ ref('bridge_country_committee') }} as bridge
    inner join {{ ref('committees') }} as committees
        on bridge.committee = committees.committee_code
    group by bridge.country_iso3
),

regions as (
    select * from provinces
    union all
    select * from countries
    union all
    select * from committees
),

-- the latest year a dashboard compares regions in: a province's the latest of the NBS export; a country's and a
-- committee's the latest year in which every committee has GDP, growth and FDI (WDI publishes FDI last)
complete_committee_years as (
    select committees.year
    from committees
    group by committees.year
    having
        count(committees.gdp_usd) = (select count(*) from {{ ref('committees') }})
        and count(committees.gdp_growth_real_pct) = (select count(*) from {{ ref('committees') }})
        and count(committees.fdi_net_inflows_usd) = (select count(*) from {{ ref('committees') }})
),

latest_years as (
    select
        'province' as region_type,
        max(provinces.year) as latest_year
    from provinces
    union all
    select
        'country' as region_type,
        max(complete_committee_years.year) as latest_year
    from complete_committee_years
    union all
    select
        'committee' as region_type,
        max(complete_committee_years.year) as latest_year
    from complete_committee_years
)

select
    regions.*,
    committee_names_of_country.committee_names_cn,
    committee_names_of_country.committee_names_en,
    coalesce(regions.year = latest_years.latest_year, false) as is_latest_full_year
from regions
left join committee_names_of_country
    on regions.region_type = 'country' and regions.region_code = committee_names_of_country.country_iso3
left join latest_years
    on regions.region_type = latest_years.region_type
