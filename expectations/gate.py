"""The quality gate: a Great Expectations checkpoint over the BUILD warehouse.

Great Expectations validates every suite (``expectations/suites.py``) through its SQL execution engine on
an in-memory DuckDB that sees the build where it lies (:mod:`expectations.validation_db`): the DuckDB
build file attached read-only, or the Parquet files a PostgreSQL build is exported to by the exporter
the pipeline passes (``parkplatform.warehouse.postgres_exporter``). Every metric is a DuckDB query, so
the gate's time and memory follow DuckDB's aggregates, not the size of the marts (the pandas route it
replaced peaked at 17 GB at national scale). The run-dependent tables (the sources' freshness, the
reconciliations' difference tables) are computed by DuckDB there too. One checkpoint holds one
validation definition per suite and updates the run's Data Docs.

Each run, passed or failed, is kept in ``<quality dir>/<run>/``: ``outcomes.json`` (one row per
expectation, the columns of ``main.quality_validation_results``), ``run.json`` (as_of, success, row
counts, the Data Docs' index), ``data_docs/index.html`` and ``tables/reconcile.*.parquet`` (what each
reconciliation found). Only a gate without a failed critical expectation lets the build publish; a
passing gate first writes the history of all runs into the build as ``main.quality_validation_results``,
so it reaches serving with the publish.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from parkplatform.alerts import GATE_SUMMARY_FILE, safe_run_id
from parkplatform.config import get_settings
from parkplatform.dbt import DBT_PROJECT_DIR
from parkplatform.sources import runnable_sources, sources
from parkplatform.warehouse import RESULTS_TABLE

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "publish_gate"
OUTCOMES_FILE = "outcomes.json"
RUN_FILE = "run.json"
DOCS_SITE = "gate_site"
DEFAULT_ROW_COUNT_BAND = 0.3
DEFAULT_FRESHNESS_GRACE_DAYS = 3

# a warehouse the gate cannot attach (PostgreSQL): table (schema-qualified) list -> {table: Parquet
# file}; a table the warehouse lacks is left out
Exporter = Callable[[Path, list[str], Path], dict[str, Path]]


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    expected: str
    observed: str

    def describe(self) -> str:
        where = f"{self.suite}.{self.column}" if self.column else self.suite
        return f"{where}: {self.expectation} expected {self.expected}, observed {self.observed}"


@dataclass(frozen=True)
class GateResult:
    success: bool
    outcomes: list[ExpectationOutcome]
    run_id: str = ""
    as_of: date | None = None
    data_docs: Path | None = None
    row_counts: dict[str, int] | None = None

    @property
    def failed_critical(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]


def _failure_message(failed: list[ExpectationOutcome], data_docs: Path | str | None) -> str:
    lines = "\n".join(f"  - {outcome.describe()}" for outcome in failed)
    docs = f"\nData Docs: {data_docs}" if data_docs else ""
    return f"quality gate failed, build not published; failed critical expectations:\n{lines}{docs}"


class QualityGateFailed(RuntimeError):
    """At least one critical expectation failed: the build must not be published."""

    def __init__(self, result: GateResult):
        self.result = result
        super().__init__(_failure_message(result.failed_critical, result.data_docs))


@dataclass(frozen=True)
class GateConfig:
    """What the gate needs besides the build: the sources the build should hold (name -> schedule),
    the row-count band and the freshness grace (PARK_ROW_COUNT_BAND, PARK_FRESHNESS_GRACE_DAYS)."""

    sources: dict[str, str]
    row_count_band: float = DEFAULT_ROW_COUNT_BAND
    freshness_grace_days: int = DEFAULT_FRESHNESS_GRACE_DAYS


_KWARGS_NOT_EXPECTED = {"batch_id", "column", "result_format", "mostly", "condition_parser"}


def _condition(condition: Any) -> Any:
    """A row condition as the reader would write it: ``source == 'world_bank'``."""
    if isinstance(condition, dict) and condition.get("type") == "comparison":
        return f"{condition['column']['name']} {condition['operator']} {condition['parameter']!r}"
    return condition


def _expected(kwargs: dict[str, Any]) -> str:
    shown = {key: value for key, value in kwargs.items() if key not in _KWARGS_NOT_EXPECTED and value is not None}
    if "row_condition" in shown:
        shown["row_condition"] = _condition(shown["row_condition"])
    if kwargs.get("mostly") is not None:
        shown["mostly"] = kwargs["mostly"]
    return json.dumps(shown, ensure_ascii=False, default=str) if shown else "true"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _observed(result: dict[str, Any], exception_info: Any = None) -> str:
    """What GX observed, for a person: the value, or how many rows broke the rule and a sample; an
    expectation GX could not compute says why (it fails, it never passes silently)."""
    raised = _raised(exception_info)
    if raised:
        return f"not computed: {raised}"
    if "observed_value" in result:
        return json.dumps(result["observed_value"], ensure_ascii=False, default=str)
    unexpected = result.get("unexpected_count")
    if unexpected is None:
        return "n/a"
    # a missing value (null, or NaN in a double column) is shown as null
    sample = [None if _is_missing(value) else value for value in result.get("partial_unexpected_list", [])][:5]
    return f"{unexpected} of {result.get('element_count')} rows unexpected, e.g. {json.dumps(sample, ensure_ascii=False, default=str)}"


def _raised(exception_info: Any) -> str | None:
    """The message of an exception GX caught while computing an expectation's metrics, if any."""
    if not exception_info:
        return None
    infos = exception_info.values() if "raised_exception" not in exception_info else [exception_info]
    for info in infos:
        if isinstance(info, dict) and info.get("raised_exception"):
            return str(info.get("exception_message"))
    return None


