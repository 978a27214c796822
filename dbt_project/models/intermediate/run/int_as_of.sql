-- The date the build describes: the newest logical date among the batches loaded (the transform
-- loads batches up to its logical date), so marts that age things (stalled deals, the last complete
-- week) give the same answer whenever the same run is rebuilt.
select max(logical_date) as as_of_date
from {{ ref('stg_landing__batches') }}
