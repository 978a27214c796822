"""`make demo`: the platform's DAGs run once for one logical date, shown as one progress display.

The run itself (:mod:`park.runs`: a real embedded Airflow, every extract DAG, the transform,
the weekly report) happens in a child process whose output, Airflow's, dbt's and every library's, goes
to a log file under ``$PARK_DATA_DIR/logs/``. This process shows a line per DAG and task with its state
and time, read from Airflow's own metadata, and ends with a summary of what was produced and where the
logs are; on failure it names the failed task, the reason in one paragraph and the log file, with no
traceback unless asked (``--verbose``).

Without ``PARK_REFERENCE_DIR`` (and no ``../shared/data/reference`` beside the checkout, which `make demo`
passes as it) the demo first fetches the real reference data from its public upstreams (:mod:`park.reference`,
cached under the data folder); with ``PARK_REFERENCE_SOURCE=generated``, or when the fetch fails for want of
a network, it writes a GENERATED reference folder in the same layouts (:mod:`simulators.reference`) and runs
on it; the summary says which parts are generated.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from parkplatform.config import REPO_ROOT, Settings, get_settings
from parkplatform.origin import is_generated

GENERATED_REFERENCE = "reference-generated"
# what a demo always generates (no public data exists for them, DESIGN.md section 3)
ALWAYS_GENERATED = "park submissions, the alliance member list, CRM projects, payments and match events"
STATE_STYLES = {"success": "green", "failed": "bold red", "running": "yellow", "upstream_failed": "red"}
POLL_SECONDS = 0.5


@dataclass
class Line:
    """One line of the progress display."""

    dag: str
    task: str
    state: str
    seconds: float | None
    seconds_started: float = 0.0  # monotonic clock at the start, for lines this process times itself


def ensure_reference(settings: Settings, console: Console) -> Path:
    """The reference folder of the run, and PARK_REFERENCE_DIR set to it for the run.

    PARK_REFERENCE_DIR (an offline mirror: CI, ../shared/data/reference beside the checkout) is used as it is.
    Without it, the real files are fetched from their public upstreams (:mod:`park.reference`, cached under
    the data folder: a second demo downloads nothing); when the network fails the demo says why and what to
    do offline, and runs on GENERATED reference data (written once per scale and seed under the data folder),
    as it does straight away with PARK_REFERENCE_SOURCE=generated. A download that fails its checksum stops
    the demo: that is never papered over."""
    if settings.reference_dir is not None:
        return settings.reference_dir
    if settings.reference_source == "upstream":
        from park.reference import ChecksumMismatchError, ReferenceFetchError, fetch_reference

        console.print(
            f"No PARK_REFERENCE_DIR: fetching the real reference data into {settings.upstream_reference_dir} …"
        )
        try:
            report = fetch_reference(settings)
        except ChecksumMismatchError:
            raise
        except ReferenceFetchError as error:
            console.print(
                Text(f"Could not fetch the real reference data: {error}", style="bold yellow"),
                Text(
                    "Offline, point PARK_REFERENCE_DIR at a reference folder (a copy of data/reference-upstream "
                    "fetched on a connected machine with `park reference fetch`, or shared/data/reference), or set "
                    "PARK_REFERENCE_SOURCE=generated to skip the fetch. Going on with GENERATED reference data."
                ),
                highlight=False,
            )
        else:
            console.print(
                f"Reference data: {report.downloaded} of {len(report.files)} file(s) downloaded, the rest cached."
            )
            os.environ["PARK_REFERENCE_DIR"] = str(report.reference_dir)
            return report.reference_dir
    from simulators.reference import write_generated_reference

    target = settings.data_dir / GENERATED_REFERENCE
    console.print(f"No real reference data: writing GENERATED reference data to {target} …")
    write_generated_reference(target, settings.scale.parks, settings.seed)
    os.environ["PARK_REFERENCE_DIR"] = str(target)
    return target


def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace(" ", "T"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class AirflowProgress:
    """Task states of the runs a demo started, read from Airflow's SQLite metadata (read-only)."""

    def __init__(self, database: Path):
        self.database = database
        self.first_run_id = self._max_run_id() + 1

    def _query(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        if not self.database.exists():
            return []
        try:
            with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=2) as connection:
                return connection.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError:  # not migrated yet, or busy: the next poll sees it
            return []

    def _max_run_id(self) -> int:
        rows = self._query("select coalesce(max(id), 0) from dag_run")
        return rows[0][0] if rows else 0

    def task_instances(self) -> dict[str, list[tuple]]:
        """dag id -> (task id, state, start, end, duration) of its newest run started by this demo."""
        rows = self._query(
            "select ti.dag_id, ti.task_id, ti.state, ti.start_date, ti.end_date, ti.duration "
            "from task_instance ti join dag_run dr on dr.dag_id = ti.dag_id and dr.run_id = ti.run_id "
            "where dr.id = (select max(id) from dag_run where dag_id = ti.dag_id and id >= ?) "
            "order by ti.start_date is null, ti.start_date, ti.task_id",
            (self.first_run_id,),
        )
        by_dag: dict[str, list[tuple]] = {}
        for dag_id, *task in rows:
            by_dag.setdefault(dag_id, []).append(tuple(task))
        return by_dag


