{#- The CRM's ledger of paid-in funds (到位资金): one row per payment, in its latest landed version, with
    the month it arrived, its amount in the contract's currency and in yuan and US dollars at the
    average rate of its payment year (int_crm__payments_current), and the project's corridor (park,
    direction, origin, committee, cluster; null when the project itself was quarantined at landing).
    The weekly, monthly and year-to-date paid-in figures are sums of this table by payment date. -#}

select
    payments.payment_id,
    payments.project_id,
    payments.payment_date,
    cast(date_trunc('month', payments.payment_date) as date) as payment_month,
    payments.fx_year,
    payments.currency,
    payments.amount,
    payments.fx_rate_year_used,
    payments.cny_per_unit,
    payments.amount_cny,
    payments.amount_usd,
    projects.park_id,
    projects.direction,
    projects.origin_country_iso3,
    projects.committee,
    projects.cluster_code,
    payments.data_origin,
    payments.created_at,
    payments.updated_at,
    payments.batch_id
from {{ ref('int_crm__payments_current') }} as payments
left join {{ ref('fct_investment_project') }} as projects
    on payments.project_id = projects.project_id
