select
    source,
    batch_id,
    cast(logical_date as date) as logical_date,
    loaded_at,
    cast(received as bigint) as received_rows,
    cast(landed as bigint) as landed_rows,
    cast(quarantined as bigint) as quarantined_rows
from {{ source('raw', 'landing_batches') }}
