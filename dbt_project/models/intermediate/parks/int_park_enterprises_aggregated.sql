select
    park_code,
    count(*) as enterprises,
    sum(employees) as employees,
    {{ ordered_sum('revenue_cny') }} as revenue_cny,
    sum(case when is_high_tech then 1 else 0 end) as high_tech_enterprises
from {{ ref('int_enterprises_deduplicated') }}
group by park_code