def _derive_tables(connection: Any, workdir: Path, as_of: date | None) -> tuple[date, list[str]]:
    """The run's as_of (newest batch loaded) and the derived tables, computed in the validation database:
    the sources' freshness and the reconciliations' difference tables (each also kept as Parquet in
    ``workdir`` for a person to read)."""
    from expectations.suites import FRESHNESS_SQL, FRESHNESS_SUITE, RECONCILIATIONS
    from expectations.validation_db import copy_to_parquet, materialise

    if as_of is None:
        (newest,) = connection.execute("select max(cast(logical_date as date)) from raw__landing_batches").fetchone()
        if newest is None:
            raise ValueError("raw.landing_batches is empty: the build holds no landed batch")
        as_of = newest
    materialise(connection, FRESHNESS_SUITE, FRESHNESS_SQL.replace("$as_of", f"'{as_of.isoformat()}'"))
    for reconciliation in RECONCILIATIONS:
        materialise(connection, reconciliation.suite, reconciliation.sql)
        copy_to_parquet(connection, reconciliation.suite, workdir / f"{reconciliation.suite}.parquet")
    return as_of, [FRESHNESS_SUITE, *(reconciliation.suite for reconciliation in RECONCILIATIONS)]


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def previous_row_counts(quality_dir: Path, as_of: date, exclude_run: str) -> dict[str, int]:
    """Row counts of the newest passed run for ``as_of`` or an earlier date (what was published last)."""
    runs = []
    for path in quality_dir.glob(f"*/{RUN_FILE}"):
        run = _read_json(path)
        if run["success"] and run["run_id"] != exclude_run and date.fromisoformat(run["as_of"]) <= as_of:
            runs.append(run)
    if not runs:
        return {}
    return max(runs, key=lambda run: (run["as_of"], run["validated_at"]))["row_counts"]


