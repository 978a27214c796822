"""Expectation suites as code: one per landed table (``raw.<table>``), one per published table
(``main.<table>``) and one per cross-table reconciliation, with severity next to each check.

A landed table's contract is its source's (``extractors/<source>/contract.py``, read through
:func:`parkplatform.sources.source_contracts`); the published tables' contracts are declared here and
take their domains from the sources' contracts, so that a domain is written once.

``critical`` expectations block publishing; ``warning`` ones are reported and never block.

Each table is declared once as a :class:`Contract` (its columns with their types, key, required
columns, domains, ranges, dates that cannot lie after the run's ``as_of``); :func:`suites` expands the
contracts into GX expectations and adds what depends on the run: the row-count band against the last
published run, the freshness of every source and the reconciliations (difference tables that must be
empty, computed by :data:`RECONCILIATIONS` over the exported tables).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import great_expectations.expectations as gxe
import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.expectations.row_conditions import Column
from great_expectations.validator.metric_configuration import MetricConfiguration

from parkplatform.contracts import Contract as TableContract
from parkplatform.contracts import Rule, Severity
from parkplatform.sources import source_contracts

# the domains the sources validate and declare in their contracts (one source of truth)
_RAW = {contract.table: contract for contract in source_contracts()}
LEVELS = _RAW["raw.park_registry"].domains["level"]
PARK_LEVELS = [*LEVELS, "unlisted"]  # unlisted: an alliance member park the catalogue does not list
GEOCODE_QUALITY = _RAW["raw.park_registry"].domains["geocode_quality"]
COMMITTEES = _RAW["raw.alliance_member_committees"].domains["committee"]
DIRECTIONS = _RAW["raw.crm_projects"].domains["direction"]
CURRENCIES = _RAW["raw.crm_projects"].domains["currency"]
PROJECT_STATUS = _RAW["raw.crm_projects"].domains["status"]
CRM_ORIGIN = _RAW["raw.crm_projects"].domains["data_origin"]
STAGES = [stage for stage in _RAW["raw.crm_match_events"].domains["stage"] if stage != "lost"]  # the funnel
LOST_REASONS = _RAW["raw.crm_match_events"].domains["lost_reason"]
CHANNELS = _RAW["raw.crm_match_events"].domains["channel"]
MATCH_TYPES = _RAW["raw.crm_match_events"].domains["match_type"]
ENTERPRISE_DOMAINS = _RAW["raw.park_submissions"].domains
TIERS = ["strong", "significant", "emerging"]
# 229 of the catalogue's 2,543 zones (9%) have a suspect point: more than this means a new problem
SUSPECT_GEOCODE_SHARE = 0.12
SCHEDULE_DAYS = {"@daily": 1, "@weekly": 7, "@monthly": 31}

# How the gate reads the logical types of parkplatform.contracts from the type of each column as its validation
# database (DuckDB) sees it: the same for a DuckDB build and a PostgreSQL one exported to Parquet.
DUCKDB_LOGICAL_TYPES = (
    ("decimal", ("DECIMAL", "NUMERIC")),
    ("integer", ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT")),
    ("double", ("DOUBLE", "FLOAT", "REAL")),
    ("text", ("VARCHAR",)),
    ("boolean", ("BOOLEAN",)),
    ("timestamp", ("TIMESTAMP",)),
    ("date", ("DATE",)),
)  # fmt: skip


def logical_type(duckdb_type: str) -> str:
    """The logical type of a DuckDB column type (``DECIMAL(20,2)`` -> decimal), else the type itself."""
    base = duckdb_type.upper().split("(")[0].strip()
    for name, kinds in DUCKDB_LOGICAL_TYPES:
        if base in kinds or any(base.startswith(f"{kind} ") for kind in kinds):  # TIMESTAMP WITH TIME ZONE
            return name
    return duckdb_type.lower()


class TableLogicalColumnTypes(TableMetricProvider):
    """``table.logical_column_types``: each column's logical type, from DuckDB's own catalogue (the SQL
    reflection of the DuckDB driver cannot read column types of this DuckDB)."""

    metric_name = "table.logical_column_types"

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        batch_id = metric_domain_kwargs.get("batch_id") or execution_engine.batch_manager.active_batch_data_id
        table = execution_engine.batch_manager.batch_data_cache[batch_id].source_table_name
        rows = execution_engine.execute_query(
            sa.text(
                "select column_name, data_type from information_schema.columns "
                "where table_name = :table order by ordinal_position"
            ).bindparams(table=table)
        ).fetchall()
        return {name: logical_type(kind) for name, kind in rows}


class ExpectTableColumnsToHaveLogicalTypes(gxe.ExpectTableColumnsToMatchSet):
    """The table has exactly the columns of ``column_types`` (name -> type of :data:`LOGICAL_TYPES`;
    ``number``: integer, decimal or double), each of its type: one expectation per table, whose
    observed value names every column that differs (its type as found, ``missing`` or ``unexpected``).

    GX's own type check compares the engine's type names (``DECIMAL(20,2)``, ``VARCHAR``), which differ
    between engines and sizes; this one compares the columns' kinds, a table-level metric only.
    """

    column_types: dict[str, str]

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        metric_kwargs = get_metric_kwargs(
            metric_name=TableLogicalColumnTypes.metric_name,
            configuration=self.configuration,
            runtime_configuration=runtime_configuration,
        )
        dependencies.set_metric_configuration(
            metric_name=TableLogicalColumnTypes.metric_name,
            metric_configuration=MetricConfiguration(
                metric_name=TableLogicalColumnTypes.metric_name,
                metric_domain_kwargs=metric_kwargs["metric_domain_kwargs"],
                metric_value_kwargs=metric_kwargs["metric_value_kwargs"],
            ),
        )
        return dependencies

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        found = metrics[TableLogicalColumnTypes.metric_name]
        differences = {}
        for name, declared in self.column_types.items():
            accepted = {"integer", "decimal", "double"} if declared == "number" else {declared}
            if found.get(name, "missing") not in accepted:
                differences[name] = found.get(name, "missing")
        differences |= {name: "unexpected" for name in found if name not in self.column_types}
        return {"success": not differences, "result": {"observed_value": differences or "as declared"}}


@dataclass(frozen=True)
class Check:
    expectation: gxe.Expectation
    severity: Severity = "critical"


@dataclass(frozen=True)
class Contract(TableContract):
    """A table's contract as the gate declares it: the shared declaration, plus Great Expectations checks
    beyond its rules (``extra``) where a rule cannot say it."""

    extra: tuple[Check, ...] = ()


def contracts() -> list[Contract]:
    """The landing's bookkeeping tables' and every published table's contract (the landed tables' are the
    sources'). Built on call: GX expectations are mutable."""
    crm_origin = {"data_origin": CRM_ORIGIN}
    return [
        # ---- the landing's bookkeeping (schema raw of the build) ----
        Contract(
            "raw.landing_batches",
            "source text, batch_id text, logical_date text, loaded_at text, received integer, landed integer, "
            "quarantined integer",
            key=("batch_id",),
            required=("source", "logical_date", "received", "landed", "quarantined"),
            non_negative=("received", "landed", "quarantined"),
        ),
        Contract(
            "raw.landing_quarantine",
            "source text, batch_id text, logical_date text, reason text, quarantined integer",
            key=("batch_id", "reason"),
            required=("source", "batch_id", "reason", "quarantined"),
            non_negative=("quarantined",),
            non_empty=False,  # a load without a rejected row
        ),
        # ---- published tables (schema main) ----
        Contract(
            "main.dim_park",
            "park_id text, zone_code text, zone_code_clash boolean, zone_name text, in_catalogue boolean, level text, "
            "zone_type text, zone_type_cn text, province_adcode text, province_name text, province_name_en text, "
            "city_district text, country_iso3 text, approval_date date, approval_date_second date, "
            "approved_area_ha double, leading_industries text, declared_clusters text, declared_cluster_count integer, "
            "longitude double, latitude double, formatted_address text, geocode_status text, geocode_quality text, "
            "geocode_shared_point boolean, geocode_province_mismatch boolean, typo_flags text, data_origin text, "
            "zone_type_en text, is_alliance_member boolean, member_since date, alliance_committees text",
            key=("park_id",),
            required=("zone_code", "zone_name", "in_catalogue", "level", "zone_type", "is_alliance_member"),
            domains={"level": PARK_LEVELS, "geocode_quality": GEOCODE_QUALITY},
            non_negative=("approved_area_ha", "declared_cluster_count"),
            not_future=("approval_date", "approval_date_second", "member_since"),
            extra=(
                Check(
                    gxe.ExpectColumnValuesToNotBeNull(
                        column="province_adcode",
                        row_condition=Column("in_catalogue") == True,
                    )
                ),
                Check(
                    gxe.ExpectColumnValuesToNotBeInSet(
                        column="geocode_quality", value_set=["suspect"], mostly=1 - SUSPECT_GEOCODE_SHARE
                    ),
                    "warning",
                ),
                # a few zones lack a geocode in the real catalogue: worth a look, not a reason to stop
                Check(gxe.ExpectColumnValuesToNotBeNull(column="longitude", mostly=0.95), "warning"),
            ),
        ),
        Contract(
            "main.dim_enterprise",
            "credit_code text, enterprise_name text, park_id text, park_code text, industry_code text, "
            "ownership text, established_date date, employees integer, revenue_cny double, is_high_tech boolean, "
            "origin_country_iso3 text, incubation_stage text, operating_status text, data_origin text",
            key=("credit_code",),
            required=("enterprise_name", "park_id", "industry_code"),
            domains=ENTERPRISE_DOMAINS,
            non_negative=("employees", "revenue_cny"),
            not_future=("established_date",),
            extra=(Check(gxe.ExpectColumnValueLengthsToEqual(column="credit_code", value=18)),),
        ),
        Contract(
            "main.dim_cluster",
            "cluster_code text, cluster_name_cn text, cluster_name_en text, keywords integer",
            key=("cluster_code",),
            required=("cluster_name_cn", "cluster_name_en"),
            non_negative=("keywords",),
            extra=(Check(gxe.ExpectTableRowCountToEqual(value=20)),),
        ),
        Contract(
            "main.bridge_park_cluster",
            "park_id text, cluster_code text, declared_terms integer, first_position integer",
            key=("park_id", "cluster_code"),
            required=("park_id", "cluster_code"),
            non_negative=("declared_terms", "first_position"),
        ),
        Contract(
            "main.dim_region",
            "region_key text, region_type text, code text, name_en text, name_cn text, country_iso3 text, "
            "m49_code text, un_region text, un_sub_region text, un_intermediate_region text, currency_code text, "
            "committees text, committee_count integer",
            key=("region_key",),
            required=("region_type", "code", "name_en"),
            domains={"region_type": ["country", "province"]},
            non_negative=("committee_count",),
            non_empty=False,  # empty without PARK_REFERENCE_DIR (generated mode)
        ),
        Contract(
            "main.bridge_country_committee",
            "country_iso3 text, committee text, matched_on text",
            key=("country_iso3", "committee"),
            required=("country_iso3", "committee"),
            domains={"committee": COMMITTEES, "matched_on": ["list", "region", "sub-region"]},
            non_empty=False,
        ),
        Contract(
            "main.dim_date",
            "date_day date, calendar_year integer, calendar_month integer, calendar_quarter integer, "
            "month_start date, iso_year integer, iso_week integer, iso_week_label text, week_start date, "
            "week_end date, iso_day_of_week integer, is_weekend boolean",
            key=("date_day",),
            required=("iso_year", "iso_week", "week_start"),
            extra=(
                Check(gxe.ExpectColumnValuesToBeBetween(column="iso_week", min_value=1, max_value=53)),
                Check(gxe.ExpectColumnValuesToBeBetween(column="iso_day_of_week", min_value=1, max_value=7)),
            ),
        ),
        Contract(
            "main.fct_enterprise_period",
            "credit_code text, period text, period_start date, period_year integer, park_id text, "
            "industry_code text, cluster_code text, employees integer, revenue_cny double, is_high_tech boolean, "
            "tax_cny double, rnd_cny double, data_origin text, batch_id text",
            key=("credit_code", "period"),
            required=("credit_code", "period", "period_start", "park_id"),
            non_negative=("employees", "revenue_cny", "tax_cny", "rnd_cny"),
            not_future=("period_start",),
        ),
        Contract(
            "main.fct_investment_project",
            "project_id text, project_name text, investor_name text, park_code text, park_id text, direction text, "
            "origin_country_iso3 text, origin_province_adcode text, destination_country_iso3 text, "
            "cluster_code text, committee text, currency text, contracted_amount decimal, fx_year integer, "
            "fx_rate_year_used integer, cny_per_unit double, contracted_cny double, contracted_usd double, "
            "paid_in_amount decimal, paid_in_cny double, "
            "intention_date date, signed_date date, construction_started_date date, in_production_date date, "
            "signed_month date, is_signed boolean, is_construction_started boolean, is_in_production boolean, "
            "days_signed_to_started integer, days_started_to_producing integer, status text, data_origin text, "
            "created_at timestamp, updated_at timestamp, batch_id text",
            key=("project_id",),
            required=("park_id", "direction", "origin_country_iso3", "currency", "contracted_amount", "contracted_cny"),
            domains={
                "direction": DIRECTIONS,
                "committee": COMMITTEES,
                "currency": CURRENCIES,
                "status": PROJECT_STATUS,
                **crm_origin,
            },
            non_negative=(
                "contracted_amount",
                "contracted_cny",
                "contracted_usd",
                "paid_in_amount",
                "paid_in_cny",
                "days_signed_to_started",
                "days_started_to_producing",
            ),
            not_future=(
                "intention_date",
                "signed_date",
                "construction_started_date",
                "in_production_date",
                "signed_month",
                "created_at",
                "updated_at",
            ),
        ),
        Contract(
            "main.fct_match_event",
            "event_id text, match_id text, event_at timestamp, event_date date, stage text, stage_rank integer, "
            "lost_reason text, match_type text, channel text, committee text, demand_party text, supply_party text, "
            "park_code text, cluster_code text, project_id text, updated_at timestamp, data_origin text, "
            "batch_id text",
            key=("event_id",),
            required=("match_id", "event_at", "event_date", "stage", "match_type", "channel"),
            domains={
                "stage": [*STAGES, "lost"],
                "stage_rank": [1, 2, 3, 4, 5, 6],
                "lost_reason": LOST_REASONS,
                "match_type": MATCH_TYPES,
                "channel": CHANNELS,
                "committee": COMMITTEES,
                **crm_origin,
            },
            not_future=("event_at", "event_date", "updated_at"),
        ),
        Contract(
            "main.fct_match",
            "match_id text, furthest_stage text, furthest_stage_rank integer, match_type text, channel text, "
            "committee text, cluster_code text, park_code text, park_id text, project_id text, demand_party text, "
            "supply_party text, cohort_month date, cohort_imputed boolean, recommended_at timestamp, "
            "contacted_at timestamp, meeting_at timestamp, negotiation_at timestamp, signed_at timestamp, "
            "landed_at timestamp, days_recommended_to_contacted integer, days_contacted_to_meeting integer, "
            "days_meeting_to_negotiation integer, days_negotiation_to_signed integer, days_signed_to_landed integer, "
            "is_landed boolean, is_lost boolean, lost_reason text, lost_at timestamp, lost_date date, "
            "first_event_at timestamp, last_event_at timestamp, last_event_date date, events integer, "
            "as_of_date date, days_since_last_event integer, is_stalled boolean, data_origin text",
            key=("match_id",),
            required=("furthest_stage", "match_type", "channel", "cohort_month", "events", "is_stalled"),
            domains={
                "furthest_stage": STAGES,
                "furthest_stage_rank": [1, 2, 3, 4, 5, 6],
                "lost_reason": LOST_REASONS,
                "match_type": MATCH_TYPES,
                "channel": CHANNELS,
                "committee": COMMITTEES,
                **crm_origin,
            },
            non_negative=(
                "days_recommended_to_contacted",
                "days_contacted_to_meeting",
                "days_meeting_to_negotiation",
                "days_negotiation_to_signed",
                "days_signed_to_landed",
                "events",
                "days_since_last_event",
            ),
            not_future=("cohort_month", "first_event_at", "last_event_at", "last_event_date", "lost_at", "as_of_date"),
        ),
        *(
            Contract(
                f"main.mart_cluster_{level}_year",
                f"{columns}, cluster_code text, year integer, enterprises integer, employment number, "
                "revenue_cny double, high_tech_share double, tax_cny double, rnd_intensity double, "
                f"{level}_employment number, employment_share double, location_quotient double, hhi double, "
                f"cluster_tier text{tail}",
                key=(*key, "cluster_code", "year"),
                required=(*key, "cluster_code", "year", "enterprises", "employment", "cluster_tier"),
                domains={"cluster_tier": TIERS},
                non_negative=(
                    "enterprises",
                    "employment",
                    "revenue_cny",
                    "tax_cny",
                    "rnd_intensity",
                    "location_quotient",
                    f"{level}_employment",
                ),
                shares=("high_tech_share", "employment_share", "hhi", *shares),
            )
            for level, columns, key, tail, shares in (
                (
                    "park",
                    "park_id text, province_adcode text",
                    ("park_id",),
                    (
                        ", is_declared_cluster boolean, declared_employment_share double, employment_growth double, "
                        "revenue_growth double"
                    ),
                    ("declared_employment_share",),
                ),
                (
                    "province",
                    "province_adcode text",
                    ("province_adcode",),
                    ", employment_growth double, revenue_growth double",
                    (),
                ),
            )
        ),
        Contract(
            "main.mart_investment_flows_month",
            "direction text, origin_country_iso3 text, committee text, origin_province_adcode text, park_id text, "
            "park_province_adcode text, destination_country_iso3 text, cluster_code text, signed_month date, "
            "projects integer, contracted_cny double, contracted_usd double, paid_in_cny double, "
            "paid_in_ratio double, construction_started_projects integer, in_production_projects integer, "
            "start_rate double, production_rate double, median_days_signed_to_started double, "
            "median_days_started_to_producing double, destination_fdi_net_inflows_usd double, "
            "destination_fdi_year integer, data_origin text",
            key=(
                "direction",
                "origin_country_iso3",
                "committee",
                "origin_province_adcode",
                "park_id",
                "park_province_adcode",
                "destination_country_iso3",
                "cluster_code",
                "signed_month",
            ),
            required=("direction", "park_id", "cluster_code", "signed_month", "projects"),
            domains={"direction": DIRECTIONS, "committee": COMMITTEES, **crm_origin},
            non_negative=(
                "projects",
                "contracted_cny",
                "contracted_usd",
                "paid_in_cny",
                "construction_started_projects",
                "in_production_projects",
                "median_days_signed_to_started",
                "median_days_started_to_producing",
            ),
            shares=("paid_in_ratio", "start_rate", "production_rate"),
            not_future=("signed_month",),
        ),
        Contract(
            "main.mart_investment_corridors_year",
            "signed_year integer, origin_country_iso3 text, park_id text, park_name text, park_province_adcode text, "
            "projects integer, contracted_cny double, contracted_usd double, paid_in_cny double, "
            "paid_in_ratio double, corridor_rank integer, share_of_year_inbound_usd double, "
            "park_inbound_foreign_share double, data_origin text",
            key=("signed_year", "origin_country_iso3", "park_id"),
            required=("signed_year", "origin_country_iso3", "park_id", "projects", "corridor_rank"),
            domains={"data_origin": CRM_ORIGIN},
            non_negative=("projects", "contracted_cny", "contracted_usd", "paid_in_cny"),
            shares=("paid_in_ratio", "share_of_year_inbound_usd", "park_inbound_foreign_share"),
            extra=(Check(gxe.ExpectColumnValuesToBeBetween(column="corridor_rank", min_value=1)),),
            non_empty=False,  # no inbound foreign project signed yet
        ),
        Contract(
            "main.mart_quarantine_batches",
            "source text, batch_id text, logical_date date, reason text, quarantined_rows integer, "
            "received_rows integer, batch_quarantined_rows integer, share_of_received double",
            key=("batch_id", "reason"),
            required=("source", "batch_id", "logical_date", "reason", "quarantined_rows", "received_rows"),
            non_negative=("quarantined_rows", "received_rows", "batch_quarantined_rows"),
            shares=("share_of_received",),
            not_future=("logical_date",),
            non_empty=False,
        ),
        Contract(
            "main.mart_match_funnel",
            "committee text, channel text, match_type text, cluster_code text, cohort_month date, "
            + "".join(f"{stage}_matches integer, " for stage in STAGES)
            + "recommended_to_contacted_rate double, contacted_to_meeting_rate double, "
            "meeting_to_negotiation_rate double, negotiation_to_signed_rate double, overall_conversion_rate double, "
            "landing_rate double, "
            + "".join(f"median_days_{a}_to_{b} double, " for a, b in pairwise(STAGES))
            + "stalled_matches integer, lost_matches integer, "
            + "".join(f"lost_{reason} integer, " for reason in LOST_REASONS)
            + "data_origin text",
            key=("committee", "channel", "match_type", "cluster_code", "cohort_month"),
            required=("channel", "match_type", "cluster_code", "cohort_month", "recommended_matches"),
            domains={"committee": COMMITTEES, "channel": CHANNELS, "match_type": MATCH_TYPES, **crm_origin},
            non_negative=(
                *(f"{stage}_matches" for stage in STAGES),
                "stalled_matches",
                "lost_matches",
                *(f"lost_{reason}" for reason in LOST_REASONS),
            ),
            shares=(
                "recommended_to_contacted_rate",
                "contacted_to_meeting_rate",
                "meeting_to_negotiation_rate",
                "negotiation_to_signed_rate",
                "overall_conversion_rate",
                "landing_rate",
            ),
            not_future=("cohort_month",),
        ),
        Contract(
            "main.mart_regional_indicators",
            "region_type text, region_key text, region_code text, region_name_en text, region_name_cn text, "
            "year integer, gdp_cny double, gdp_usd double, cny_per_usd double, gdp_growth_nominal_pct double, "
            "gdp_growth_real_pct double, fdi_net_inflows_usd double, population integer, zones integer, "
            "zones_approved_by_year_end integer, approved_area_ha double, member_countries integer, "
            "members_reporting_gdp integer",
            key=("region_key", "year"),
            required=("region_type", "region_key", "year"),
            domains={"region_type": ["province", "country", "committee"]},
            non_negative=(
                "gdp_cny",
                "gdp_usd",
                "cny_per_usd",
                "population",
                "zones",
                "zones_approved_by_year_end",
                "approved_area_ha",
                "member_countries",
                "members_reporting_gdp",
            ),
            non_empty=False,
        ),
        Contract(
            "main.mart_weekly_indicators",
            "iso_week_label text, iso_year integer, iso_week integer, week_start date, week_end date, "
            "indicator_code text, aggregation text, value double, previous_week_value double, "
            "same_week_last_year_value double, year_to_date double, last_year_to_date double, "
            "year_to_date_target double, week_over_week_change double, year_over_year_change double, "
            "year_to_date_vs_target double",
            key=("iso_week_label", "indicator_code"),
            required=("iso_year", "iso_week", "week_start", "week_end", "indicator_code", "aggregation"),
            domains={
                "indicator_code": [
                    "new_matches",
                    "signings",
                    "signed_amount_cny",
                    "landed_matches",
                    "construction_starts",
                    "paid_in_cny",
                    "match_conversion_rate",
                ],
                "aggregation": ["sum", "ratio"],
            },
            not_future=("week_start", "week_end"),  # complete weeks only
        ),
        Contract(
            "main.mart_parks_by_province_zone_type",
            "province_adcode text, province_name text, level text, zone_type text, parks integer, "
            "parks_reporting_enterprises number, approved_area_ha double, enterprises number, employees number, "
            "revenue_cny double",
            key=("province_adcode", "level", "zone_type"),
            required=("province_adcode", "level", "zone_type", "parks"),
            domains={"level": LEVELS},
            non_negative=("parks", "parks_reporting_enterprises", "approved_area_ha", "enterprises", "employees"),
        ),
    ]


