"""The steps the DAGs run, one function per task, so that DAG files stay wiring.

extract (per source) -> landing; normalise -> load the BUILD warehouse -> dbt build (Cosmos) ->
quality gate (:func:`expectations.gate.quality_gate`) -> publish to SERVING.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date
from pathlib import Path

from parkplatform.config import Settings, get_settings
from parkplatform.landing import BatchReport, batches_up_to, latest_batch, read_report
from parkplatform.normalise import normalise_batch, normalise_empty
from parkplatform.sources import SourceSpec, resolve, runnable_sources, skipped_sources, source_spec
from parkplatform.warehouse import built_as_of

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


class ServingIsNewer(RuntimeError):
    """The run is for an earlier date than what serving already describes: a backfill or a re-run of a past
    date never takes serving back in time."""


def serving_as_of(settings: Settings) -> date | None:
    """The date the serving warehouse describes (the newest logical date of the batches it was built from)."""
    from parkplatform.serving import ServingNotFound, open_serving

    try:
        with open_serving(settings) as reader:
            if not reader.exists("staging", "stg_landing__batches"):
                return None
            newest = reader.rows("select max(logical_date) as newest from staging.stg_landing__batches")[0]["newest"]
    except ServingNotFound:
        return None
    return date.fromisoformat(str(newest)[:10]) if newest else None


def build_as_of(settings: Settings) -> date | None:
    """The date the build describes (the newest logical date of the batches it was loaded from)."""
    return built_as_of(settings.build_warehouse)


def refuse_going_back(as_of: date | None, settings: Settings, *, what: str) -> None:
    """Raise :class:`ServingIsNewer` when ``as_of`` is earlier than the date serving describes (``what``: the
    build or the run, for the message); the same date or a later one, or no date, passes."""
    serving = serving_as_of(settings)
    if as_of is not None and serving is not None and as_of < serving:
        raise ServingIsNewer(
            f"{what} describes {as_of}, serving already describes {serving}; serving only moves forward and "
            "its weekly and monthly marts already hold every past week and month (see the operator runbook)"
        )


def serving_moves_forward(as_of: date | None) -> bool:
    """Before anything is built, whether a run for ``as_of`` goes on: not for a date older than serving's (a
    backfill or a re-run of a past logical date; logged with both dates), since its build could never be
    published and the newest build already holds that date's weeks and months. A run without a date
    (Asset-triggered) reads the newest batches and always goes on."""
    try:
        refuse_going_back(as_of, get_settings(), what="not built: this run")
    except ServingIsNewer as newer:
        log.warning("%s", newer)
        return False
    return True


def publish() -> str:
    """Publish the validated build, unless serving already describes a later date (:class:`ServingIsNewer`)."""
    from parkplatform.publish import publish as publish_build

    settings = get_settings()
    refuse_going_back(build_as_of(settings), settings, what="not published: this build")
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
