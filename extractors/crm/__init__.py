"""The alliance CRM: one operational system, three sources (investment projects, the matchmaking log, the
payment ledger of paid-in funds)."""

from extractors.crm.contract import (
    EVENTS_CONTRACT,
    PAYMENTS_CONTRACT,
    PROJECTS_CONTRACT,
    SOURCE_EVENTS,
    SOURCE_PAYMENTS,
    SOURCE_PROJECTS,
)
from parkplatform.sources import SourceSpec

PROJECTS = SourceSpec(
    name=SOURCE_PROJECTS,
    schedule="@daily",
    incremental=True,
    description="The alliance CRM's investment projects (generated in the demo: no public data), read from "
    "PostgreSQL (PARK_CRM_DSN) or its CSV exports, incrementally: the projects created or changed since the "
    "previous batch's updated_at watermark.",
    extract="extractors.crm.extract:extract_projects",
    normalise="extractors.crm.normalise:normalise_projects",
    contracts=(PROJECTS_CONTRACT,),
)
MATCH_EVENTS = SourceSpec(
    name=SOURCE_EVENTS,
    schedule="@daily",
    incremental=True,
    description="The matchmaking event log (generated in the demo), read from PostgreSQL (PARK_CRM_DSN) or its "
    "JSON-lines exports, incrementally by updated_at; stage order checked against the match's earlier events.",
    extract="extractors.crm.extract:extract_match_events",
    normalise="extractors.crm.normalise:normalise_match_events",
    contracts=(EVENTS_CONTRACT,),
)
PAYMENTS = SourceSpec(
    name=SOURCE_PAYMENTS,
    schedule="@daily",
    incremental=True,
    description="The CRM's payment ledger of paid-in funds (到位资金: project, payment date, amount in the "
    "contract's currency; generated in the demo), read from PostgreSQL (PARK_CRM_DSN) or its CSV exports, "
    "incrementally by updated_at: the payments recorded since the previous batch.",
    extract="extractors.crm.extract:extract_payments",
    normalise="extractors.crm.normalise:normalise_payments",
    contracts=(PAYMENTS_CONTRACT,),
)
