-- One row per region the marts describe: the 31 provinces of mainland China (seed province_names,
-- key 'CN-' || adcode) and every ISO 3166-1 country or territory (key: its ISO3 code), countries
-- with their UN M49 regions and the alliance committees they belong to.
with committees_of_country as (
    select
        country_iso3,
        string_agg(committee, ',' order by committee) as committees,
        count(*) as committee_count
    from {{ ref('bridge_country_committee') }}
    group by country_iso3
),

provinces as (
    select
        'CN-' || province_adcode as region_key,
        'province' as region_type,
        province_adcode as code,
        province_name_en as name_en,
        province_name_cn as name_cn,
        'CHN' as country_iso3,
        cast(null as varchar) as m49_code,
        cast(null as varchar) as un_region,
        cast(null as varchar) as un_sub_region,
        cast(null as varchar) as un_intermediate_region,
        'CNY' as currency_code,
        cast(null as varchar) as committees,
        cast(0 as integer) as committee_count
    from {{ ref('province_names') }}
),

countries as (
    select
        countries.country_iso3 as region_key,
        'country' as region_type,
        countries.country_iso3 as code,
        countries.country_name_en as name_en,
        countries.country_name_cn as name_cn,
        countries.country_iso3,
        countries.m49_code,
        countries.un_region,
        countries.un_sub_region,
        countries.un_intermediate_region,
        countries.currency_code,
        committees_of_country.committees,
        cast(coalesce(committees_of_country.committee_count, 0) as integer) as committee_count
    from {{ ref('stg_reference__countries') }} as countries
    left join committees_of_country
        on countries.country_iso3 = committees_of_country.country_iso3
)

select * from provinces
union all
select * from countries