def validate_build(
    build: Path,
    run_dir: Path,
    config: GateConfig,
    *,
    run_id: str = "",
    quality_dir: Path | None = None,
    export: Exporter | None = None,
    as_of: date | None = None,
) -> GateResult:
    """Run the checkpoint over every suite of ``build``; never raises on failed data.

    A DuckDB build is attached read-only; with ``export`` (a PostgreSQL build) its tables are exported to
    Parquet in ``run_dir/tables`` first (removed afterwards). Data Docs go to ``run_dir/data_docs``.
    ``as_of`` defaults to the newest logical date in ``raw.landing_batches``."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations.suites import RunFacts, all_contracts, contract_tables, suites
    from expectations.validation_db import (
        add_gx_datasource,
        attach_duckdb_build,
        attach_parquet_exports,
        row_counts,
        validation_database,
        view_name,
    )

    workdir = run_dir / "tables"
    workdir.mkdir(parents=True, exist_ok=True)
    with validation_database() as connection:
        exported: dict[str, Path] = {}
        if export is None:
            tables = attach_duckdb_build(connection, build, contract_tables())
        else:
            exported = export(build, contract_tables(), workdir)
            tables = attach_parquet_exports(connection, exported)
        as_of, derived = _derive_tables(connection, workdir, as_of)
        counts = row_counts(connection, tables)
        facts = RunFacts(
            as_of=as_of,
            sources=config.sources,
            previous_counts=previous_row_counts(quality_dir, as_of, run_id) if quality_dir else {},
            row_count_band=config.row_count_band,
            freshness_grace_days=config.freshness_grace_days,
        )
        checks_by_suite = suites(facts, set(tables))
        # a table the build should hold and does not: a failed critical expectation, not a crash
        outcomes = [
            ExpectationOutcome(contract.table, "expect_table_to_exist", None, "critical", False, "true", "missing")
            for contract in all_contracts()
            if contract.table not in tables and (contract.source is None or contract.source in config.sources)
        ]

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        docs_dir = run_dir / "data_docs"
        context.add_data_docs_site(
            DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        datasource = add_gx_datasource(context, "build_warehouse", connection)
        definitions = []
        for suite_name, checks in checks_by_suite.items():
            if suite_name not in tables and suite_name not in derived:
                continue
            asset = datasource.add_table_asset(suite_name, table_name=view_name(suite_name))
            batch = asset.add_batch_definition_whole_table(suite_name)
            # the severity each check declares travels with its expectation (GX's own severity field)
            expectations = [check.expectation.copy(update={"severity": check.severity}) for check in checks]
            suite = context.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
            definitions.append(
                context.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))
            )
        # BASIC: the count and a sample of the rows that break a rule (what an outcome's `observed` says); GX's
        # default (SUMMARY) also counts every sampled value, a query more per column rule that nothing here reads
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=CHECKPOINT_NAME, validation_definitions=definitions, result_format="BASIC")
        )

        for run in checkpoint.run().run_results.values():
            for result in run.results:
                expectation = result.expectation_config
                outcomes.append(
                    ExpectationOutcome(
                        suite=run.suite_name,
                        expectation=expectation.type,
                        column=expectation.kwargs.get("column"),
                        severity=str(expectation.severity.value),
                        success=bool(result.success),
                        expected=_expected(expectation.kwargs),
                        observed=_observed(result.result or {}, result.exception_info),
                    )
                )
        # one build of the run's Data Docs from the stored validation results (not one per suite)
        context.build_data_docs(site_names=[DOCS_SITE])
    for path in exported.values():
        path.unlink(missing_ok=True)
    gate = GateResult(
        success=not any(not o.success and o.severity == "critical" for o in outcomes),
        outcomes=outcomes,
        run_id=run_id,
        as_of=as_of,
        data_docs=docs_dir / "index.html",
        row_counts=counts,
    )
    for warning in gate.failed_warnings:
        log.warning("quality warning (does not block): %s", warning.describe())
    return gate


def _store(result: GateResult, run_dir: Path, validated_at: datetime) -> None:
    """``run_dir/outcomes.json`` (rows of main.quality_validation_results) and ``run_dir/run.json``."""
    rows = [
        {
            "run_id": result.run_id,
            "validated_at": validated_at.isoformat(),
            "as_of": result.as_of.isoformat() if result.as_of else None,
            "suite": o.suite,
            "expectation": o.expectation,
            "column_name": o.column,
            "severity": o.severity,
            "success": o.success,
            "expected": o.expected,
            "observed": o.observed,
        }
        for o in result.outcomes
    ]
    (run_dir / OUTCOMES_FILE).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    run = {
        "run_id": result.run_id,
        "validated_at": validated_at.isoformat(),
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "success": result.success,
        "expectations": len(result.outcomes),
        "failed_critical": len(result.failed_critical),
        "failed_warnings": len(result.failed_warnings),
        "data_docs": str(result.data_docs) if result.data_docs else None,
        "row_counts": result.row_counts or {},
    }
    (run_dir / RUN_FILE).write_text(json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8")
    (run_dir / GATE_SUMMARY_FILE).write_text(failure_summary(run_dir) + "\n", encoding="utf-8")


def _display_labels(domain: str, language: str) -> dict[str, str]:
    """The labels in ``language`` (cn or en) of one domain of the dbt seed display_labels (code -> label_cn or
    label_en): the dashboards show the outcomes by name, and the seed is where every code's name is kept."""
    import csv

    with (DBT_PROJECT_DIR / "seeds" / "display_labels.csv").open(encoding="utf-8") as handle:
        return {row["code"]: row[f"label_{language}"] for row in csv.DictReader(handle) if row["domain"] == domain}


