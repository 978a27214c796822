"""`make demo`: run the platform's DAGs once for one logical date with a real, embedded Airflow.

Prepares a local Airflow home (SQLite metadata), parses the dbt project for Cosmos, runs every
extract DAG and then the transform DAG with ``dag.test()`` (no daemon to start), and prints what
was produced: rows per mart, rows quarantined, where the warehouse and logs are, seconds per stage.
There is no internet: World Bank WDI is served on loopback from the reference folder; without a
reference folder the sources that need one are skipped (and said so in the summary).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from parkplatform.config import get_settings, runtime_environment


class DagRunFailed(RuntimeError):
    pass


@dataclass
class StageTiming:
    dag_id: str
    task_id: str
    state: str
    seconds: float


def prepare_airflow() -> None:
    """Environment for an embedded Airflow, its SQLite metadata migrated, the dbt manifest parsed."""
    settings = get_settings()
    os.environ.update(runtime_environment(settings))
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
    from parkplatform.dbt import parse_project

    parse_project()


def run_dag(dag_id: str, logical_date: datetime) -> list[StageTiming]:
    """Run one DAG with dag.test(); raise DagRunFailed naming the failed tasks."""
    from airflow.dag_processing.dagbag import DagBag

    settings = get_settings()
    bag = DagBag(dag_folder=str(settings.dags_dir))
    if bag.import_errors:
        raise DagRunFailed(f"DAG import errors: {bag.import_errors}")
    dag_run = bag.get_dag(dag_id).test(logical_date=logical_date)
    timings = task_timings(dag_id, dag_run.run_id)
    failed = [t.task_id for t in timings if t.state == "failed"]
    if dag_run.state != "success" or failed:
        raise DagRunFailed(
            f"{dag_id} run {dag_run.run_id} ended {dag_run.state}; failed tasks: {', '.join(failed) or 'none'}"
        )
    return timings


def task_timings(dag_id: str, run_id: str) -> list[StageTiming]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        instances = (
            session.query(TaskInstance)
            .filter(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)
            .order_by(TaskInstance.start_date)
            .all()
        )
        return [StageTiming(dag_id, ti.task_id, str(ti.state), ti.duration or 0.0) for ti in instances]


def midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def wdi_mirror_wanted() -> bool:
    """The run serves WDI itself: PARK_WDI_BASE_URL is unset and a reference folder is set."""
    return not os.environ.get("PARK_WDI_BASE_URL", "").strip() and get_settings().reference_dir is not None


@contextmanager
def wdi_served_from_reference() -> Iterator[str | None]:
    """For the duration of a run without internet: when PARK_WDI_BASE_URL is unset and a reference
    folder is set, serve the WDI API on 127.0.0.1 (a free port) from ``<reference>/world/wdi`` and
    point PARK_WDI_BASE_URL at it; yields that URL (None when nothing was started), then stops
    the mirror and unsets the variable again."""
    if not wdi_mirror_wanted():
        yield None
        return
    from extractors.wdi_mirror import WdiMirror

    reference_dir = get_settings().reference_dir
    assert reference_dir is not None
    with WdiMirror(reference_dir) as mirror:
        os.environ["PARK_WDI_BASE_URL"] = mirror.base_url
        try:
            yield mirror.base_url
        finally:
            os.environ.pop("PARK_WDI_BASE_URL", None)


def run_platform(logical_date: date) -> list[StageTiming]:
    """Every runnable extract DAG, then transform_publish, for ``logical_date``; returns task timings.

    Without PARK_REFERENCE_DIR the sources that need it are not run (the transform loads them empty).
    World Bank WDI is served from the reference folder by ``wdi_served_from_reference``.
    """
    from parkplatform.sources import runnable_sources

    prepare_airflow()
    timings: list[StageTiming] = []
    extract_dags = [spec.dag_id for spec in runnable_sources(get_settings().uses_real_registry)]
    with wdi_served_from_reference():
        for dag_id in [*extract_dags, "transform_publish"]:
            timings += run_dag(dag_id, midnight_utc(logical_date))
    return timings


def print_summary(logical_date: date, timings: list[StageTiming], wall_seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from parkplatform.landing import latest_batch, read_report
    from parkplatform.sources import runnable_sources, skipped_sources
    from parkplatform.warehouse import table_row_counts

    settings = get_settings()
    console = Console()
    origin = "real 2018 catalogue" if settings.uses_real_registry else "GENERATED registry (PARK_REFERENCE_DIR not set)"
    console.print(
        f"[bold]Park Indicators Platform[/bold] — logical date {logical_date}, scale {settings.scale.name}, {origin}"
    )

    batches = Table(title="Landed batches (received = landed + quarantined)")
    for column in ("source", "batch", "received", "landed", "quarantined"):
        batches.add_column(column, justify="left" if column in ("source", "batch") else "right")
    reasons = Table(title="Quarantined rows by reason (rows kept in quarantined.parquet)")
    for column in ("source", "rows", "reason"):
        reasons.add_column(column, justify="right" if column == "rows" else "left")
    for spec in runnable_sources(settings.uses_real_registry):
        report = read_report(latest_batch(settings.landing_dir, spec.name, logical_date))
        batches.add_row(
            spec.name, report.batch_id, f"{report.received:,}", f"{report.landed:,}", f"{report.quarantined:,}"
        )
        for reason, count in report.quarantine_reasons.items():
            reasons.add_row(spec.name, f"{count:,}", reason)
    console.print(batches)
    console.print(reasons)
    print_source_details(
        console,
        {
            spec.name: read_report(latest_batch(settings.landing_dir, spec.name, logical_date))
            for spec in runnable_sources(settings.uses_real_registry)
        },
    )
    skipped = [spec.name for spec in skipped_sources(settings.uses_real_registry)]
    if skipped:
        console.print(
            f"Skipped (PARK_REFERENCE_DIR not set; loaded as empty tables): {', '.join(skipped)}. "
            "Set PARK_REFERENCE_DIR=../shared/data/reference to run them."
        )
    if wdi_mirror_wanted():
        console.print(
            f"World Bank WDI was served from the reference folder ({settings.reference_dir / 'world' / 'wdi'}) "
            "by a loopback mirror of the API on 127.0.0.1 (PARK_WDI_BASE_URL not set; no internet needed)."
        )
    elif "world_bank" not in skipped:
        console.print(f"World Bank WDI was read from {settings.wdi_base_url}.")

    marts = Table(title=f"Published tables in {settings.serving_warehouse}")
    marts.add_column("table")
    marts.add_column("rows", justify="right")
    for table, rows in table_row_counts(settings.serving_warehouse).items():
        marts.add_row(table, f"{rows:,}")
    console.print(marts)

    stages = Table(title="Seconds per stage")
    for column in ("dag", "task", "state", "seconds"):
        stages.add_column(column)
    for timing in timings:
        stages.add_row(timing.dag_id, timing.task_id, timing.state, f"{timing.seconds:.1f}")
    console.print(stages)
    console.print(f"Total wall time: {wall_seconds:.0f} s")
    console.print(f"Serving warehouse: {settings.serving_warehouse}")
    console.print(f"Landing and quarantine: {settings.landing_dir}")
    console.print(f"Quality gate outcomes: {settings.quality_dir}")
    console.print(f"Airflow logs: {settings.airflow_home / 'logs'} (metadata: {settings.airflow_home / 'airflow.db'})")


def render_weekly_report() -> list[Path]:
    """The weekly report (PARK_REPORT_LANG) of the latest complete ISO week in the serving warehouse."""
    from report.render import latest_complete_week
    from report.run import run_weekly_report

    week = latest_complete_week(get_settings().serving_warehouse)
    return [path for report in run_weekly_report(week) for path in (report.html_path, report.pdf_path)]


def print_source_details(console, reports: dict) -> None:
    """What the sources report beside their counts: cluster coverage of the registry (and the terms the
    keyword seed misses), the member list's match rate (and the members left for review), and the
    window of each incremental batch."""
    registry = reports.get("park_registry")
    if registry is not None and registry.details:
        details = registry.details
        unmapped = ", ".join(f"{term} ({count})" for term, count in details["unmapped_terms"][:10])
        console.print(
            f"Cluster coverage of the registry: {details['zones_with_cluster']:,} of {details['zones']:,} zones "
            f"({details['cluster_coverage']:.1%}) declare an industry the keyword seed maps; most frequent "
            f"unmapped terms: {unmapped or 'none'}."
        )
    members = reports.get("alliance_members")
    if members is not None and members.details:
        details = members.details
        statuses = ", ".join(f"{status} {count}" for status, count in details["by_status"].items())
        console.print(f"Alliance members matched to the catalogue: {details['match_rate']:.1%} ({statuses}).")
        for member in details["for_review"]:
            console.print(
                f"  for review: {member['member_id']} {member['member_name']} ({member['status']}): "
                + "; ".join(member["candidates"])
            )
    for name, report in reports.items():
        if "watermark_to" in report.details:
            console.print(
                f"{name}: rows updated after {report.details['watermark_from'] or 'the beginning'} "
                f"up to {report.details['watermark_to']} (incremental by updated_at)."
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--logical-date", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD (default: today)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        timings = run_platform(args.logical_date)
    except DagRunFailed as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        return 1
    print_summary(args.logical_date, timings, time.monotonic() - started)
    for path in render_weekly_report():
        print(f"Weekly report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