@dataclass(frozen=True)
class Reconciliation:
    """A difference table (DuckDB SQL over the exported tables, each a view named like the table with
    ``.`` as ``__``) that must be empty; its rows say what disagrees."""

    name: str
    sql: str
    severity: Severity = "critical"

    @property
    def suite(self) -> str:
        return f"reconcile.{self.name}"


RECONCILIATIONS = [
    Reconciliation(
        "landing_batches_received",
        "select source, batch_id, received, landed, quarantined from raw__landing_batches "
        "where received <> landed + quarantined",
    ),
    Reconciliation(
        "quarantine_reasons_per_batch",
        """
        with reasons as (
            select batch_id, sum(quarantined) as quarantined from raw__landing_quarantine group by batch_id
        )
        select batch_id, batches.quarantined as batch_quarantined, reasons.quarantined as reasons_quarantined
        from raw__landing_batches as batches full outer join reasons using (batch_id)
        where batches.quarantined is distinct from coalesce(reasons.quarantined, 0)
        """,
    ),
    Reconciliation(
        "flows_projects_per_park_month",
        """
        with mart as (
            select park_id, signed_month, sum(projects) as projects, sum(contracted_cny) as contracted_cny
            from main__mart_investment_flows_month group by park_id, signed_month
        ), facts as (
            select park_id, signed_month, count(*) as projects, sum(contracted_cny) as contracted_cny
            from main__fct_investment_project where signed_date is not null group by park_id, signed_month
        )
        select park_id, signed_month, mart.projects as mart_projects, facts.projects as fact_projects,
            mart.contracted_cny as mart_contracted_cny, facts.contracted_cny as fact_contracted_cny
        from mart full outer join facts using (park_id, signed_month)
        where mart.projects is distinct from facts.projects
            or abs(coalesce(mart.contracted_cny, 0) - coalesce(facts.contracted_cny, 0)) > 0.01
        """,
    ),
    Reconciliation(
        "funnel_matches_per_cohort",
        """
        with mart as (
            select cohort_month, sum(recommended_matches) as matches, sum(signed_matches) as signed
            from main__mart_match_funnel group by cohort_month
        ), facts as (
            -- signed as the funnel counts it: reached signing or beyond (a landing may skip the signed event)
            select cohort_month, count(*) as matches, count(case when furthest_stage_rank >= 5 then 1 end) as signed
            from main__fct_match group by cohort_month
        )
        select cohort_month, mart.matches as mart_matches, facts.matches as fact_matches,
            mart.signed as mart_signed, facts.signed as fact_signed
        from mart full outer join facts using (cohort_month)
        where mart.matches is distinct from facts.matches or mart.signed is distinct from facts.signed
        """,
    ),
    Reconciliation(
        "parks_per_province_zone_type",
        """
        with mart as (
            select province_adcode, level, zone_type, parks from main__mart_parks_by_province_zone_type
        ), facts as (
            select province_adcode, level, zone_type, count(*) as parks
            from main__dim_park where in_catalogue group by province_adcode, level, zone_type
        )
        select province_adcode, level, zone_type, mart.parks as mart_parks, facts.parks as dim_parks
        from mart full outer join facts using (province_adcode, level, zone_type)
        where mart.parks is distinct from facts.parks
        """,
    ),
    Reconciliation(
        "catalogue_zones_in_dim_park",
        "select park_id from raw__park_registry anti join "
        "(select park_id from main__dim_park where in_catalogue) using (park_id)",
    ),
    Reconciliation(
        "projects_in_fct_investment_project",
        "select distinct project_id from raw__crm_projects anti join main__fct_investment_project using (project_id)",
    ),
]


