-- The industrial clusters of DESIGN.md section 4, as the keyword seed defines them.
select
    cluster_code,
    min(cluster_name_cn) as cluster_name_cn,
    min(cluster_name_en) as cluster_name_en,
    count(*) as keywords
from {{ ref('cluster_keywords') }}
group by cluster_code
