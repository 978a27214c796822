-- Enterprise × reporting period: headcount at the period's end and revenue, tax and R&D spending of
-- the 12 months to it, with the park and the cluster of the enterprise's GB/T 4754 class. A period is a
-- month, a quarter or a year as the office reported it (period_kind); none is split or added to another.
select
    periods.credit_code,
    periods.period,
    periods.period_kind,
    periods.period_start,
    periods.period_end,
    cast(extract(year from periods.period_end) as integer) as period_year,
    park.park_id,
    periods.industry_code,
    classes.cluster_code,
    periods.employees,
    periods.revenue_cny,
    periods.is_high_tech,
    periods.tax_cny,
    periods.rnd_cny,
    periods.data_origin,
    periods.batch_id
from {{ ref('int_enterprise_periods') }} as periods
inner join {{ ref('dim_park') }} as park
    on periods.park_code = park.zone_code
left join {{ ref('cluster_industry_classes') }} as classes
    on periods.industry_code = classes.industry_code
