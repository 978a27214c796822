select
    zones.park_id,
    zones.zone_code,
    zones.zone_code_clash,
    zones.zone_name,
    zones.level,
    zones.zone_type,
    zones.zone_type_cn,
    types.zone_type_en,
    provinces.province_adcode,
    coalesce(provinces.province_name_cn, zones.province_name) as province_name,
    provinces.province_name_en,
    zones.city_district,
    zones.approval_date,
    zones.approval_date_second,
    zones.approved_area_ha,
    zones.leading_industries,
    zones.longitude,
    zones.latitude,
    zones.formatted_address,
    zones.geocode_status,
    zones.data_origin
from {{ ref('stg_park_registry__zones') }} as zones
left join {{ ref('province_names') }} as provinces
    on zones.province_name = provinces.province_name_cn
left join {{ ref('zone_types') }} as types
    on zones.zone_type = types.zone_type