@dataclass(frozen=True)
class RunFacts:
    """What the run-dependent checks need to know about this run and the last published one."""

    as_of: date
    sources: dict[str, str]  # every source the build should hold -> its schedule (@daily, ...)
    previous_counts: dict[str, int]  # table -> rows when last published (empty: first run)
    row_count_band: float
    freshness_grace_days: int


def _not_null(column: str) -> Check:
    return Check(gxe.ExpectColumnValuesToNotBeNull(column=column))


def _bounded(column: str, low: Any = None, high: Any = None) -> Check:
    return Check(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))


def _contract_checks(contract: Contract, facts: RunFacts) -> list[Check]:
    types = contract.column_types
    checks = [Check(ExpectTableColumnsToHaveLogicalTypes(column_set=list(types), exact_match=True, column_types=types))]
    if len(contract.key) == 1:
        checks += [_not_null(contract.key[0]), Check(gxe.ExpectColumnValuesToBeUnique(column=contract.key[0]))]
    elif contract.key:
        checks.append(Check(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key))))
    checks += [_not_null(column) for column in contract.required if column not in contract.key[:1]]
    checks += [
        Check(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values))
        for column, values in contract.domains.items()
    ]
    checks += [_bounded(column, low=0) for column in contract.non_negative]
    checks += [_bounded(column, low=0, high=1) for column in contract.shares]
    # a date is compared with the day; a timestamp (UTC) with the end of that day in Asia/Shanghai
    end_of_day = f"{facts.as_of.isoformat()}T16:00:00+00:00"
    checks += [
        _bounded(column, high=end_of_day if types[column] == "timestamp" else facts.as_of.isoformat())
        for column in contract.not_future
    ]
    if contract.non_empty:
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(min_value=1)))
    previous = facts.previous_counts.get(contract.table)
    if previous:
        band = facts.row_count_band
        # rows lost beyond the band block (a broken load); growth beyond it is reported (a new period)
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(min_value=math.floor(previous * (1 - band)))))
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(max_value=math.ceil(previous * (1 + band))), "warning"))
    return checks + [_rule_check(rule) for rule in contract.rules] + list(getattr(contract, "extra", ()))


