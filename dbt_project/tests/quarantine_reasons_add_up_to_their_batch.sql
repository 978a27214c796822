{#- Every batch's quarantined rows, counted by reason in mart_quarantine_batches, add up to the rows
    its reconciliation says it quarantined: no reason lost, none invented. -#}
select b.batch_id, b.quarantined_rows, coalesce(sum(q.quarantined_rows), 0) as by_reason
from {{ ref('stg_landing__batches') }} as b
left join {{ ref('mart_quarantine_batches') }} as q on b.batch_id = q.batch_id
group by b.batch_id, b.quarantined_rows
having b.quarantined_rows <> coalesce(sum(q.quarantined_rows), 0)
