{#- The quarantine report: per source, batch and reason, the rows kept in the batch's
    quarantined.parquet, beside the batch's reconciliation (parkplatform.reprocess re-processes a
    batch once its source is fixed). -#}
select
    q.source,
    q.batch_id,
    cast(q.logical_date as date) as logical_date,
    q.reason,
    cast(q.quarantined as bigint) as quarantined_rows,
    b.received_rows,
    b.quarantined_rows as batch_quarantined_rows,
    cast(q.quarantined as double precision) / nullif(b.received_rows, 0) as share_of_received,
    {{ label_cn('source', 'q.source') }} as source_cn,
    -- in English, for the dashboard's English version
    {{ label_en('source', 'q.source') }} as source_en
from {{ source('landing_reports', 'landing_quarantine') }} as q
inner join {{ ref('stg_landing__batches') }} as b on q.batch_id = b.batch_id
