select
    enterprises.credit_code,
    enterprises.enterprise_name,
    park.park_id,
    enterprises.park_code,
    enterprises.industry_code,
    enterprises.ownership,
    enterprises.established_date,
    enterprises.employees,
    enterprises.revenue_cny,
    enterprises.is_high_tech,
    enterprises.origin_country_iso3,
    enterprises.incubation_stage,
    enterprises.operating_status,
    enterprises.data_origin,
    {{ label_cn('incubation_stage', 'enterprises.incubation_stage') }} as incubation_stage_cn,
    {{ label_en('incubation_stage', 'enterprises.incubation_stage') }} as incubation_stage_en
from {{ ref('int_enterprises_deduplicated') }} as enterprises
inner join {{ ref('dim_park') }} as park
    on enterprises.park_code = park.zone_code
