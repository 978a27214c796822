-- One row per enterprise and reporting period (a month, a quarter or a year, each kept as such). Of the
-- current files (int_submission_rows_current), the newest batch of a period wins, then the first file
-- and line (as at landing).
with ranked as (
    select
        *,
        row_number() over (
            partition by credit_code, period
            order by batch_id desc, source_file asc, source_row asc
        ) as period_rank
    from {{ ref('int_submission_rows_current') }}
)

select
    credit_code,
    period,
    period_kind,
    period_start,
    period_end,
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
