-- One row per file received into the inbox and what became of it. The outcome, in this order:
-- superseded (a newer file for the same park and period came, or a file in review was released by
-- sending it again with its park), sent for review (its park did not resolve), rejected whole at
-- landing (file_error), landed (its rows landed or were quarantined one by one), or still waiting for
-- the next extract.
with zone_names as (
    -- a code the catalogue gives to several zones names none of them: it never resolves, so never joins
    select
        zone_code,
        min(zone_name) as park_name,
        min(province_name) as province_name
    from {{ ref('dim_park') }}
    where in_catalogue
    group by zone_code
),

receipts_outcomes as (
    select
        receipts.receipt_id,
        receipts.source,
        receipts.period,
        receipts.period_kind,
        receipts.period_start,
        receipts.period_end,
        receipts.park_as_sent,
        receipts.park_code,
        zone_names.park_name,
        zone_names.province_name,
        receipts.original_name,
        receipts.sender,
        receipts.received_at,
        receipts.size_bytes,
        receipts.sha256,
        receipts.generated,
        case
            when receipts.superseded_by is not null then 'superseded'
            when receipts.receipt_status = 'review' then 'review'
            when receipts.file_error is not null then 'rejected'
            when receipts.batch_id is not null then 'landed'
            else 'waiting'
        end as outcome,
        coalesce(receipts.review_reason, receipts.file_error) as outcome_reason,
        receipts.superseded_by,
        receipts.batch_id,
        receipts.rows_received,
        receipts.rows_landed,
        receipts.rows_quarantined
    from {{ ref('stg_intake__receipts') }} as receipts
    left join zone_names
        on receipts.park_code = zone_names.zone_code
)

-- the outcome in Chinese, what the data-quality dashboard shows, and in English, for its English version
select
    receipts_outcomes.*,
    {{ label_cn('intake_outcome', 'receipts_outcomes.outcome') }} as outcome_cn,
    {{ label_en('intake_outcome', 'receipts_outcomes.outcome') }} as outcome_en
from receipts_outcomes
