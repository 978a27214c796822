-- One row per catalogue code the CRM writes (park_code): the park (dim_park.park_id) it stands for.
-- The 2018 catalogue gives one code to two zones (S377018); a CRM row written with such a code cannot
-- say which zone it means, so the code resolves to the first of its parks (park_id order) and is
-- flagged park_code_ambiguous.
select
    zone_code as park_code,
    min(park_id) as park_id,
    count(*) > 1 as park_code_ambiguous
from {{ ref('stg_park_registry__zones') }}
group by zone_code
