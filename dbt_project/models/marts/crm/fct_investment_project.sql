{#- One row per investment project of the alliance CRM, in its current version: where it comes from
    and goes to, its cluster and sourcing committee, the contracted amount in its currency and
    converted to CNY and USD, paid-in funds (到位资金) to date from the payment ledger, 到位率, and the
    stage dates with the delays between them.

    Contract conversion (macros/currency.sql, the contract of int_fx_rates_yearly): the yearly average
    rate of the signing year, or of the intention year for a project not signed yet; CNY = amount x
    cny_per_unit, USD = CNY / cny_per_usd. An amount in CNY is its own CNY amount, one in USD its own USD
    amount (exact). Without WDI rates (a run without PARK_REFERENCE_DIR) the conversions that need a
    rate are null.

    Paid-in to date is the sum of the project's payments in the CRM's ledger (int_crm__payments_current)
    in the contract's currency (a payment in another currency is left out here and reported by the test
    assert_payments_in_their_contracts_currency). Its yuan and dollar amounts add each payment converted
    at the rate of its payment year (money counts at the rate of the year it arrived), so they can
    differ from paid_in_amount x cny_per_unit; 到位率 (paid_in_ratio) compares amounts in one currency,
    the contract's, so a fully paid contract reads exactly 1. -#}

with projects as (
    select
        *,
        cast(extract(year from coalesce(signed_date, intention_date)) as integer) as fx_year
    from {{ ref('int_crm__projects_current') }}
),

converted as (
    select
        projects.*,
        fx.rate_year_used as fx_rate_year_used,
        {{ cny_per_unit('projects.currency') }} as cny_per_unit,
        fx.cny_per_usd
    from projects
    {{ fx_rates_join('projects.currency', 'projects.fx_year') }}
),

ledger as (
    select
        payments.project_id,
        count(*) as payments,
        sum(payments.amount) as paid_in_amount,
        {{ exact_sum('payments.amount_cny') }} as paid_in_cny,
        {{ exact_sum('payments.amount_usd') }} as paid_in_usd,
        max(payments.payment_date) as last_payment_date
    from {{ ref('int_crm__payments_current') }} as payments
    inner join projects
        on payments.project_id = projects.project_id and payments.currency = projects.currency
    group by payments.project_id
),

with_ledger as (
    select
        converted.*,
        cast(coalesce(ledger.paid_in_amount, 0) as decimal(20, 2)) as paid_in_amount_to_date,
        case when ledger.project_id is null then 0.0 else ledger.paid_in_cny end as paid_in_cny,
        case when ledger.project_id is null then 0.0 else ledger.paid_in_usd end as paid_in_usd,
        coalesce(ledger.payments, 0) as payments,
        ledger.last_payment_date
    from converted
    left join ledger
        on converted.project_id = ledger.project_id
),

facts as (
    select
        projects.project_id,
        projects.project_name,
        projects.investor_name,
        projects.park_code,
        parks.park_id,
        projects.direction,
        projects.origin_country_iso3,
        projects.origin_province_adcode,
        projects.destination_country_iso3,
        projects.cluster_code,
        projects.committee,
        projects.currency,
        projects.contracted_amount,
        projects.fx_year,
        projects.fx_rate_year_used,
        projects.cny_per_unit,
        {{ to_cny('projects.contracted_amount', 'projects.cny_per_unit') }} as contracted_cny,
        {{ to_usd('projects.contracted_amount', 'projects.currency', 'projects.cny_per_unit', 'projects.cny_per_usd') }}
            as contracted_usd,
        projects.paid_in_amount_to_date as paid_in_amount,
        projects.paid_in_cny,
        projects.paid_in_usd,
        cast(projects.paid_in_amount_to_date as double precision)
        / nullif(cast(projects.contracted_amount as double precision), 0) as paid_in_ratio,
        cast(projects.payments as integer) as payments,
        projects.last_payment_date,
        projects.intention_date,
        projects.signed_date,
        projects.construction_started_date,
        projects.in_production_date,
        cast(date_trunc('month', projects.signed_date) as date) as signed_month,
        projects.signed_date is not null as is_signed,
        projects.construction_started_date is not null as is_construction_started,
        projects.in_production_date is not null as is_in_production,
        {{ days_between('projects.signed_date', 'projects.construction_started_date') }} as days_signed_to_started,
        {{ days_between('projects.construction_started_date', 'projects.in_production_date') }}
            as days_started_to_producing,
        projects.status,
        projects.data_origin,
        projects.created_at,
        projects.updated_at,
        projects.batch_id
    from with_ledger as projects
    left join {{ ref('int_crm__park_codes') }} as parks
        on projects.park_code = parks.park_code
),

-- the usual time from signing to each stage (macros/maturity.sql): 开工, 投产, and paid in full (到位率 100 %)
{%- set stage_days = {
    'to_start': 'facts.days_signed_to_started',
    'to_production': days_between('facts.signed_date', 'facts.in_production_date'),
    'to_paid_in': 'case when facts.paid_in_ratio >= 1 then '
        ~ days_between('facts.signed_date', 'facts.last_payment_date') ~ ' end',
} %}
first_estimate as (
    select {{ usual_days_to_stages(stage_days) }}
    from facts
),

usual_days as (
    select {{ usual_days_to_stages(stage_days, 'facts.signed_month', 'as_of.as_of_date', 'first_estimate') }}
    from facts
    cross join first_estimate
    cross join {{ ref('int_as_of') }} as as_of
)

select
    facts.*,
    {{ cohort_age_days('facts.signed_month', 'as_of.as_of_date') }} as signing_cohort_age_days,
    facts.is_signed and {{ is_cohort_mature('facts.signed_month', 'as_of.as_of_date', 'usual_days.to_start') }}
        as is_cohort_mature_for_start,
    facts.is_signed
    and {{ is_cohort_mature('facts.signed_month', 'as_of.as_of_date', 'usual_days.to_production') }}
        as is_cohort_mature_for_production,
    facts.is_signed and {{ is_cohort_mature('facts.signed_month', 'as_of.as_of_date', 'usual_days.to_paid_in') }}
        as is_cohort_mature_for_paid_in
from facts
cross join usual_days
cross join {{ ref('int_as_of') }} as as_of