def _rule_check(rule: Rule) -> Check:
    """The Great Expectations check of a contract's rule (parkplatform.contracts.Rule)."""
    options: dict[str, Any] = {}
    if rule.mostly is not None:
        options["mostly"] = rule.mostly
    if rule.when is not None:
        options["row_condition"] = Column(rule.when) == True
    column = {"column": rule.column}
    expectation = {
        "between": lambda: gxe.ExpectColumnValuesToBeBetween(
            **column,
            **{k: v for k, v in (("min_value", rule.low), ("max_value", rule.high)) if v is not None},
            **options,
        ),
        "not_null": lambda: gxe.ExpectColumnValuesToNotBeNull(**column, **options),
        "not_in": lambda: gxe.ExpectColumnValuesToNotBeInSet(**column, value_set=list(rule.values), **options),
        "length": lambda: gxe.ExpectColumnValueLengthsToEqual(**column, value=rule.value, **options),
        "distinct_at_least": lambda: gxe.ExpectColumnUniqueValueCountToBeBetween(**column, min_value=rule.value),
        "row_count": lambda: gxe.ExpectTableRowCountToEqual(value=rule.value),
    }[rule.kind]()
    return Check(expectation, rule.severity)


def all_contracts() -> list[TableContract]:
    """Every table's contract: the landed tables' (the sources'), then the gate's own."""
    return [*source_contracts(), *contracts()]


