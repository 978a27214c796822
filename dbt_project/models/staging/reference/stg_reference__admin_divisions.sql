select
    code as division_code,
    adcode,
    name as division_name,
    level,
    parent_code,
    province_code,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'reference_tables') }}
where reference_table = 'gbt2260_admin_divisions'