def results_history(quality_dir: Path):
    """Every stored run's outcomes (passed and failed) as one frame with the columns and types of
    ``main.quality_validation_results``, oldest run first, each code also by its Chinese and its English name
    (seed display_labels; the code itself where the seed has none, as macros label_cn and label_en do)."""
    import polars as pl

    schema = {
        "run_id": pl.String,
        "validated_at": pl.String,
        "as_of": pl.String,
        "suite": pl.String,
        "expectation": pl.String,
        "column_name": pl.String,
        "severity": pl.String,
        "success": pl.Boolean,
        "expected": pl.String,
        "observed": pl.String,
    }
    frames = [pl.DataFrame(_read_json(path), schema=schema) for path in sorted(quality_dir.glob(f"*/{OUTCOMES_FILE}"))]
    history = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    return history.with_columns(
        pl.col("validated_at").str.to_datetime(time_zone="UTC").dt.replace_time_zone(None),
        pl.col("as_of").str.to_date(),
        *(
            code.replace(_display_labels(domain, language)).alias(f"{name}_{language}")
            for language in ("cn", "en")
            for code, domain, name in (
                (pl.col("expectation"), "expectation", "expectation"),
                (pl.col("severity"), "severity", "severity"),
                (pl.col("success").cast(pl.String), "check_result", "result"),
            )
        ),
    ).sort("validated_at", "run_id", maintain_order=True)


def write_results_table(build: Path, history) -> int:
    """DuckDB: ``main.quality_validation_results`` of ``build`` := ``history`` plus the rows of runs it
    does not hold that the build already had (continued from serving); returns the table's rows."""
    import duckdb

    schema, name = RESULTS_TABLE.split(".")
    with duckdb.connect(str(build)) as con:
        con.register("history_frame", history.to_arrow())
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
        kept = (
            f" union all by name select * from {RESULTS_TABLE} where run_id not in (select run_id from history_frame)"
            if exists
            else ""
        )
        con.execute(
            f"create or replace table {RESULTS_TABLE} as select * from ("
            f"select run_id, validated_at, as_of, suite, expectation, column_name, severity, success, expected, observed, "
            f"expectation_cn, severity_cn, result_cn, expectation_en, severity_en, result_en from history_frame{kept}) order by validated_at, run_id"
        )
        con.unregister("history_frame")
        (rows,) = con.execute(f"select count(*) from {RESULTS_TABLE}").fetchone()
        con.execute("checkpoint")
    return rows


