select
    credit_code,
    enterprise_name,
    park_code,
    industry_code,
    ownership,
    cast(established_date as date) as established_date,
    cast(employees as bigint) as employees,
    cast(revenue_cny as double precision) as revenue_cny,
    is_high_tech,
    period,
    data_origin,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'park_submissions') }}
