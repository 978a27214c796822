-- Each enterprise's figures for a year: its period ending latest in that year (headcount at that
-- period's end, revenue of the 12 months to it), so a year counts every enterprise once. Periods ending
-- on the same day (December, the fourth quarter, the year) report the same 12 months: the label decides.
with ranked as (
    select
        *,
        row_number() over (partition by credit_code, period_year order by period_end desc, period desc) as year_rank
    from {{ ref('fct_enterprise_period') }}
)

select
    credit_code,
    period_year as year,
    period,
    park_id,
    cluster_code,
    employees,
    revenue_cny,
    tax_cny,
    rnd_cny,
    is_high_tech
from ranked
where year_rank = 1
