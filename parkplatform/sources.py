"""The platform's sources and how often each is pulled (light: DAG files import this at parse time).

Sources with ``requires_reference`` read the reference folder (``PARK_REFERENCE_DIR``): the NBS export
and the reference tables read their files there, and World Bank WDI, which needs the internet in
production, is served offline (demo, tests, CI) from its copy there by a loopback mirror. The park
registry reads its catalogue there too. Without the real reference data, ``PARK_REFERENCE_DIR`` points
at a generated folder in the same layouts (``python -m simulators.reference``) and every source runs.
Without any reference folder nothing can be extracted (the extractors say which variable to set); a
transform run then loads these three sources as empty tables with their columns.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceSpec:
    """A source: its extractor (``module.function(settings, logical_date)`` lands one batch), how often
    it is pulled, and how the transform reads its batches: a snapshot source is read from its newest
    batch; an ``incremental`` one adds to what its earlier batches landed (the records changed since
    the previous batch, or a new reporting period), so the transform reads every batch up to the
    logical date and dbt keeps the latest version of each record (or period)."""

    name: str
    module: str
    schedule: str
    description: str
    requires_reference: bool = False
    incremental: bool = False
    function: str = "extract"

    @property
    def dag_id(self) -> str:
        return f"extract_{self.name}"

    @property
    def asset_name(self) -> str:
        return f"landing.{self.name}"


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="park_registry",
        module="extractors.park_registry",
        schedule="@weekly",
        description="China Development Zone Audit Catalogue 2018 (2,543 zones), read from "
        "PARK_REFERENCE_DIR/parks (labelled generated when that folder was written by simulators.reference).",
    ),
    SourceSpec(
        name="park_submissions",
        module="extractors.park_submissions",
        schedule="@weekly",
        incremental=True,
        description="Park offices' spreadsheets of the enterprises in their parks (generated: no public data).",
    ),
    SourceSpec(
        name="alliance_members",
        module="extractors.alliance_members",
        schedule="@weekly",
        description="The alliance's member list (CRM export, generated: no public data), matched to the "
        "catalogue by code, then by normalised name and province, else kept as alliance-only parks.",
    ),
    SourceSpec(
        name="crm_projects",
        module="extractors.crm",
        function="extract_projects",
        schedule="@daily",
        incremental=True,
        description="The alliance CRM's investment projects (generated: no public data), read from PostgreSQL "
        "(PARK_CRM_DSN) or its CSV exports, incrementally: the projects created or changed since the previous "
        "batch's updated_at watermark.",
    ),
    SourceSpec(
        name="crm_match_events",
        module="extractors.crm",
        function="extract_match_events",
        schedule="@daily",
        incremental=True,
        description="The matchmaking event log (generated), read from PostgreSQL (PARK_CRM_DSN) or its JSON-lines "
        "exports, incrementally by updated_at; stage order checked against the match's earlier events.",
    ),
    SourceSpec(
        name="world_bank",
        module="extractors.world_bank",
        schedule="@weekly",
        description="World Bank World Development Indicators (API v2): GDP, GDP growth, GDP per capita, "
        "population, FDI net inflows and the CNY/USD rate, every country and aggregate, 2000 to the logical "
        "date's year. PARK_WDI_BASE_URL sets the API; `make demo` serves it on loopback from "
        "PARK_REFERENCE_DIR/world/wdi.",
        requires_reference=True,
    ),
    SourceSpec(
        name="nbs_province_gdp",
        module="extractors.nbs_province_gdp",
        schedule="@monthly",
        description="NBS 'Annual by Province' export of Gross Regional Product (31 provinces x 20 years, "
        "in yuan), read from PARK_REFERENCE_DIR/china/province_gdp_annual.xls (else .xlsx).",
        requires_reference=True,
    ),
    SourceSpec(
        name="reference_tables",
        module="extractors.reference_tables",
        schedule="@monthly",
        description="GB/T 2260 administrative divisions, GB/T 4754-2017 industry classes and their ISIC Rev.4 "
        "crosswalk, and the ISO 3166 countries with their UN M49 regions and currencies, read from "
        "PARK_REFERENCE_DIR/admin_divisions, PARK_REFERENCE_DIR/industry and PARK_REFERENCE_DIR/world "
        "(the standards change rarely: a monthly pull re-lands the same rows).",
        requires_reference=True,
    ),
)
SOURCES_BY_NAME = {spec.name: spec for spec in SOURCES}


def runnable_sources(has_reference: bool) -> tuple[SourceSpec, ...]:
    """The sources a run extracts: all of them with a reference folder, else those not requiring one."""
    return tuple(spec for spec in SOURCES if has_reference or not spec.requires_reference)


def skipped_sources(has_reference: bool) -> tuple[SourceSpec, ...]:
    """The sources a run without a reference folder does not extract (loaded as empty tables)."""
    return tuple(spec for spec in SOURCES if spec not in runnable_sources(has_reference))
