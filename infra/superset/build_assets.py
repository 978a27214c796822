"""Writes the dashboards, charts and datasets as a Superset export bundle under ``infra/superset/assets/``.

The bundle (``metadata.yaml``, ``databases/``, ``datasets/``, ``charts/``, ``dashboards/``) is what the
repository versions and what ``bootstrap.py`` imports with Superset's own import. This script wrote its
first version from the definitions below (column types read from a built warehouse, descriptions from the
dbt YAML); edits made in Superset's UI come back with ``make superset-export`` (``assets_io.py export``),
which rewrites the same files. Run it again only to regenerate from these definitions:

    infra/superset/.venv/bin/python infra/superset/build_assets.py --warehouse data/warehouse/serving.duckdb
"""

from __future__ import annotations

import argparse
import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
ASSETS = HERE / "assets"
NAMESPACE = uuid.UUID("6c1f0a52-4d0e-4a57-9d7e-2f0f6c9b7a11")
DATABASE_NAME = "Park warehouse"
# replaced at import time by the connection of this machine (bootstrap.py); never a real path in git
URI_PLACEHOLDER = "duckdb:///PARK_SERVING_WAREHOUSE"


def uid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


DATABASE_UUID = uid("database", "park_warehouse")

# Tables other engineers add to the warehouse (the quality issue): documented columns, used when a warehouse
# does not have them yet.
DOCUMENTED_TYPES: dict[str, dict[str, str]] = {
    "quality_validation_results": {
        "run_id": "VARCHAR",
        "validated_at": "TIMESTAMP",
        "as_of": "DATE",
        "suite": "VARCHAR",
        "expectation": "VARCHAR",
        "column_name": "VARCHAR",
        "severity": "VARCHAR",
        "success": "BOOLEAN",
        "expected": "VARCHAR",
        "observed": "VARCHAR",
    },
    "mart_quarantine_batches": {
        "source": "VARCHAR",
        "batch_id": "VARCHAR",
        "logical_date": "DATE",
        "reason": "VARCHAR",
        "quarantined_rows": "BIGINT",
    },
}


FUNNEL_STAGES = ("recommended", "contacted", "meeting", "negotiation", "signed", "landed")


@dataclass
class Dataset:
    name: str
    table: str | None = None  # physical dataset on main.<table>; else sql
    sql: str | None = None
    dttm: str | None = None
    description: str = ""
    park_column: str | None = None  # the column row-level security filters for park staff


def _park_sql(select: str) -> str:
    return select.strip()


