-- Which clusters each zone declares (through its 主导产业 and the keyword seed).
select
    park_id,
    cluster_code,
    declared_terms,
    first_position
from {{ ref('int_park_declared_clusters') }}
