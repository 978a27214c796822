"""The alliance CRM: one operational system, two sources (investment projects, the matchmaking log)."""

from extractors.crm.contract import EVENTS_CONTRACT, PROJECTS_CONTRACT, SOURCE_EVENTS, SOURCE_PROJECTS
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
