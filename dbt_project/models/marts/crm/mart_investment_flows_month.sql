{#- Investment flows by corridor and month of signing (DESIGN.md section 5, "Investment flows").

    Grain: direction x origin (country and sourcing committee; province for a domestic project) x
    Chinese park (with its province) x destination country x cluster x month of signing. Only signed
    projects are flows: a project counts in the month its agreement was signed (Asia/Shanghai calendar
    date of the CRM), and the rates are that signing cohort's progress as of the build (of the projects
    signed in the month, how many started construction, how many reached production so far).

    Paid-in is the cohort's paid-in to date from the CRM's payment ledger (fct_investment_project): in
    yuan and dollars each payment at its payment year's rate; 到位率 compares amounts in one currency,
    each project's paid-in and contract both at its contract's rate (paid_in_cny_at_contract_rate /
    contracted_cny), so fully paid contracts read exactly 1. Paid-in by the month the money arrived:
    fct_paid_in_payment.

    For outbound projects the destination country's FDI net inflows (WDI BX.KLT.DINV.CD.WD, current
    US$) of the signing year are given as context; when the World Bank has not published that year
    yet, the latest earlier year, named in destination_fdi_year. Each row also names its corridor's
    two ends (origin_region, destination_region) and the park's and the cluster's names, so that the
    Investment flows dashboard draws and filters without a join of its own. -#}

with signed as (
    select
        projects.*,
        parks.province_adcode as park_province_adcode,
        cast(extract(year from projects.signed_date) as integer) as signed_year
    from {{ ref('fct_investment_project') }} as projects
    left join {{ ref('dim_park') }} as parks
        on projects.park_id = parks.park_id
    where projects.signed_date is not null
),

flows as (
    select
        direction,
        origin_country_iso3,
        committee,
        origin_province_adcode,
        park_id,
        park_province_adcode,
        destination_country_iso3,
        cluster_code,
        signed_month,
        is_cohort_mature_for_start,
        is_cohort_mature_for_production,
        is_cohort_mature_for_paid_in,
        min(signed_year) as signed_year,
        count(*) as projects,
        {{ exact_sum('contracted_cny') }} as contracted_cny,
        {{ exact_sum('contracted_usd') }} as contracted_usd,
        {{ exact_sum('paid_in_cny') }} as paid_in_cny,
        {{ exact_sum('paid_in_usd') }} as paid_in_usd,
        {{ exact_sum(to_cny('paid_in_amount', 'cny_per_unit')) }} as paid_in_cny_at_contract_rate,
        cast(sum(case when is_construction_started then 1 else 0 end) as bigint) as construction_started_projects,
        cast(sum(case when is_in_production then 1 else 0 end) as bigint) as in_production_projects,
        percentile_cont(0.5) within group (order by days_signed_to_started) as median_days_signed_to_started,
        percentile_cont(0.5) within group (order by days_started_to_producing) as median_days_started_to_producing,
        max(data_origin) as data_origin
    from signed
    group by
        direction,
        origin_country_iso3,
        committee,
        origin_province_adcode,
        park_id,
        park_province_adcode,
        destination_country_iso3,
        cluster_code,
        signed_month,
        -- the same for every project of a signing month (fct_investment_project, macros/maturity.sql)
        is_cohort_mature_for_start,
        is_cohort_mature_for_production,
        is_cohort_mature_for_paid_in
),

fdi as (
    select country_iso3, year, value
    from {{ ref('stg_world_bank__indicators') }}
    where indicator_code = 'BX.KLT.DINV.CD.WD' and value is not null
),

fdi_year as (
    select
        outbound.destination_country_iso3,
        outbound.signed_year,
        max(fdi.year) as fdi_year
    from (
        select distinct destination_country_iso3, signed_year
        from flows
        where direction = 'outbound'
    ) as outbound
    inner join fdi
        on outbound.destination_country_iso3 = fdi.country_iso3 and outbound.signed_year >= fdi.year
    group by outbound.destination_country_iso3, outbound.signed_year
),

-- the Sunday ending the latest complete ISO week of the build (as mart_weekly_indicators counts weeks): the
-- leadership dashboard's and the weekly report's "top parks" cover the months of its year up to its month
latest_week as (
    select max(dates.week_end) as week_end
    from {{ ref('dim_date') }} as dates
    cross join {{ ref('int_as_of') }} as as_of
    where dates.week_end <= as_of.as_of_date
),

