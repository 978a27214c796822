select
    park_id,
    cast(position as integer) as position,
    industry_term,
    cluster_code
from {{ source('raw', 'park_registry_industries') }}
