{#- Inbound corridors (origin country -> Chinese park) per year of signing, ranked, with each park's
    inbound foreign share (DESIGN.md section 5, "inbound foreign share, top corridors").

    A corridor is the signed inbound foreign projects from one country into one park in one calendar
    year of signing. corridor_rank orders a year's corridors by contracted US dollars (a corridor
    whose amount cannot be converted comes last), then origin and park, so the top N is stable.
    park_inbound_foreign_share is the park's inbound foreign share of the year: contracted yuan of
    its inbound foreign projects over contracted yuan of all projects signed into it (foreign and
    domestic). Paid-in is the corridor's paid-in to date from the CRM's payment ledger, each payment at
    its payment year's rate; 到位率 compares amounts at each contract's own rate
    (paid_in_cny_at_contract_rate / contracted_cny), so fully paid contracts read exactly 1. -#}

with signed_into_parks as (
    select
        projects.*,
        cast(extract(year from projects.signed_date) as integer) as signed_year
    from {{ ref('fct_investment_project') }} as projects
    where projects.signed_date is not null
        and projects.park_id is not null
        and projects.direction in ('inbound_foreign', 'domestic')
),

park_years as (
    select
        park_id,
        signed_year,
        {{ exact_sum('contracted_cny') }} as park_contracted_cny,
        {{ exact_sum("case when direction = 'inbound_foreign' then contracted_cny else 0 end") }}
            as park_foreign_contracted_cny
    from signed_into_parks
    group by park_id, signed_year
),

corridors as (
    select
        signed_year,
        origin_country_iso3,
        park_id,
        count(*) as projects,
        {{ exact_sum('contracted_cny') }} as contracted_cny,
        {{ exact_sum('contracted_usd') }} as contracted_usd,
        {{ exact_sum('paid_in_cny') }} as paid_in_cny,
        {{ exact_sum('paid_in_usd') }} as paid_in_usd,
        {{ exact_sum(to_cny('paid_in_amount', 'cny_per_unit')) }} as paid_in_cny_at_contract_rate,
        max(data_origin) as data_origin
    from signed_into_parks
    where direction = 'inbound_foreign'
    group by signed_year, origin_country_iso3, park_id
)

select
    corridors.signed_year,
    corridors.origin_country_iso3,
    corridors.park_id,
    parks.zone_name as park_name,
    parks.province_adcode as park_province_adcode,
    corridors.projects,
    corridors.contracted_cny,
    corridors.contracted_usd,
    corridors.paid_in_cny,
    corridors.paid_in_usd,
    corridors.paid_in_cny_at_contract_rate,
    corridors.paid_in_cny_at_contract_rate / nullif(corridors.contracted_cny, 0) as paid_in_ratio,
    row_number() over (
        partition by corridors.signed_year
        order by
            case when corridors.contracted_usd is null then 1 else 0 end,
            corridors.contracted_usd desc,
            corridors.origin_country_iso3 asc,
            corridors.park_id asc
    ) as corridor_rank,
    corridors.contracted_usd * 1.0
    / nullif({{ exact_sum('corridors.contracted_usd', over='partition by corridors.signed_year') }}, 0)
        as share_of_year_inbound_usd,
    park_years.park_foreign_contracted_cny * 1.0
    / nullif(park_years.park_contracted_cny, 0) as park_inbound_foreign_share,
    corridors.data_origin,
    coalesce(origin_country.name_cn, corridors.origin_country_iso3) as origin_country_name_cn,
    coalesce(origin_country.name_en, corridors.origin_country_iso3) as origin_country_name_en,
    parks.province_name,
    coalesce(parks.province_name_en, parks.province_name) as province_name_en,
    coalesce(origin_country.name_cn, corridors.origin_country_iso3) || ' → ' || parks.zone_name as corridor_name_cn,
    coalesce(origin_country.name_en, corridors.origin_country_iso3) || ' → ' || parks.zone_name as corridor_name_en,
    corridors.signed_year = max(corridors.signed_year) over () as is_latest_year
from corridors
inner join park_years
    on corridors.park_id = park_years.park_id and corridors.signed_year = park_years.signed_year
inner join {{ ref('dim_park') }} as parks
    on corridors.park_id = parks.park_id
left join {{ ref('dim_region') }} as origin_country
    on origin_country.region_type = 'country' and corridors.origin_country_iso3 = origin_country.code
