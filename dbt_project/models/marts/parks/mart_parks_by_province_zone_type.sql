-- Catalogue zones and the enterprises they report, per province, approval level and zone type.
-- Enterprises of a zone code shared by two zones are quarantined at landing, so the join by
-- code cannot count an enterprise twice.
with parks as (
    select
        park.province_adcode,
        park.province_name,
        park.level,
        park.zone_type,
        park.approved_area_ha,
        coalesce(counts.enterprises, 0) as enterprises,
        coalesce(counts.employees, 0) as employees,
        coalesce(counts.revenue_cny, 0) as revenue_cny,
        case when counts.enterprises > 0 then 1 else 0 end as reports_enterprises
    from {{ ref('dim_park') }} as park
    left join {{ ref('int_park_enterprises_aggregated') }} as counts
        on park.zone_code = counts.park_code
    where park.in_catalogue
)

select
    province_adcode,
    province_name,
    level,
    zone_type,
    count(*) as parks,
    sum(reports_enterprises) as parks_reporting_enterprises,
    {{ exact_sum('approved_area_ha') }} as approved_area_ha,
    sum(enterprises) as enterprises,
    sum(employees) as employees,
    {{ ordered_sum('revenue_cny') }} as revenue_cny
from parks
group by province_adcode, province_name, level, zone_type
