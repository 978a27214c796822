-- A project's paid-in to date is the sum of its payments in the CRM's ledger (in the contract's
-- currency), in the contract's currency exactly and in yuan and dollars up to rounding: fails on every
-- project of fct_investment_project whose figures differ from the sums of fct_paid_in_payment.
with ledger as (
    select
        payments.project_id,
        sum(payments.amount) as ledger_amount,
        sum(payments.amount_cny) as ledger_cny,
        sum(payments.amount_usd) as ledger_usd
    from {{ ref('fct_paid_in_payment') }} as payments
    inner join {{ ref('fct_investment_project') }} as projects
        on payments.project_id = projects.project_id and payments.currency = projects.currency
    group by payments.project_id
)

select
    projects.project_id,
    projects.paid_in_amount,
    ledger.ledger_amount,
    projects.paid_in_cny,
    ledger.ledger_cny,
    projects.paid_in_usd,
    ledger.ledger_usd
from {{ ref('fct_investment_project') }} as projects
left join ledger
    on projects.project_id = ledger.project_id
where
    projects.paid_in_amount <> coalesce(ledger.ledger_amount, 0)
    or abs(projects.paid_in_cny - coalesce(ledger.ledger_cny, 0)) > 1e-9 * abs(projects.paid_in_cny) + 1e-6
    or abs(projects.paid_in_usd - coalesce(ledger.ledger_usd, 0)) > 1e-9 * abs(projects.paid_in_usd) + 1e-6
