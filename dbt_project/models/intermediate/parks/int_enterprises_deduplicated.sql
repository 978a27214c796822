-- One row per credit code, from the current files (int_submission_rows_current). A code submitted more
-- than once (two parks, or twice in one file)
-- keeps the row of the newest batch, then the first file and line in name order: the newest
-- submission is the best knowledge of where an enterprise sits now.
with ranked as (
    select
        *,
        row_number() over (
            partition by credit_code
            order by batch_id desc, source_file asc, source_row asc
        ) as submission_rank
    from {{ ref('int_submission_rows_current') }}
)

select
    credit_code,
    enterprise_name,
    park_code,
    industry_code,
    ownership,
    established_date,
    employees,
    revenue_cny,
    is_high_tech,
    origin_country_iso3,
    incubation_stage,
    operating_status,
    data_origin,
    batch_id,
    source_file,
    source_row
from ranked
where submission_rank = 1
