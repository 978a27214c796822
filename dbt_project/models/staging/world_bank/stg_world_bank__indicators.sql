select
    indicator_id as indicator_code,
    indicator_name,
    country_iso3,
    country_name,
    cast(year as integer) as year,
    cast(value as double precision) as value,
    unit,
    obs_status,
    cast(decimals as integer) as decimals,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'world_bank') }}
