-- Province × cluster × year: the cluster indicators of DESIGN.md section 5 (macro
-- cluster_indicators) with the parks' enterprises summed per province.
with enterprise_years as (
    select years.*, park.province_adcode
    from {{ ref('int_enterprise_years') }} as years
    inner join {{ ref('dim_park') }} as park
        on years.park_id = park.park_id
    where park.province_adcode is not null
),

cluster_rows as (
    select
        province_adcode as geo_id,
        cluster_code,
        year,
        {{ cluster_measures() }}
    from enterprise_years
    where cluster_code is not null
    group by province_adcode, cluster_code, year
),

geo_totals as (
    select province_adcode as geo_id, year, sum(employees) as employment
    from enterprise_years
    group by province_adcode, year
),

{{ cluster_indicators('cluster_rows', 'geo_totals') }}

select
    indicators.geo_id as province_adcode,
    indicators.cluster_code,
    indicators.year,
    indicators.enterprises,
    indicators.employment,
    indicators.revenue_cny,
    indicators.high_tech_share,
    indicators.tax_cny,
    indicators.rnd_intensity,
    indicators.geo_employment as province_employment,
    indicators.employment_share,
    indicators.location_quotient,
    indicators.hhi,
    indicators.cluster_tier,
    indicators.employment_growth,
    indicators.revenue_growth
from indicators
