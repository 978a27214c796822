select
    payment_id,
    project_id,
    cast(payment_date as date) as payment_date,
    cast(amount as decimal(20, 2)) as amount,
    currency,
    created_at,
    updated_at,
    data_origin,
    _batch_id as batch_id,
    _source_file as source_file,
    _source_row as source_row
from {{ source('raw', 'crm_payments') }}
