select
    code as industry_code,
    name as industry_name,
    isic_code,
    isic_name,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'reference_tables') }}
where reference_table = 'gbt4754_2017_isic4'