def freshness_checks(facts: RunFacts) -> list[Check]:
    """Checks on the freshness table (one row per source: its newest batch's age in days at as_of)."""
    checks = [
        Check(gxe.ExpectColumnDistinctValuesToContainSet(column="source", value_set=sorted(facts.sources))),
    ]
    for source, schedule in sorted(facts.sources.items()):
        limit = SCHEDULE_DAYS.get(schedule, 1) + facts.freshness_grace_days
        checks.append(
            Check(
                gxe.ExpectColumnValuesToBeBetween(
                    column="age_days",
                    max_value=limit,
                    row_condition=Column("source") == source,
                ),
                # a late source does not make the others' data wrong: reported, publishing goes on
                "warning",
            )
        )
    return checks


FRESHNESS_SUITE = "freshness.landing_batches"
FRESHNESS_SQL = (
    "select source, max(cast(logical_date as date)) as newest_batch, "
    "date_diff('day', max(cast(logical_date as date)), cast($as_of as date)) as age_days "
    "from raw__landing_batches group by source"
)


def suites(facts: RunFacts, tables: set[str]) -> dict[str, list[Check]]:
    """Suite name -> its checks, for the tables present in this build (``tables``, schema-qualified).

    A raw table whose source the build does not hold (generated mode: no reference folder) has no
    suite; its published tables keep theirs."""
    result: dict[str, list[Check]] = {}
    for contract in all_contracts():
        if contract.source is not None and contract.source not in facts.sources:
            continue
        if contract.table in tables:
            result[contract.table] = _contract_checks(contract, facts)
    result[FRESHNESS_SUITE] = freshness_checks(facts)
    for reconciliation in RECONCILIATIONS:
        result[reconciliation.suite] = [Check(gxe.ExpectTableRowCountToEqual(value=0), reconciliation.severity)]
    return result


def contract_tables() -> list[str]:
    return [contract.table for contract in all_contracts()]
