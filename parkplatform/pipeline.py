"""The steps the DAGs run, one function per task, so that DAG files stay wiring.

extract (per source) -> landing; normalise -> load the BUILD warehouse -> dbt build (Cosmos) ->
quality gate (:func:`expectations.gate.quality_gate`) -> publish to SERVING.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date
from pathlib import Path

from parkplatform.config import get_settings
from parkplatform.landing import BatchReport, batches_up_to, latest_batch, read_report
from parkplatform.normalise import normalise_batch, normalise_empty
from parkplatform.sources import SourceSpec, resolve, runnable_sources, skipped_sources, source_spec

log = logging.getLogger(__name__)


def extract(name: str, logical_date: date) -> dict:
    """Land one source's batch for ``logical_date``; returns the batch report (reconciled).

    A source that needs PARK_REFERENCE_DIR fails here with its extractor's message when it is unset."""
    report: BatchReport = resolve(source_spec(name).extract)(get_settings(), logical_date)
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
    settings = get_settings()
    normalised: dict[str, Path] = {}
    for spec in runnable_sources(settings.uses_real_registry):
        normalised |= normalise_batch(spec, read_batches(spec, as_of), settings.normalised_dir)
    for spec in skipped_sources(settings.uses_real_registry):
        log.warning("%s: PARK_REFERENCE_DIR is not set; loading it as an empty table", spec.name)
        normalised |= normalise_empty(spec, settings.normalised_dir)
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