def failure_summary(run_dir: Path) -> str:
    """The human message of a stored run: each failed critical expectation (suite, expectation,
    column, expected vs observed) and where its Data Docs are; for the DAG's failure callback."""
    outcomes_file = run_dir / OUTCOMES_FILE
    if not outcomes_file.is_file():
        return f"no stored outcomes at {outcomes_file} (the gate stopped before it had validated the build)"
    rows = _read_json(outcomes_file)
    run_file = run_dir / RUN_FILE
    docs = _read_json(run_file).get("data_docs") if run_file.exists() else None
    failed = [
        ExpectationOutcome(
            row["suite"],
            row["expectation"],
            row["column_name"],
            row["severity"],
            False,
            row["expected"],
            row["observed"],
        )
        for row in rows
        if not row["success"] and row["severity"] == "critical"
    ]
    if not failed:
        warnings = sum(1 for row in rows if not row["success"])
        return f"quality gate passed: {len(rows)} expectations, {warnings} warnings" + (
            f"\nData Docs: {docs}" if docs else ""
        )
    return _failure_message(failed, docs)


def enforce(
    build: Path,
    run_dir: Path,
    config: GateConfig | None = None,
    *,
    quality_dir: Path | None = None,
    export: Exporter | None = None,
    write_results: Callable[[Path, Any], int] = write_results_table,
) -> GateResult:
    """Validate ``build`` and keep the run in ``run_dir`` (a folder of ``quality_dir``, default its
    parent); raise QualityGateFailed on a failed critical expectation. On a pass, write the history
    of every run so far into the build (``main.quality_validation_results``) for the publish."""
    config = config or GateConfig(sources={spec.name: spec.schedule for spec in sources()})
    quality_dir = quality_dir or run_dir.parent
    if run_dir.exists():  # a re-run of the same run id replaces its folder
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    validated_at = datetime.now(UTC).replace(microsecond=0)
    result = validate_build(build, run_dir, config, run_id=run_dir.name, quality_dir=quality_dir, export=export)
    _store(result, run_dir, validated_at)
    log.info("quality gate Data Docs: %s", result.data_docs)
    if not result.success:
        failure = QualityGateFailed(result)
        log.error("%s", failure)
        raise failure
    rows = write_results(build, results_history(quality_dir))
    log.info(
        "quality gate passed: %d expectations, %d warnings; %d rows in %s",
        len(result.outcomes),
        len(result.failed_warnings),
        rows,
        RESULTS_TABLE,
    )
    return result


def quality_gate(run_id: str) -> dict:
    """Validate the BUILD warehouse; raises QualityGateFailed (naming each failed expectation, logged).

    The run is kept in ``quality_dir/<run id>/`` (outcomes, Data Docs); a pass also writes every run's
    outcomes into the build as ``main.quality_validation_results`` for the publish."""
    settings = get_settings()
    run_dir = settings.quality_dir / safe_run_id(run_id)
    config = GateConfig(
        sources={spec.name: spec.schedule for spec in runnable_sources(settings.uses_real_registry)},
        row_count_band=settings.row_count_band,
        freshness_grace_days=settings.freshness_grace_days,
    )
    engine_hooks = {}
    if settings.warehouse_engine == "postgres":
        from parkplatform.warehouse import postgres_exporter, postgres_results_writer

        # the gate reads the build schemas and writes its results table into marts_build
        engine_hooks = {
            "export": postgres_exporter(settings.postgres_dsn),
            "write_results": postgres_results_writer(settings.postgres_dsn),
        }
    result = enforce(settings.build_warehouse, run_dir, config, quality_dir=settings.quality_dir, **engine_hooks)
    return {
        "expectations": len(result.outcomes),
        "warnings": len(result.failed_warnings),
        "outcomes": str(run_dir),
        "data_docs": str(result.data_docs),
    }
