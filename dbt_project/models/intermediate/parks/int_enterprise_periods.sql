-- One row per enterprise and reporting period. Weekly runs within a month land the same period
-- again: the newest batch of a period wins, then the first file and line (as at landing).
with ranked as (
    select
        *,
        row_number() over (
            partition by credit_code, period
            order by batch_id desc, source_file asc, source_row asc
        ) as period_rank
    from {{ ref('stg_park_submissions__enterprises') }}
)

select
    credit_code,
    period,
    park_code,
    industry_code,
    employees,
    revenue_cny,
    is_high_tech,
    tax_cny,
    rnd_cny,
    data_origin,
    batch_id
from ranked
where period_rank = 1
