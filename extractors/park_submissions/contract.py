"""The park submissions' table in the warehouse: one row per enterprise and reporting period."""

from __future__ import annotations

from parkplatform.contracts import Contract, Rule
from parkplatform.receipts import PERIOD_KINDS

OWNERSHIP = ("foreign", "hk_macao_taiwan", "private", "state")
INCUBATION_STAGES = ("incubator", "accelerator", "industrialisation_base", "none")
ENTERPRISE_STATUSES = ("operating", "suspended", "closed", "moved_out")
ENTERPRISE_DOMAINS = {
    "ownership": list(OWNERSHIP),
    "incubation_stage": list(INCUBATION_STAGES),
    "operating_status": list(ENTERPRISE_STATUSES),
}

CONTRACTS = (
    Contract(
        "raw.park_submissions",
        "credit_code text, enterprise_name text, park_code text, industry_code text, ownership text, "
        "established_date date, employees integer, revenue_cny double, is_high_tech boolean, tax_cny double, "
        "rnd_cny double, origin_country_iso3 text, incubation_stage text, operating_status text, period text, "
        "period_kind text, period_start date, period_end date, receipt_id text, data_origin text",
        key=("credit_code", "period"),
        # who the enterprise is, where and when; every figure and attribute may be missing (offices send
        # what their own form has: employees or revenue at least, checked when landing)
        required=("credit_code", "enterprise_name", "park_code", "period", "period_kind", "period_start", "period_end"),
        domains=ENTERPRISE_DOMAINS | {"period_kind": list(PERIOD_KINDS)},
        non_negative=("employees", "revenue_cny", "tax_cny", "rnd_cny"),
        not_future=("established_date",),
        source="park_submissions",
        lineage=True,
        rules=(Rule("length", "credit_code", value=18),),
    ),
)
