{#- Each payment of the CRM's ledger of paid-in funds in its latest landed version (newest updated_at,
    then newest batch), converted to yuan and US dollars at the average rate of its payment year
    (macros/currency.sql, the rule the contracts convert by): money counts at the rate of the year it
    arrived. -#}

with ranked as (
    select
        *,
        row_number() over (partition by payment_id order by updated_at desc, batch_id desc) as version_rank
    from {{ ref('stg_crm__payments') }}
),

payments as (
    select
        payment_id,
        project_id,
        payment_date,
        cast(extract(year from payment_date) as integer) as fx_year,
        currency,
        amount,
        created_at,
        updated_at,
        data_origin,
        batch_id,
        source_file,
        source_row
    from ranked
    where version_rank = 1
),

converted as (
    select
        payments.*,
        fx.rate_year_used as fx_rate_year_used,
        {{ cny_per_unit('payments.currency') }} as cny_per_unit,
        fx.cny_per_usd
    from payments
    {{ fx_rates_join('payments.currency', 'payments.fx_year') }}
)

select
    payment_id,
    project_id,
    payment_date,
    fx_year,
    currency,
    amount,
    fx_rate_year_used,
    cny_per_unit,
    {{ to_cny('amount', 'cny_per_unit') }} as amount_cny,
    {{ to_usd('amount', 'currency', 'cny_per_unit', 'cny_per_usd') }} as amount_usd,
    created_at,
    updated_at,
    data_origin,
    batch_id,
    source_file,
    source_row
from converted