DATASETS: list[Dataset] = [
    Dataset(
        "weekly_indicators",
        sql="""
select w.*,
       w.week_start = max(w.week_start) over () as is_latest_week,
       w.week_start > max(w.week_start) over () - interval 84 day as in_last_12_weeks
from main.mart_weekly_indicators w""",
        dttm="week_start",
        description="mart_weekly_indicators with flags for the latest complete week and the last 12 weeks.",
    ),
    Dataset(
        "cluster_park_year",
        sql="""
select m.*, make_date(m.year, 1, 1) as year_start,
       p.zone_name, p.province_name, p.province_name_en, p.level, p.zone_type_en, p.geocode_quality,
       c.cluster_name_en, c.cluster_name_cn
from main.mart_cluster_park_year m
join main.dim_park p using (park_id)
join main.dim_cluster c using (cluster_code)""",
        dttm="year_start",
        description="mart_cluster_park_year with the park's province, level and zone type and the cluster's names.",
        park_column="park_id",
    ),
    Dataset(
        "parks",
        table="dim_park",
        dttm="approval_date",
        description="dim_park: every park with its geocode quality, level, zone type and declared clusters.",
        park_column="park_id",
    ),
    Dataset(
        "investment_flows",
        sql="""
select f.*,
       coalesce(f.committee, f.origin_country_iso3, 'domestic') as origin_region,
       case when f.direction = 'outbound' then 'overseas: ' || coalesce(f.destination_country_iso3, '?')
            else coalesce(p.province_name_en, p.province_name, f.park_province_adcode, '?') end
           as destination_region,
       p.zone_name, p.province_name, p.level, p.zone_type_en,
       c.cluster_name_en
from main.mart_investment_flows_month f
left join main.dim_park p using (park_id)
left join main.dim_cluster c using (cluster_code)""",
        dttm="signed_month",
        description="mart_investment_flows_month with origin and destination regions for corridors.",
        park_column="park_id",
    ),
    Dataset(
        "match_funnel",
        table="mart_match_funnel",
        dttm="cohort_month",
        description="mart_match_funnel: matches per stage by committee, channel, match type, cluster and cohort.",
    ),
    Dataset(
        "match_funnel_stages",
        sql="\n"
        + "\nunion all\n".join(
            f"select committee, channel, match_type, cluster_code, cohort_month, '{rank} {stage}' as stage, "
            f"{rank} as stage_rank, {stage}_matches as matches from main.mart_match_funnel"
            for rank, stage in enumerate(FUNNEL_STAGES, start=1)
        ),
        dttm="cohort_month",
        description="mart_match_funnel with one row per stage, for the funnel.",
    ),
    Dataset(
        "matches",
        sql="""
select m.*, p.zone_name, p.province_name, p.level, p.zone_type_en, c.cluster_name_en
from main.fct_match m
left join main.dim_park p using (park_id)
left join main.dim_cluster c using (cluster_code)""",
        dttm="cohort_month",
        description="fct_match with the park's province, level and zone type.",
        park_column="park_id",
    ),
    Dataset(
        "quality_validation_results",
        table="quality_validation_results",
        dttm="validated_at",
        description="Every expectation's outcome of every quality-gate run.",
    ),
    Dataset(
        "quarantine_batches",
        table="mart_quarantine_batches",
        dttm="logical_date",
        description="Quarantined rows per source, batch and reason.",
    ),
]

# Quarantine counts: the data-quality dashboard reads them; no Analyst may (issue 6: no raw or quarantine data)
QUARANTINE_TABLES = {"mart_quarantine_batches"}
PUBLISHED_PREFIXES = ("dim_", "fct_", "bridge_", "mart_")


