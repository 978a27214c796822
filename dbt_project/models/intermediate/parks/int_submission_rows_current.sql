-- The landed submission rows of the files that are current: a file resubmitted for the same park and
-- period is superseded by the newer one, whose rows alone count (the earlier rows stay landed, and in
-- stg_park_submissions__enterprises, for the record). Rows landed before the inbox kept receipts have no
-- receipt and count as current.
select submissions.*
from {{ ref('stg_park_submissions__enterprises') }} as submissions
left join {{ ref('stg_intake__receipts') }} as receipts
    on submissions.receipt_id = receipts.receipt_id
where receipts.superseded_by is null
