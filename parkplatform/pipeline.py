"""The steps the DAGs run, one function per task, so that DAG files stay wiring.

extract (per source) -> landing; normalise -> load the BUILD warehouse -> dbt build (Cosmos) ->
quality gate -> publish to SERVING.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict
from datetime import date
from pathlib import Path

from parkplatform.alerts import safe_run_id
from parkplatform.config import get_settings
from parkplatform.landing import BatchReport, batches_up_to, latest_batch, read_report
from parkplatform.sources import SOURCES_BY_NAME, SourceSpec, runnable_sources, skipped_sources

log = logging.getLogger(__name__)


def extract(source: str, logical_date: date) -> dict:
    """Land one source's batch for ``logical_date``; returns the batch report (reconciled).

    A source that needs PARK_REFERENCE_DIR fails here with its extractor's message when it is unset."""
    spec = SOURCES_BY_NAME[source]
    extract_batch = getattr(importlib.import_module(spec.module), spec.function)
    report: BatchReport = extract_batch(get_settings(), logical_date)
    log.info(report.summary())
    for reason, count in report.quarantine_reasons.items():
        log.warning("%s: %d row(s) quarantined: %s", report.batch_id, count, reason)
    return asdict(report)


def read_batches(spec: SourceSpec, as_of: date | None) -> list[Path]:
    """The batches the transform reads: the newest on or before ``as_of``, or all of them up to it
    for an incremental source."""
    settings = get_settings()
    if spec.incremental:
        return batches_up_to(settings.landing_dir, spec.name, as_of)
    return [latest_batch(settings.landing_dir, spec.name, as_of)]


def normalise(as_of: date | None) -> dict[str, str]:
    """Normalise the batches each source is read from (:func:`read_batches`) into Parquet, one file per
    warehouse table (a source's own table and the tables derived from it); returns table -> file.

    Without a reference folder the sources that need one were not extracted: they get an empty
    table with their normalised columns (logged), so that the warehouse and dbt keep one shape.
    """
    from parkplatform.normalise import normalise_batch, normalise_empty

    settings = get_settings()
    normalised: dict[str, Path] = {}
    for spec in runnable_sources(settings.uses_real_registry):
        normalised |= normalise_batch(spec.name, read_batches(spec, as_of), settings.normalised_dir)
    for spec in skipped_sources(settings.uses_real_registry):
        log.warning("%s: PARK_REFERENCE_DIR is not set; loading it as an empty table", spec.name)
        normalised |= normalise_empty(spec.name, settings.normalised_dir)
    return {table: str(path) for table, path in normalised.items()}


def load_build(as_of: date | None, normalised: dict[str, str]) -> dict[str, int]:
    """The BUILD warehouse with the normalised sources and their batches' reconciliation, continuing
    from the serving warehouse unless PARK_FULL_REFRESH is set (parkplatform.warehouse.load_build)."""
    from parkplatform.warehouse import load_build as load

    settings = get_settings()
    reports = [
        read_report(batch)
        for spec in runnable_sources(settings.uses_real_registry)
        for batch in read_batches(spec, as_of)
    ]
    on_postgres = settings.warehouse_engine == "postgres"
    counts = load(
        settings.build_warehouse,
        {source: Path(path) for source, path in normalised.items()},
        reports,
        previous=None if settings.full_refresh or on_postgres else settings.serving_warehouse,
        as_of=as_of,
    )
    if on_postgres:
        # dbt reads raw_build and writes the other build schemas; a crashed build never leaks
        from parkplatform.warehouse import copy_raw_to_postgres, reset_postgres_build

        reset_postgres_build(settings.postgres_dsn)
        copy_raw_to_postgres(settings.build_warehouse, settings.postgres_dsn)
    return counts


def quality_gate(run_id: str) -> dict:
    """Validate the BUILD warehouse; raises QualityGateFailed (naming each failed expectation, logged).

    The run is kept in ``quality_dir/<run id>/`` (outcomes, Data Docs); a pass also writes every run's
    outcomes into the build as ``main.quality_validation_results`` for the publish."""
    from expectations.gate import GateConfig, enforce

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


def publish() -> str:
    from parkplatform.publish import publish as publish_build

    settings = get_settings()
    if settings.warehouse_engine == "postgres":
        from parkplatform.publish import publish_postgres

        return ", ".join(
            publish_postgres(
                settings.postgres_dsn,
                reader_role=settings.pg_reader_role,
                reader_password=settings.pg_reader_password,
            )
        )
    return str(publish_build(settings.build_warehouse, settings.serving_warehouse))
