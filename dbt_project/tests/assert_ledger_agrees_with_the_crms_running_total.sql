{{ config(severity='warn') }}
-- The CRM keeps a running total of paid-in on the project's row (paid_in_amount of
-- int_crm__projects_current) beside its ledger of payments. The platform counts paid-in from the ledger
-- (fct_investment_project.paid_in_amount); this lists the projects whose two records disagree, as when
-- a payment was quarantined at landing or the projects and the payments landed up to different times
-- (a warning: the ledger's figure is published either way).
select
    projects.project_id,
    crm.paid_in_amount as crm_running_total,
    projects.paid_in_amount as ledger_paid_in_amount
from {{ ref('fct_investment_project') }} as projects
inner join {{ ref('int_crm__projects_current') }} as crm
    on projects.project_id = crm.project_id
where crm.paid_in_amount <> projects.paid_in_amount