def _dbt_models() -> dict[str, str]:
    """The published tables of schema main (every dim_, fct_, bridge_ and mart_ model) with their dbt description."""
    found: dict[str, str] = {}
    marts = REPO_ROOT / "dbt_project" / "models" / "marts"
    for path in sorted(marts.rglob("*.sql")):
        if path.stem.startswith(PUBLISHED_PREFIXES):
            found[path.stem] = ""
    for path in sorted(marts.rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            if model.get("name") in found:
                found[model["name"]] = " ".join((model.get("description") or "").split())
    return found


# SQL Lab grants access to a table only through a physical dataset on that very table (Superset's
# raise_for_access looks datasets up by schema and table name; a SQL dataset over a mart does not count).
# So every published table gets a physical dataset of its own, named like the table, unless one above
# already reads it; the Analyst role is granted these (bootstrap.py), never the schema.
_PHYSICAL = {d.table for d in DATASETS if d.table}
TABLE_DATASETS: list[Dataset] = [
    Dataset(table, table=table, description=description)
    for table, description in _dbt_models().items()
    if table not in _PHYSICAL and table not in QUARANTINE_TABLES
]
DATASETS = DATASETS + TABLE_DATASETS
DATASET_BY_NAME = {d.name: d for d in DATASETS}


def metric(label: str, sql: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label, "hasCustomLabel": True}


def where(sql: str) -> dict[str, Any]:
    return {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": sql}


@dataclass
class Chart:
    key: str
    title: str
    viz: str
    dataset: str
    params: dict[str, Any]
    width: int = 6
    height: int = 50
    description: str = ""
    filters: list[str] = field(default_factory=list)  # SQL WHERE clauses


@dataclass
class Dashboard:
    slug: str
    title: str
    charts: list[Chart]
    native_filters: list[tuple[str, str, str | None]]  # (name, dataset, column or None for time)
    description: str = ""


def timeseries(
    key: str,
    title: str,
    dataset: str,
    x: str,
    metrics: list[dict[str, Any]],
    groupby: list[str] | None = None,
    viz: str = "echarts_timeseries_line",
    grain: str | None = None,
    filters: list[str] | None = None,
    **extra: Any,
) -> Chart:
    params = {"x_axis": x, "metrics": metrics, "groupby": groupby or [], "show_legend": True, "rich_tooltip": True}
    if grain:
        params["time_grain_sqla"] = grain
    params.update(extra)
    return Chart(key, title, viz, dataset, params, filters=filters or [])


def bar(key: str, title: str, dataset: str, x: str, metrics: list[dict[str, Any]], groupby=None, filters=None, **kw):
    return timeseries(key, title, dataset, x, metrics, groupby, viz="echarts_timeseries_bar", filters=filters, **kw)


def table(
    key: str,
    title: str,
    dataset: str,
    columns: list[str],
    order: list[tuple[str, bool]] | None = None,
    filters: list[str] | None = None,
    limit: int = 100,
    metrics: list[dict[str, Any]] | None = None,
) -> Chart:
    if metrics:
        params = {"query_mode": "aggregate", "groupby": columns, "metrics": metrics, "order_desc": True}
    else:
        params = {"query_mode": "raw", "all_columns": columns, "order_by_cols": [json.dumps(o) for o in order or []]}
    params.update({"row_limit": limit, "server_page_length": 10, "table_timestamp_format": "smart_date"})
    return Chart(key, title, "table", dataset, params, filters=filters or [])


def pie(key: str, title: str, dataset: str, groupby: list[str], m: dict[str, Any], filters=None) -> Chart:
    params = {"groupby": groupby, "metric": m, "show_legend": True, "show_labels": True, "row_limit": 100}
    return Chart(key, title, "pie", dataset, params, filters=filters or [])


COUNT = metric("parks", "COUNT(*)")
_FILTERS_PARK = [("Province", "province_name"), ("Zone level", "level"), ("Zone type", "zone_type_en")]

DASHBOARDS: list[Dashboard] = [
    Dashboard(
        "leadership-weekly",
        "Leadership weekly overview",
        [
            table(
                "weekly_this_week",
                "This week: week over week, year over year, year to date against target",
                "weekly_indicators",
                [
                    "iso_week_label",
                    "indicator_code",
                    "value",
                    "previous_week_value",
                    "week_over_week_change",
                    "same_week_last_year_value",
                    "year_over_year_change",
                    "year_to_date",
                    "year_to_date_target",
                    "year_to_date_vs_target",
                ],
                filters=["is_latest_week"],
            ),
            timeseries(
                "weekly_trend_counts",
                "12-week trends: matches, signings, landings, construction starts",
                "weekly_indicators",
                "week_start",
                [metric("value", "SUM(value)")],
                ["indicator_code"],
                grain="P1W",
                filters=[
                    "in_last_12_weeks",
                    "indicator_code in ('new_matches', 'signings', 'landed_matches', 'construction_starts')",
                ],
            ),
            timeseries(
                "weekly_trend_amounts",
                "12-week trends: signed amount and paid-in funds (yuan)",
                "weekly_indicators",
                "week_start",
                [metric("yuan", "SUM(value)")],
                ["indicator_code"],
                viz="echarts_timeseries_bar",
                grain="P1W",
                filters=["in_last_12_weeks", "indicator_code in ('signed_amount_cny', 'paid_in_cny')"],
            ),
            bar(
                "weekly_ytd_vs_target",
                "Year to date against target (1 = on target)",
                "weekly_indicators",
                "indicator_code",
                [metric("year to date vs target", "MAX(year_to_date_vs_target)")],
                filters=["is_latest_week", "aggregation = 'sum'"],
            ),
            bar(
                "weekly_quality_status",
                "Data quality of the week's loads: failed expectations by severity",
                "quality_validation_results",
                "severity",
                [
                    metric("failed", "SUM(CASE WHEN success THEN 0 ELSE 1 END)"),
                    metric("passed", "SUM(CASE WHEN success THEN 1 ELSE 0 END)"),
                ],
                filters=["validated_at >= current_date - interval 7 day"],
            ),
        ],
        [("Period", "weekly_indicators", None), ("Indicator", "weekly_indicators", "indicator_code")],
    ),
    Dashboard(
        "industrial-clusters",
        "Industrial clusters",
        [
            Chart(
                "clusters_park_map",
                "Parks by longitude and latitude, coloured by geocode quality",
                "bubble_v2",
                "parks",
                {
                    "entity": "park_id",
                    "series": "geocode_quality",
                    "x": metric("longitude", "MAX(longitude)"),
                    "y": metric("latitude", "MAX(latitude)"),
                    "size": metric("approved area (ha)", "MAX(COALESCE(approved_area_ha, 1))"),
                    "max_bubble_size": "5",
                    "row_limit": 5000,
                    "show_legend": True,
                    "x_axis_label": "longitude",
                    "y_axis_label": "latitude",
                },
                width=12,
                height=60,
                filters=["longitude IS NOT NULL", "latitude IS NOT NULL"],
            ),
            bar(
                "clusters_tiers",
                "Cluster strength tiers (park × cluster)",
                "cluster_park_year",
                "cluster_name_en",
                [metric("parks", "COUNT(*)")],
                ["cluster_tier"],
                stack=True,
            ),
            table(
                "clusters_lq_ranking",
                "Location quotient ranking",
                "cluster_park_year",
                [
                    "zone_name",
                    "province_name",
                    "cluster_name_en",
                    "year",
                    "location_quotient",
                    "employment",
                    "cluster_tier",
                ],
                order=[("location_quotient", False)],
                limit=50,
            ),
            bar(
                "clusters_declared_vs_observed",
                "Declared vs observed: employment in declared and other clusters",
                "cluster_park_year",
                "cluster_name_en",
                [metric("employment", "SUM(employment)")],
                ["is_declared_cluster"],
                stack=True,
            ),
            table(
                "clusters_growth",
                "Growth on the year before (employment and revenue)",
                "cluster_park_year",
                ["zone_name", "cluster_name_en", "year", "employment", "employment_growth", "revenue_growth"],
                order=[("employment", False)],
                limit=50,
            ),
        ],
        [
            ("Period", "cluster_park_year", None),
            *[(name, "cluster_park_year", col) for name, col in _FILTERS_PARK],
            ("Cluster", "cluster_park_year", "cluster_name_en"),
        ],
    ),
    Dashboard(
        "investment-flows",
        "Investment flows",
        [
            Chart(
                "flows_corridors",
                "Corridors: origin region to destination (contracted US$)",
                "sankey_v2",
                "investment_flows",
                {
                    "source": "origin_region",
                    "target": "destination_region",
                    "metric": metric("US$", "SUM(contracted_usd)"),
                    "row_limit": 1000,
                },
                width=12,
                height=60,
            ),
            bar(
                "flows_by_committee",
                "Contracted amount by committee (yuan)",
                "investment_flows",
                "origin_region",
                [metric("contracted yuan", "SUM(contracted_cny)")],
                ["direction"],
                stack=True,
            ),
            bar(
                "flows_by_cluster",
                "Contracted and paid-in amount by cluster (yuan)",
                "investment_flows",
                "cluster_name_en",
                [metric("contracted yuan", "SUM(contracted_cny)"), metric("paid-in yuan", "SUM(paid_in_cny)")],
            ),
            timeseries(
                "flows_rates",
                "到位率 / 开工率 / 投产转化率 by month of signing",
                "investment_flows",
                "signed_month",
                [
                    metric("到位率 paid-in ratio", "SUM(paid_in_cny) / NULLIF(SUM(contracted_cny), 0)"),
                    metric("开工率 start rate", "SUM(construction_started_projects) * 1.0 / NULLIF(SUM(projects), 0)"),
                    metric(
                        "投产转化率 production rate", "SUM(in_production_projects) * 1.0 / NULLIF(SUM(projects), 0)"
                    ),
                ],
                grain="P1M",
                width=12,
                y_axis_format=".0%",
            ),
        ],
        [
            ("Period", "investment_flows", None),
            *[(name, "investment_flows", col) for name, col in _FILTERS_PARK],
            ("Cluster", "investment_flows", "cluster_name_en"),
            ("Committee", "investment_flows", "committee"),
        ],
    ),
    Dashboard(
        "matchmaking-outcomes",
        "Matchmaking outcomes",
        [
            Chart(
                "match_funnel",
                "Funnel: matches reaching each stage",
                "funnel",
                "match_funnel_stages",
                {
                    "groupby": ["stage"],
                    "metric": metric("matches", "SUM(matches)"),
                    "sort_by_metric": True,
                    "row_limit": 10,
                    "show_labels": True,
                    "percent_calculation_type": "first_step",
                },
            ),
            table(
                "match_conversion",
                "Stage conversion by committee and channel",
                "match_funnel",
                ["committee", "channel"],
                metrics=[
                    metric("recommended", "SUM(recommended_matches)"),
                    metric(
                        "contacted / recommended", "SUM(contacted_matches) * 1.0 / NULLIF(SUM(recommended_matches), 0)"
                    ),
                    metric("meeting / contacted", "SUM(meeting_matches) * 1.0 / NULLIF(SUM(contacted_matches), 0)"),
                    metric("negotiation / meeting", "SUM(negotiation_matches) * 1.0 / NULLIF(SUM(meeting_matches), 0)"),
                    metric("signed / negotiation", "SUM(signed_matches) * 1.0 / NULLIF(SUM(negotiation_matches), 0)"),
                    metric("signed / recommended", "SUM(signed_matches) * 1.0 / NULLIF(SUM(recommended_matches), 0)"),
                    metric("landed / signed", "SUM(landed_matches) * 1.0 / NULLIF(SUM(signed_matches), 0)"),
                ],
            ),
            bar(
                "match_cycle_times",
                "Cycle times: mean days between stages by channel",
                "matches",
                "channel",
                [
                    metric("recommended → contacted", "AVG(days_recommended_to_contacted)"),
                    metric("contacted → meeting", "AVG(days_contacted_to_meeting)"),
                    metric("meeting → negotiation", "AVG(days_meeting_to_negotiation)"),
                    metric("negotiation → signed", "AVG(days_negotiation_to_signed)"),
                    metric("signed → landed", "AVG(days_signed_to_landed)"),
                ],
            ),
            table(
                "match_stalled",
                "Open deals by days since the last event (stalled = no event for 90 days)",
                "matches",
                [
                    "match_id",
                    "is_stalled",
                    "days_since_last_event",
                    "furthest_stage",
                    "committee",
                    "channel",
                    "zone_name",
                    "cluster_name_en",
                ],
                order=[("days_since_last_event", False)],
                filters=["NOT is_landed", "NOT is_lost"],
                limit=100,
            ),
            pie(
                "match_lost_reasons",
                "Lost reasons",
                "matches",
                ["lost_reason"],
                metric("lost matches", "COUNT(*)"),
                filters=["is_lost"],
            ),
        ],
        [
            ("Period", "match_funnel", None),
            ("Committee", "match_funnel", "committee"),
            ("Channel", "match_funnel", "channel"),
            ("Cluster", "match_funnel", "cluster_code"),
            *[(name, "matches", col) for name, col in _FILTERS_PARK],
        ],
    ),
    Dashboard(
        "data-quality",
        "Data quality",
        [
            bar(
                "quality_results_over_time",
                "Validation results per run day: failed expectations by severity",
                "quality_validation_results",
                "validated_at",
                [metric("failed", "SUM(CASE WHEN success THEN 0 ELSE 1 END)"), metric("expectations", "COUNT(*)")],
                grain="P1D",
            ),
            table(
                "quality_latest_results",
                "Expectation outcomes (newest first)",
                "quality_validation_results",
                ["validated_at", "suite", "expectation", "column_name", "severity", "success", "expected", "observed"],
                order=[("validated_at", False)],
                limit=200,
            ),
            bar(
                "quality_quarantine_over_time",
                "Quarantined rows per logical date and source",
                "quarantine_batches",
                "logical_date",
                [metric("quarantined rows", "SUM(quarantined_rows)")],
                ["source"],
                grain="P1D",
                stack=True,
            ),
            table(
                "quality_quarantine_reasons",
                "Quarantined rows by source and reason",
                "quarantine_batches",
                ["source", "reason"],
                metrics=[metric("quarantined rows", "SUM(quarantined_rows)")],
            ),
        ],
        [
            ("Period", "quality_validation_results", None),
            ("Suite", "quality_validation_results", "suite"),
            ("Severity", "quality_validation_results", "severity"),
            ("Source", "quarantine_batches", "source"),
        ],
    ),
]


# ---------------------------------------------------------------------------------------------- columns


def _descriptions() -> dict[str, str]:
    """Column descriptions from the dbt YAML of the marts (first description of a column name wins)."""
    found: dict[str, str] = {}
    for path in sorted((REPO_ROOT / "dbt_project" / "models" / "marts").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            for column in model.get("columns", []):
                if column.get("description"):
                    found.setdefault(column["name"], " ".join(column["description"].split()))
    return found


def dataset_columns(con: duckdb.DuckDBPyConnection | None, dataset: Dataset) -> list[tuple[str, str]]:
    source = f"main.{dataset.table}" if dataset.table else f"({dataset.sql})"
    try:
        if con is None:
            raise duckdb.CatalogException("no warehouse")
        return [(row[0], row[1]) for row in con.sql(f"describe select * from {source}").fetchall()]
    except duckdb.CatalogException:
        if dataset.table in DOCUMENTED_TYPES:
            return list(DOCUMENTED_TYPES[dataset.table].items())
        raise


def _column(name: str, type_: str, descriptions: dict[str, str]) -> dict[str, Any]:
    is_dttm = type_.upper().startswith(("DATE", "TIMESTAMP"))
    return {
        "advanced_data_type": None,
        "column_name": name,
        "description": descriptions.get(name),
        "expression": None,
        "extra": None,
        "filterable": True,
        "groupby": True,
        "is_active": True,
        "is_dttm": is_dttm,
        "python_date_format": None,
        "type": type_,
        "verbose_name": None,
    }


# ---------------------------------------------------------------------------------------------- writing


def _dump(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True, width=120))


def _query_context(chart: Chart, form_data: dict[str, Any]) -> str:
    """The query the chart-data API runs for the chart (what the browser saves with a chart)."""
    p = chart.params
    columns: list[Any] = []
    metrics: list[Any] = []
    orderby: list[Any] = []
    if chart.viz == "table" and p.get("query_mode") == "raw":
        columns = list(p["all_columns"])
        orderby = [json.loads(o) for o in p.get("order_by_cols", [])]
        orderby = [[col, asc] for col, asc in orderby]
    elif chart.viz == "table":
        columns, metrics = list(p["groupby"]), list(p["metrics"])
        orderby = [[metrics[0], False]]
    elif chart.viz in {"echarts_timeseries_line", "echarts_timeseries_bar"}:
        axis: dict[str, Any] = {
            "columnType": "BASE_AXIS",
            "sqlExpression": p["x_axis"],
            "label": p["x_axis"],
            "expressionType": "SQL",
        }
        if p.get("time_grain_sqla"):
            axis["timeGrain"] = p["time_grain_sqla"]
        columns, metrics = [axis, *p["groupby"]], list(p["metrics"])
        orderby = [[metrics[0], False]]
    elif chart.viz == "pie" or chart.viz == "funnel":
        columns, metrics = list(p["groupby"]), [p["metric"]]
        orderby = [[p["metric"], False]]
    elif chart.viz == "sankey_v2":
        columns, metrics = [p["source"], p["target"]], [p["metric"]]
    elif chart.viz == "bubble_v2":
        columns, metrics = [p["entity"], p["series"]], [p["x"], p["y"], p["size"]]
    else:
        raise ValueError(f"{chart.key}: no query for viz {chart.viz}")
    query = {
        "filters": [],
        "extras": {"where": " AND ".join(f"({f})" for f in chart.filters), "having": ""},
        "applied_time_extras": {},
        "columns": columns,
        "metrics": metrics,
        "orderby": orderby,
        "annotation_layers": [],
        "row_limit": p.get("row_limit", 1000),
        "series_limit": 0,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
    }
    return json.dumps(
        {
            "datasource": {"id": 0, "type": "table"},
            "force": False,
            "queries": [query],
            "form_data": form_data,
            "result_format": "json",
            "result_type": "full",
        },
        ensure_ascii=False,
    )


def write_bundle(warehouse: Path | None, target: Path = ASSETS) -> None:
    con = duckdb.connect(str(warehouse), read_only=True) if warehouse else None
    descriptions = _descriptions()
    if target.exists():
        shutil.rmtree(target)
    _dump(target / "metadata.yaml", {"version": "1.0.0", "type": "assets", "timestamp": "2026-11-26T00:00:00+00:00"})
    _dump(
        target / "databases" / "Park_warehouse.yaml",
        {
            "database_name": DATABASE_NAME,
            "sqlalchemy_uri": URI_PLACEHOLDER,
            "cache_timeout": None,
            "expose_in_sqllab": True,
            "allow_run_async": False,
            "allow_ctas": False,
            "allow_cvas": False,
            "allow_dml": False,
            "allow_file_upload": False,
            "extra": {
                "allows_virtual_table_explore": True,
                "engine_params": {"connect_args": {"read_only": True}},
                "metadata_params": {},
                "schemas_allowed_for_file_upload": [],
            },
            "impersonate_user": False,
            "uuid": DATABASE_UUID,
            "version": "1.0.0",
        },
    )
    for dataset in DATASETS:
        columns = [_column(n, t, descriptions) for n, t in dataset_columns(con, dataset)]
        _dump(
            target / "datasets" / "Park_warehouse" / f"{dataset.name}.yaml",
            {
                "table_name": dataset.table or dataset.name,
                "main_dttm_col": dataset.dttm,
                "description": dataset.description,
                "default_endpoint": None,
                "offset": 0,
                "cache_timeout": None,
                "catalog": None,
                "schema": "main",
                "sql": dataset.sql.strip() if dataset.sql else None,
                "params": None,
                "template_params": None,
                "filter_select_enabled": True,
                "fetch_values_predicate": None,
                "extra": None,
                "normalize_columns": False,
                "always_filter_main_dttm": False,
                "uuid": uid("dataset", dataset.name),
                "metrics": [
                    {
                        "metric_name": "count",
                        "verbose_name": "COUNT(*)",
                        "metric_type": "count",
                        "expression": "COUNT(*)",
                        "description": None,
                        "d3format": None,
                        "currency": None,
                        "extra": None,
                        "warning_text": None,
                    }
                ],
                "columns": columns,
                "version": "1.0.0",
                "database_uuid": DATABASE_UUID,
            },
        )
    chart_id = 0
    for dashboard in DASHBOARDS:
        position: dict[str, Any] = {
            "DASHBOARD_VERSION_KEY": "v2",
            "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
            "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"},
            "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": dashboard.title}, "type": "HEADER"},
        }
        row: dict[str, Any] | None = None
        row_width = 0
        chart_ids: dict[str, int] = {}
        for chart in dashboard.charts:
            chart_id += 1
            chart_ids[chart.key] = chart_id
            dataset = DATASET_BY_NAME[chart.dataset]
            form_data = {
                "datasource": "0__table",
                "viz_type": chart.viz,
                "adhoc_filters": [where(f) for f in chart.filters],
                "extra_form_data": {},
                "dashboards": [],
                "color_scheme": "supersetColors",
                **chart.params,
            }
            chart_uuid = uid("chart", chart.key)
            _dump(
                target / "charts" / f"{chart.key}.yaml",
                {
                    "slice_name": chart.title,
                    "description": chart.description or None,
                    "certified_by": None,
                    "certification_details": None,
                    "viz_type": chart.viz,
                    "params": form_data,
                    "query_context": _query_context(chart, form_data),
                    "cache_timeout": None,
                    "uuid": chart_uuid,
                    "version": "1.0.0",
                    "dataset_uuid": uid("dataset", dataset.name),
                },
            )
            if row is None or row_width + chart.width > 12:
                row = {
                    "children": [],
                    "id": f"ROW-{dashboard.slug}-{len(position)}",
                    "meta": {"background": "BACKGROUND_TRANSPARENT"},
                    "parents": ["ROOT_ID", "GRID_ID"],
                    "type": "ROW",
                }
                position[row["id"]] = row
                position["GRID_ID"]["children"].append(row["id"])
                row_width = 0
            node_id = f"CHART-{chart.key}"
            row["children"].append(node_id)
            row_width += chart.width
            position[node_id] = {
                "children": [],
                "id": node_id,
                "meta": {
                    "chartId": chart_id,
                    "height": chart.height,
                    "sliceName": chart.title,
                    "uuid": chart_uuid,
                    "width": chart.width,
                },
                "parents": ["ROOT_ID", "GRID_ID", row["id"]],
                "type": "CHART",
            }
        native_filters = []
        for name, dataset_name, column in dashboard.native_filters:
            dataset = DATASET_BY_NAME[dataset_name]
            if column is None:
                excluded = [chart_ids[c.key] for c in dashboard.charts if DATASET_BY_NAME[c.dataset].dttm is None]
                target_spec: dict[str, Any] = {}
                filter_type = "filter_time"
            else:
                has_column = {
                    c.key: column in {n for n, _ in dataset_columns(con, DATASET_BY_NAME[c.dataset])}
                    for c in dashboard.charts
                }
                excluded = [chart_ids[k] for k, ok in has_column.items() if not ok]
                target_spec = {"column": {"name": column}, "datasetUuid": uid("dataset", dataset.name)}
                filter_type = "filter_select"
            native_filters.append(
                {
                    "id": f"NATIVE_FILTER-{uid('filter', dashboard.slug + name)[:12]}",
                    "name": name,
                    "filterType": filter_type,
                    "type": "NATIVE_FILTER",
                    "targets": [target_spec],
                    "controlValues": {
                        "enableEmptyFilter": False,
                        "multiSelect": True,
                        "searchAllOptions": False,
                        "inverseSelection": False,
                        "defaultToFirstItem": False,
                    },
                    "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
                    "cascadeParentIds": [],
                    "scope": {"rootPath": ["ROOT_ID"], "excluded": excluded},
                    "description": "",
                }
            )
        file_name = dashboard.title.replace(" ", "_")
        _dump(
            target / "dashboards" / f"{file_name}.yaml",
            {
                "dashboard_title": dashboard.title,
                "description": dashboard.description or None,
                "css": "",
                "slug": dashboard.slug,
                "certified_by": "",
                "certification_details": "",
                "published": True,
                "uuid": uid("dashboard", dashboard.slug),
                "position": position,
                "metadata": {
                    "color_scheme": "supersetColors",
                    "refresh_frequency": 0,
                    "expanded_slices": {},
                    "label_colors": {},
                    "timed_refresh_immune_slices": [],
                    "cross_filters_enabled": False,
                    "default_filters": "{}",
                    "native_filter_configuration": native_filters,
                },
                "version": "1.0.0",
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a built warehouse to read column types from")
    parser.add_argument("--target", type=Path, default=ASSETS)
    args = parser.parse_args()
    write_bundle(args.warehouse, args.target)
    print(f"wrote {args.target}")


if __name__ == "__main__":
    main()