def _seconds(start: str | None, end: str | None, duration: float | None, now: datetime) -> float | None:
    if duration is not None:
        return float(duration)
    started = _utc(start)
    if started is None:
        return None
    return ((_utc(end) or now) - started).total_seconds()


def _group_state(states: list[str]) -> str:
    for state in ("failed", "upstream_failed", "running"):
        if state in states:
            return state
    if states and all(state == "success" for state in states):
        return "success"
    return "running" if "success" in states else "queued"


def dag_lines(dag_id: str, tasks: list[tuple], now: datetime) -> list[Line]:
    """A line per task; the dbt task group (the one build and a task per model) as one line with its count."""
    lines, dbt = [], []
    for task_id, state, start, end, duration in tasks:
        if task_id.startswith("dbt."):
            dbt.append((task_id, state or "queued", start, end))
            continue
        lines.append(Line(dag_id, task_id, state or "queued", _seconds(start, end, duration, now)))
    if dbt:
        starts = [_utc(start) for _, _, start, _ in dbt if start]
        ends = [_utc(end) for _, state, _, end in dbt if end]
        states = [state for _, state, _, _ in dbt]
        finished = sum(state in ("success", "failed", "upstream_failed", "skipped") for state in states)
        state = _group_state(states)
        seconds = None
        if starts:
            last = max(ends) if ends and state in ("success", "failed") else now
            seconds = (last - min(starts)).total_seconds()
        position = next((i for i, line in enumerate(lines) if line.task == "dbt_tests"), len(lines))
        lines.insert(position, Line(dag_id, f"dbt build ({finished} of {len(dbt)} tasks)", state, seconds))
    return lines


def progress_lines(planned: list[str], progress: AirflowProgress, setup: Line, finished: bool) -> list[Line]:
    """The display's lines: the set-up (until the first DAG run starts), then each planned DAG's tasks."""
    now = datetime.now(UTC)
    by_dag = progress.task_instances()
    if setup.state == "running":
        setup.seconds = time.monotonic() - setup.seconds_started
        if by_dag:
            setup.state = "success"
        elif finished:
            setup.state = "failed"
    lines: list[Line] = [setup]
    for dag_id in planned:
        tasks = by_dag.get(dag_id)
        lines += dag_lines(dag_id, tasks, now) if tasks else [Line(dag_id, "", "queued", None)]
    return lines


def render(lines: list[Line], title: str) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("DAG")
    table.add_column("task")
    table.add_column("state")
    table.add_column("seconds", justify="right")
    for line in lines:
        style = STATE_STYLES.get(line.state, "dim")
        seconds = "" if line.seconds is None else f"{line.seconds:,.1f}"
        table.add_row(line.dag, line.task, Text(line.state, style=style), seconds)
    return table


