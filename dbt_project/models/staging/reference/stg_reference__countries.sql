select
    code as country_iso3,
    name as country_name_en,
    name_cn as country_name_cn,
    m49_code,
    un_region,
    un_sub_region,
    un_intermediate_region,
    currency_codes,
    case when currency_codes not like '%,%' then currency_codes end as currency_code,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'reference_tables') }}
where reference_table = 'iso3166_countries'
