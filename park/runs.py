"""Run the platform's DAGs once for one logical date with a real, embedded Airflow (``dag.test()``).

Prepares a local Airflow home (SQLite metadata), parses the dbt project for Cosmos, runs every extract
DAG and then ``transform_publish``, then renders the weekly report of the latest complete week. The
demo (:mod:`park.demo`) runs this in a child process whose output goes to a log file and shows
its progress; the tests call the functions directly.

    python -m park.runs --logical-date 2026-11-23 --result run.json

There is no internet: World Bank WDI is served on loopback from the reference folder
(:func:`wdi_served_from_reference`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from parkplatform.config import get_settings, runtime_environment

TRANSFORM_DAG = "transform_publish"
REPORT_STEP = "weekly_report"
# the file of dags/ that defines each DAG: the transform and the report have their own, every extract DAG
# is built in one file from the source list
EXTRACT_DAGS_FILE = "extract_sources.py"

log = logging.getLogger(__name__)


class DagRunFailed(RuntimeError):
    """A DAG run did not succeed; names the DAG, its run and the failed tasks."""

    def __init__(self, message: str, dag_id: str = "", run_id: str = "", failed_tasks: tuple[str, ...] = ()):
        super().__init__(message)
        self.dag_id, self.run_id, self.failed_tasks = dag_id, run_id, failed_tasks


@dataclass
class StageTiming:
    dag_id: str
    task_id: str
    state: str
    seconds: float


# the metadata databases this process has migrated (a run for another date needs no second migration)
_MIGRATED: set[str] = set()


def prepare_airflow() -> None:
    """Environment for an embedded Airflow, its SQLite metadata migrated (once per database and process,
    again if its file was removed), the dbt manifest parsed."""
    settings = get_settings()
    environment = runtime_environment(settings)
    os.environ.update(environment)
    settings.airflow_home.mkdir(parents=True, exist_ok=True)
    database = environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    sqlite_file = Path(database.removeprefix("sqlite:///")) if database.startswith("sqlite:///") else None
    if database not in _MIGRATED or (sqlite_file is not None and not sqlite_file.exists()):
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
        _MIGRATED.add(database)
    from parkplatform.dbt import parse_project

    parse_project()


def run_dag(dag_id: str, logical_date: datetime) -> list[StageTiming]:
    """Run one DAG with dag.test(); raise DagRunFailed naming the failed tasks."""
    from airflow.dag_processing.dagbag import DagBag

    path = dag_file(dag_id)
    bag = DagBag(dag_folder=str(path))
    if bag.import_errors:
        raise DagRunFailed(f"DAG import errors: {bag.import_errors}", dag_id)
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise DagRunFailed(f"no DAG {dag_id} in {path}", dag_id)
    dag_run = dag.test(logical_date=logical_date)
    timings = task_timings(dag_id, dag_run.run_id)
    failed = tuple(t.task_id for t in timings if t.state == "failed")
    if dag_run.state != "success" or failed:
        raise DagRunFailed(
            f"{dag_id} run {dag_run.run_id} ended {dag_run.state}; failed tasks: {', '.join(failed) or 'none'}",
            dag_id,
            dag_run.run_id,
            failed,
        )
    return timings


def dag_file(dag_id: str) -> Path:
    """The file defining ``dag_id``: the run's own parse reads only that one, so an extract run does not render
    the transform's 130 Cosmos tasks from the dbt manifest. Airflow's ``dag.test()`` still parses and syncs the
    whole DAG folder once per call; this removes the second of the two parses, not both."""
    own = f"{dag_id}.py" if dag_id in (TRANSFORM_DAG, REPORT_STEP) else EXTRACT_DAGS_FILE
    return get_settings().dags_dir / own


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
    from simulators.wdi_api import WdiMirror

    reference_dir = get_settings().reference_dir
    assert reference_dir is not None
    with WdiMirror(reference_dir) as mirror:
        os.environ["PARK_WDI_BASE_URL"] = mirror.base_url
        try:
            yield mirror.base_url
        finally:
            os.environ.pop("PARK_WDI_BASE_URL", None)


def planned_dags() -> list[str]:
    """The DAGs a run starts, in order: every runnable extract DAG, then the transform."""
    from parkplatform.sources import runnable_sources

    return [spec.dag_id for spec in runnable_sources(get_settings().uses_real_registry)] + [TRANSFORM_DAG]


def backfill_submission_history(logical_date: date) -> list[StageTiming]:
    """The first run of a fresh installation (no park submission received yet): the generated offices' files
    of each history period (:func:`simulators.submissions.history_periods`: last year's and the year before's
    annual reports), sent through the inbox one period at a time, each landed by a run of the submissions'
    extract DAG for the period's last day, as a backfill of that source would; so the marts hold the years
    before the current one (growth on the year before, incubation-stage movements) from the first run.
    Nothing on an installation that has received submissions, or without the registry they need."""
    from parkplatform.intake import Inbox
    from parkplatform.receipts import SUBMISSIONS
    from parkplatform.sources import runnable_sources
    from simulators import submissions

    settings = get_settings()
    if SUBMISSIONS not in {spec.name for spec in runnable_sources(settings.uses_real_registry)}:
        return []
    if Inbox.from_settings(settings).receipts(SUBMISSIONS):
        return []
    timings: list[StageTiming] = []
    for period in submissions.history_periods(logical_date):
        log.info("back-filling the generated offices' submissions of %s", period.label)
        submissions.write_period(settings, logical_date, period)
        timings += run_dag(f"extract_{SUBMISSIONS}", midnight_utc(period.end))
    return timings


def run_platform(
    logical_date: date, *, simulate_sources: bool = True, backfill_history: bool = False
) -> list[StageTiming]:
    """Every runnable extract DAG, then transform_publish, for ``logical_date``; returns task timings.

    First the simulators write what the sources without public data read (park submissions, the member
    list, the CRM: :mod:`simulators.sources`), where the real ones would be, unless ``simulate_sources`` is
    false (they were written beforehand); with ``backfill_history``, a fresh installation first gets the
    offices' history (:func:`backfill_submission_history`). Without PARK_REFERENCE_DIR
    the sources that need it are not run (the transform loads them empty). World Bank WDI is served from
    the reference folder by ``wdi_served_from_reference``.
    """
    from simulators.sources import write_sources

    prepare_airflow()
    timings: list[StageTiming] = []
    if simulate_sources and backfill_history:
        timings += backfill_submission_history(logical_date)
    if simulate_sources:
        write_sources(get_settings(), logical_date)
    with wdi_served_from_reference():
        for dag_id in planned_dags():
            timings += run_dag(dag_id, midnight_utc(logical_date))
    return timings


def render_weekly_report() -> list[Path]:
    """The weekly report (PARK_REPORT_LANG) of the latest complete ISO week in the serving warehouse."""
    from report.render import latest_complete_week
    from report.run import run_weekly_report

    week = latest_complete_week()
    return [path for report in run_weekly_report(week) for path in (report.html_path, report.pdf_path)]


def run_and_record(logical_date: date, result_file: Path) -> int:
    """The whole run (DAGs, then the weekly report) with its outcome written to ``result_file`` as JSON:
    ``ok``, the task timings, the report paths, and on failure the failed DAG, run and tasks, the
    error and its traceback. Returns the process exit code."""
    outcome: dict = {"ok": False, "logical_date": logical_date.isoformat(), "timings": [], "reports": []}
    try:
        timings = run_platform(logical_date, backfill_history=True)
        outcome["timings"] = [asdict(t) for t in timings]
        outcome["dag_id"] = REPORT_STEP  # what runs now, named if it fails
        outcome["reports"] = [str(path) for path in render_weekly_report()]
        outcome["ok"] = True
    except DagRunFailed as failure:
        outcome.update(dag_id=failure.dag_id, run_id=failure.run_id, failed_tasks=list(failure.failed_tasks))
        outcome.update(error=str(failure), traceback=traceback.format_exc())
    except Exception as error:  # noqa: BLE001 - any failure is reported in one paragraph, its traceback logged
        outcome.update(error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
        traceback.print_exc()
    result_file.parent.mkdir(parents=True, exist_ok=True)
    result_file.write_text(json.dumps(outcome, indent=2, default=str), encoding="utf-8")
    return 0 if outcome["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m park.runs", description=__doc__.splitlines()[0])
    parser.add_argument("--logical-date", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--result", type=Path, required=True, help="where to write the run's outcome (JSON)")
    args = parser.parse_args(argv)
    return run_and_record(args.logical_date, args.result)


if __name__ == "__main__":
    sys.exit(main())