def run_with_progress(settings: Settings, logical_date: date, log_file: Path, result_file: Path, console: Console):
    """Start the run in a child process (output to ``log_file``) and show its progress until it ends;
    returns the child's outcome (the JSON it wrote) and the final lines."""
    from park.runs import planned_dags

    planned = planned_dags() + ["weekly_report"]
    progress = AirflowProgress(settings.airflow_home / "airflow.db")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    setup = Line("setup", "Airflow metadata, dbt manifest, simulated sources", "running", 0.0, started)
    command = [sys.executable, "-m", "park.runs", "--logical-date", logical_date.isoformat()]
    with open(log_file, "ab") as log, Live(console=console, refresh_per_second=2, transient=False) as live:
        child = subprocess.Popen(
            [*command, "--result", str(result_file)], stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
        while True:
            done = child.poll() is not None
            lines = progress_lines(planned, progress, setup, done)
            outcome = _outcome(result_file) if done else {}
            lines = _report_line(lines, outcome, done)
            elapsed = time.monotonic() - started
            live.update(render(lines, f"Park Indicators Platform — {logical_date} — {elapsed:,.0f} s"))
            if done:
                break
            time.sleep(POLL_SECONDS)
    console.print()
    return outcome, lines, time.monotonic() - started


def _report_line(lines: list[Line], outcome: dict, done: bool) -> list[Line]:
    """The weekly report's line: queued until the transform succeeded, then running until the child ends."""
    transform = [line for line in lines if line.dag == "transform_publish" and line.task == "publish"]
    lines = [line for line in lines if line.dag != "weekly_report"]
    if done:
        state = "success" if outcome.get("ok") else ("failed" if outcome.get("dag_id") == "weekly_report" else "")
    else:
        state = "running" if transform and transform[0].state == "success" else "queued"
    if state:
        lines.append(Line("weekly_report", "render (HTML, PDF)", state, None))
    return lines


def _outcome(result_file: Path) -> dict:
    try:
        return json.loads(result_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"ok": False, "error": f"the run ended without writing its outcome ({result_file})"}


def failure_paragraph(outcome: dict, settings: Settings) -> str:
    """Why the run failed, in one paragraph: the failure callback's message (the failed task and its
    error, the quality gate's failed expectations) when the DAG recorded one, else the run's error."""
    from parkplatform.alerts import alert_path

    dag_id, run_id = outcome.get("dag_id") or "", outcome.get("run_id") or ""
    if dag_id and run_id:
        alert = alert_path(dag_id, run_id)
        if alert.is_file():
            return alert.read_text(encoding="utf-8").strip()
    return outcome.get("error") or "unknown error"


def last_traceback(log_file: Path) -> str:
    """The last Python traceback in the log (for --verbose)."""
    text = log_file.read_text(encoding="utf-8", errors="replace")
    start = text.rfind("Traceback (most recent call last)")
    if start < 0:
        return "(no traceback in the log)"
    lines = text[start:].splitlines()
    end = next((i for i, line in enumerate(lines[1:], 1) if line and not line.startswith(" ")), len(lines) - 1)
    return "\n".join(lines[: end + 1])


def print_summary(console: Console, settings: Settings, logical_date: date, outcome: dict) -> None:
    from park.runs import wdi_mirror_wanted
    from parkplatform.landing import latest_batch, read_report
    from parkplatform.serving import open_serving, published_row_counts
    from parkplatform.sources import runnable_sources

    reports = {
        spec.name: read_report(latest_batch(settings.landing_dir, spec.name, logical_date))
        for spec in runnable_sources(settings.uses_real_registry)
    }
    batches = Table(title="Landed batches (received = landed + quarantined)", title_justify="left")
    for column in ("source", "received", "landed", "quarantined", "reasons (most frequent first)"):
        batches.add_column(column, justify="right" if column in ("received", "landed", "quarantined") else "left")
    for name, report in reports.items():
        reasons = sorted(report.quarantine_reasons.items(), key=lambda item: -item[1])
        top = "; ".join(f"{count:,} × {reason.split(':')[0][:40]}" for reason, count in reasons[:2])
        more = f" (+{len(reasons) - 2} more)" if len(reasons) > 2 else ""
        batches.add_row(name, f"{report.received:,}", f"{report.landed:,}", f"{report.quarantined:,}", top + more)
    console.print(batches)
    print_source_details(console, reports)

    with open_serving(settings) as warehouse:
        serving, counts = warehouse.location, published_row_counts(warehouse)
    marts = Table(title=f"Published tables in {serving}", title_justify="left")
    marts.add_column("table")
    marts.add_column("rows", justify="right")
    for table, rows in counts.items():
        marts.add_row(table, f"{rows:,}")
    console.print(marts)

    console.print(Text("Data", style="bold"))
    reference = settings.reference_dir
    if reference is not None and is_generated(reference):
        console.print(
            f"  GENERATED demonstration data: {ALWAYS_GENERATED}, and the reference data (park registry, "
            f"divisions, industry classes, countries, World Bank indicators and exchange rates, NBS province GDP: "
            f"{reference}, see its PROVENANCE.md). Run with a network (the real files are then fetched), put "
            "../shared/data/reference beside the checkout, or set PARK_REFERENCE_DIR, for the real catalogue and "
            "statistics."
        )
    else:
        fetched = (
            " (fetched from its public upstreams: upstream.json there)"
            if reference == settings.upstream_reference_dir
            else ""
        )
        console.print(
            f"  Real reference data from {reference}{fetched}; GENERATED demonstration data: {ALWAYS_GENERATED}."
        )
    console.print(
        "  World Bank WDI was served on 127.0.0.1 from the reference folder (no internet needed)."
        if wdi_mirror_wanted()
        else f"  World Bank WDI was read from {settings.wdi_base_url}."
    )
    console.print(Text("Open next", style="bold"))
    for path in outcome.get("reports", []):
        console.print(f"  weekly report   {path}")
    console.print(
        f"  warehouse       {serving} (DuckDB, open it read-only)"
        if settings.warehouse_engine == "duckdb"
        else f"  warehouse       {serving}, schema main (as the read-only role {settings.pg_reader_role})"
    )
    console.print("  dashboards      make up   (Superset on http://127.0.0.1:8088, the Airflow UI on :8080)")
    console.print("  dbt docs        make docs")
    console.print(f"  landing         {settings.landing_dir} (quarantined rows with their reasons)")
    console.print(f"  quality gate    {settings.quality_dir} (each run's outcomes and Data Docs)")


def print_source_details(console: Console, reports: dict) -> None:
    """What the sources report beside their counts: cluster coverage of the registry, the member list's
    match rate and how many members wait for review, and the window of each incremental batch."""
    registry = reports.get("park_registry")
    if registry is not None and registry.details:
        details = registry.details
        unmapped = ", ".join(f"{term} ({count})" for term, count in details["unmapped_terms"][:5])
        console.print(
            f"Registry: {details['zones_with_cluster']:,} of {details['zones']:,} zones "
            f"({details['cluster_coverage']:.1%}) declare an industry the cluster keywords map"
            + (f"; most frequent unmapped: {unmapped}" if unmapped else "")
        )
    members = reports.get("alliance_members")
    if members is not None and members.details:
        details = members.details
        statuses = ", ".join(f"{status} {count}" for status, count in details["by_status"].items())
        console.print(
            f"Alliance members matched to the catalogue: {details['match_rate']:.1%} ({statuses}); "
            f"{len(details['for_review'])} wait for review (data/landing/alliance_members/…/batch.json)."
        )
    for name, report in reports.items():
        if "watermark_to" in report.details:
            console.print(
                f"{name}: rows updated after {report.details['watermark_from'] or 'the beginning'} "
                f"up to {report.details['watermark_to']} (incremental by updated_at)."
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m park.demo",
        description="Run the platform's DAGs once (embedded Airflow, DuckDB) with one progress display, "
        "then print what they produced.",
    )
    parser.add_argument(
        "--logical-date", type=date.fromisoformat, default=date.today(), help="YYYY-MM-DD (default: today)"
    )
    parser.add_argument("--verbose", action="store_true", help="on failure, also print the Python traceback")
    args = parser.parse_args(argv)
    console = Console()
    if not console.is_terminal:  # a log or a pipe: wide enough for the tables, without wrapping
        console = Console(width=max(console.width, 120))
    settings = get_settings()
    from park.reference import ChecksumMismatchError

    try:
        ensure_reference(settings, console)
    except ChecksumMismatchError as error:
        console.print(Text(f"✗ reference data refused: {error}", style="bold red"), highlight=False)
        return 1
    settings = get_settings()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_file = settings.data_dir / "logs" / f"demo-{args.logical_date}-{stamp}.log"
    result_file = log_file.with_suffix(".json")
    console.print(
        f"Scale {settings.scale.name}, logical date {args.logical_date}; every log goes to {log_file}",
        highlight=False,
    )
    outcome, _, seconds = run_with_progress(settings, args.logical_date, log_file, result_file, console)
    if not outcome.get("ok"):
        failed = ", ".join(outcome.get("failed_tasks") or []) or "(before any task)"
        console.print(
            Text(f"✗ {outcome.get('dag_id') or 'the run'} failed at {failed} after {seconds:,.0f} s", style="bold red")
        )
        console.print(failure_paragraph(outcome, settings), highlight=False, markup=False)
        if args.verbose:
            console.print(last_traceback(log_file), highlight=False, markup=False)
        else:
            console.print("(add --verbose, e.g. make demo DEMO_ARGS=--verbose, for the Python traceback)")
        console.print(f"Log: {log_file}")
        return 1
    print_summary(console, settings, args.logical_date, outcome)
    console.print(f"Done in {seconds:,.0f} s. Every log of the run: {log_file}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
