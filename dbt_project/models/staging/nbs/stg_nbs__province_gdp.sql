select
    province_adcode,
    province_name_en,
    cast(year as integer) as year,
    cast(gdp_cny as double precision) as gdp_cny,
    cast(gdp_100m_cny as decimal(38, 6)) as gdp_100m_cny,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'nbs_province_gdp') }}