described as (
    select
        flows.direction,
        flows.origin_country_iso3,
        flows.committee,
        flows.origin_province_adcode,
        flows.park_id,
        flows.park_province_adcode,
        flows.destination_country_iso3,
        flows.cluster_code,
        flows.signed_month,
        flows.projects,
        flows.contracted_cny,
        flows.contracted_usd,
        flows.paid_in_cny,
        flows.paid_in_usd,
        flows.paid_in_cny_at_contract_rate,
        flows.paid_in_cny_at_contract_rate / nullif(flows.contracted_cny, 0) as paid_in_ratio,
        flows.construction_started_projects,
        flows.in_production_projects,
        cast(flows.construction_started_projects as double precision) / flows.projects as start_rate,
        cast(flows.in_production_projects as double precision) / flows.projects as production_rate,
        flows.median_days_signed_to_started,
        flows.median_days_started_to_producing,
        fdi.value as destination_fdi_net_inflows_usd,
        fdi_year.fdi_year as destination_fdi_year,
        flows.data_origin,
        -- the corridor's two ends as the dashboard's Sankey draws them, and the park's and the cluster's names
        coalesce(flows.committee, flows.origin_country_iso3, 'domestic') as origin_region,
        case
            when flows.direction = 'outbound' then 'overseas: ' || coalesce(flows.destination_country_iso3, '?')
            else coalesce(parks.province_name_en, parks.province_name, flows.park_province_adcode, '?')
        end as destination_region,
        parks.zone_name,
        parks.province_name,
        parks.level,
        parks.zone_type_en,
        clusters.cluster_name_en,
        -- in Chinese, as the leadership dashboard filters by committee; and the period its "top parks" covers
        clusters.cluster_name_cn,
        coalesce(committees.committee_name_cn, '无委员会') as committee_name_cn,
        flows.signed_month >= cast({{ dbt.date_trunc('year', 'latest_week.week_end') }} as date)
        and flows.signed_month <= latest_week.week_end as in_latest_week_year,
        {{ label_cn('direction', 'flows.direction') }} as direction_cn,
        -- the corridor's two ends in Chinese (macros/labels.sql)
        {{ corridor_ends('cn') }},
        parks.level_cn,
        -- whether the signing month is mature for each rate (fct_investment_project, macros/maturity.sql)
        flows.is_cohort_mature_for_start,
        flows.is_cohort_mature_for_production,
        flows.is_cohort_mature_for_paid_in,
        {{ lookup(ref('zone_types'), 'zone_type', 'zone_type_cn', 'parks.zone_type') }} as zone_type_cn,
        -- in English, for the dashboards' English versions: the same names and ends (Domestic, Overseas: <country>)
        parks.province_name_en,
        coalesce(committees.committee_name_en, 'No committee') as committee_name_en,
        {{ label_en('direction', 'flows.direction') }} as direction_en,
        {{ corridor_ends('en') }},
        parks.level_en
    from flows
    left join {{ ref('dim_park') }} as parks
        on flows.park_id = parks.park_id
    left join {{ ref('dim_cluster') }} as clusters
        on flows.cluster_code = clusters.cluster_code
    left join {{ ref('committees') }} as committees
        on flows.committee = committees.committee_code
    left join {{ ref('dim_region') }} as origin_country
        on origin_country.region_type = 'country' and flows.origin_country_iso3 = origin_country.code
    left join {{ ref('dim_region') }} as destination_country
        on destination_country.region_type = 'country' and flows.destination_country_iso3 = destination_country.code
    cross join latest_week
    left join fdi_year
        on
            flows.direction = 'outbound'
            and flows.destination_country_iso3 = fdi_year.destination_country_iso3
            and flows.signed_year = fdi_year.signed_year
    left join fdi
        on fdi_year.destination_country_iso3 = fdi.country_iso3 and fdi_year.fdi_year = fdi.year
),

-- the corridors (origin_region_cn -> destination_region_cn) ranked by contracted dollars over every month: the
-- Sankey names the destinations of the top 10 and draws every other corridor into 其他目的地, so that its
-- labels stay readable (the origins, a committee or 国内, are few and all drawn)
corridors as (
    select
        origin_region_cn,
        destination_region_cn,
        row_number() over (
            order by {{ exact_sum('contracted_usd') }} desc nulls last, origin_region_cn, destination_region_cn
        ) as corridor_rank
    from described
    group by origin_region_cn, destination_region_cn
)

select
    described.*,
    corridors.corridor_rank,
    case when corridors.corridor_rank <= 10 then described.destination_region_cn else '其他目的地' end
        as corridor_target_cn,
    case when corridors.corridor_rank <= 10 then described.destination_region_en else 'Other destinations' end
        as corridor_target_en
from described
inner join corridors
    on
        described.origin_region_cn = corridors.origin_region_cn
        and described.destination_region_cn = corridors.destination_region_cn
