-- The clusters a zone declares: a cluster counts once per zone however many of its terms map to it.
select
    park_id,
    cluster_code,
    count(*) as declared_terms,
    min(position) as first_position
from {{ ref('stg_park_registry__industries') }}
where cluster_code is not null
group by park_id, cluster_code
