"""Generation (set-up, reported apart), each pipeline stage alone, and the whole run through the real DAGs.

Every stage calls the platform's own function, in a fresh process, on the scratch data folder:

============  ==========================================================================================
generate      ``extractors.park_submissions.generate`` (the park offices' files) and
              ``extractors.crm.ensure_generated`` (the CRM's exports as of the logical date)
extract       ``parkplatform.pipeline.extract`` of every source (what each extract DAG's task runs), with
              WDI served from the reference folder on loopback as ``run_platform`` does; see below
normalise     ``parkplatform.pipeline.normalise``
load          ``parkplatform.pipeline.load_build`` with ``PARK_FULL_REFRESH=1`` (a refresh: the build starts
              empty)
dbt_build     ``parkplatform.dbt.build_project()``: one plain ``dbt build`` of the whole project
quality_gate  ``expectations.gate.quality_gate``
publish       ``parkplatform.pipeline.publish``
report        ``park.runs.render_weekly_report`` (HTML and PDF of the latest complete week)
============  ==========================================================================================

*Extract and land* is everything an extract task does (the simulators wrote the sources beforehand, in the
generate stage): reading the park offices' files (CSV in several encodings and XLSX), validating every row,
resolving duplicates; reading the CRM's export part files for the batch's window and validating projects and
the stage order of match events; the alliance member list, the registry, WDI over HTTP from the loopback mirror,
the NBS workbook and the reference tables; and landing each batch as Parquet.

Between runs the state a stage starts from is restored (not timed): the build as loaded (a copy kept under
``snapshots/``) before each ``dbt_build``; the quality folder emptied before each ``quality_gate`` (a run
replaces the results table the previous one wrote into the build); serving renamed back to the build before each
``publish``. Only the loaded build is copied, so the scratch folder holds one extra copy of the raw tables. The plain dbt build writes its target (and a ``dbt parse`` made beforehand)
under the scratch folder, never the checkout's ``dbt_project/target``.

End to end: ``park.runs.run_platform`` (``prepare_airflow`` - metadata migrated, ``dbt parse`` for
Cosmos - then ``dag.test()`` of every extract DAG and ``transform_publish``), then the weekly report, on a data
folder holding only the generated sources and the inbox as the simulators sent into it.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

from benchmarks.harness import Context, Workspace, measure, rate
from benchmarks.worker import Timer

# the stages summed into "extract to report", in pipeline order (generation is set-up, reported apart)
STAGES = ("extract", "normalise", "load", "dbt_build", "quality_gate", "publish", "report")
# the transform: normalise to publish
TRANSFORM = ("normalise", "load", "dbt_build", "quality_gate", "publish")
# what the state names mean: which steps produced them (in order)
STATES = ("generated", "landed", "normalised", "loaded", "built", "gated", "published")


# ================================================================================ in the worker process


def _day(logical_date: str) -> date:
    return date.fromisoformat(logical_date)


def _folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


def generate(logical_date: str) -> dict:
    """The simulators write what the sources without public data read (simulators.sources), timed apart."""
    from extractors.crm import extract as crm
    from parkplatform.config import get_settings
    from simulators import crm as crm_simulator
    from simulators import members as members_simulator
    from simulators import submissions as submissions_simulator

    settings, day = get_settings(), _day(logical_date)
    with Timer() as submissions:
        files = submissions_simulator.write_period(settings, day)
    with Timer() as members:
        members_simulator.write_export(settings, day)
    with Timer() as crm_timer:
        crm_simulator.write_snapshot(settings, day)
    export = crm_simulator.read_export_result(crm.export_dir(settings.sources_dir, day))
    return {
        "seconds": submissions.seconds + members.seconds + crm_timer.seconds,
        "submissions_seconds": round(submissions.seconds, 3),
        "members_seconds": round(members.seconds, 3),
        "crm_seconds": round(crm_timer.seconds, 3),
        "submission_files": len(files),
        "submission_rows": settings.scale.enterprises,
        # the offices' files are in the folders of the periods their cadences have due
        "submission_bytes": sum(path.stat().st_size for path in files),
        "crm_projects": export.projects if export else None,
        "crm_events": export.events if export else None,
        "crm_payments": export.payments if export else None,
        "crm_export_bytes": _folder_bytes(crm.export_dir(settings.sources_dir, day)),
    }


def extract(logical_date: str, sources: list[str] | None = None) -> dict:
    from park.runs import wdi_served_from_reference
    from parkplatform import pipeline
    from parkplatform.config import get_settings
    from parkplatform.sources import runnable_sources

    day = _day(logical_date)
    names = sources or [spec.name for spec in runnable_sources(get_settings().uses_real_registry)]
    per_source = {}
    with wdi_served_from_reference(), Timer() as total:
        for name in names:
            with Timer() as one:
                report = pipeline.extract(name, day)
            per_source[name] = {
                "seconds": round(one.seconds, 3),
                "received": report["received"],
                "landed": report["landed"],
                "quarantined": report["quarantined"],
            }
    return {
        "seconds": total.seconds,
        "rows": sum(source["received"] for source in per_source.values()),
        "landed": sum(source["landed"] for source in per_source.values()),
        "per_source": per_source,
    }


def normalise(logical_date: str) -> dict:
    import pyarrow.parquet as pq

    from parkplatform import pipeline

    with Timer() as timer:
        tables = pipeline.normalise(_day(logical_date))
    return {
        "seconds": timer.seconds,
        "rows": sum(pq.read_metadata(path).num_rows for path in tables.values()),
        "bytes": sum(Path(path).stat().st_size for path in tables.values()),
        "tables": tables,
    }


def load(logical_date: str, normalised: dict[str, str]) -> dict:
    from parkplatform import pipeline
    from parkplatform.config import get_settings

    with Timer() as timer:
        counts = pipeline.load_build(_day(logical_date), normalised)
    return {
        "seconds": timer.seconds,
        "rows": sum(counts.values()),
        "tables": len(counts),
        "build_bytes": get_settings().build_warehouse.stat().st_size,
    }


def dbt_parse(logical_date: str) -> dict:
    """``dbt parse`` into the step's target (set-up: later builds parse partially, as a deployment's would)."""
    from parkplatform.dbt import parse_project

    with Timer() as timer:
        parse_project()
    return {"seconds": timer.seconds}


def dbt_nodes(target: Path) -> dict:
    """Nodes of the last dbt invocation (``run_results.json``) by resource type and status."""
    path = target / "run_results.json"
    if not path.exists():
        return {}
    counts: dict[str, int] = {}
    for result in json.loads(path.read_text(encoding="utf-8"))["results"]:
        key = f"{result['unique_id'].split('.')[0]}:{result['status']}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def dbt_build(logical_date: str, arguments: list[str] | None = None) -> dict:
    from parkplatform.dbt import build_project

    with Timer() as timer:
        build_project(*(arguments or []))
    return {"seconds": timer.seconds, "nodes": dbt_nodes(Path(os.environ.get("DBT_TARGET_PATH", "")))}


def quality_gate(logical_date: str, run_id: str = "benchmark") -> dict:
    from expectations import gate

    with Timer() as timer:
        outcome = gate.quality_gate(run_id)
    return {"seconds": timer.seconds, "expectations": outcome["expectations"], "warnings": outcome["warnings"]}


def publish(logical_date: str) -> dict:
    from parkplatform import pipeline

    with Timer() as timer:
        serving = pipeline.publish()
    return {"seconds": timer.seconds, "serving_bytes": Path(serving).stat().st_size}


def report(logical_date: str) -> dict:
    from park.runs import render_weekly_report

    with Timer() as timer:
        paths = render_weekly_report()
    return {"seconds": timer.seconds, "files": len(paths)}


def task_instances() -> list[dict]:
    """Every task instance of the embedded Airflow's metadata: DAG, task, state, start, end, duration."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(
            TaskInstance.dag_id,
            TaskInstance.task_id,
            TaskInstance.state,
            TaskInstance.start_date,
            TaskInstance.end_date,
            TaskInstance.duration,
        ).all()
    return [
        {
            "dag_id": dag_id,
            "task_id": task_id,
            "state": str(state),
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "seconds": round(duration or 0.0, 3),
        }
        for dag_id, task_id, state, start, end, duration in rows
    ]


def end_to_end(logical_date: str) -> dict:
    from park import runs

    prepare = Timer()
    original_prepare = runs.prepare_airflow

    def timed_prepare() -> None:
        with prepare:
            original_prepare()

    runs.prepare_airflow = timed_prepare  # run_platform looks it up in its module: its time is told apart
    try:
        with Timer() as total:
            with Timer() as dags:
                runs.run_platform(_day(logical_date), simulate_sources=False)  # written by the generate stage
            with Timer() as weekly:
                runs.render_weekly_report()
    finally:
        runs.prepare_airflow = original_prepare
    return {
        "seconds": total.seconds,
        "dags_seconds": round(dags.seconds, 3),
        "prepare_airflow_seconds": round(prepare.seconds, 3),
        "report_seconds": round(weekly.seconds, 3),
        "tasks": task_instances(),
    }


# ================================================================================ in the harness process


def _remove(*folders: Path) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def prepare_dbt_target(ctx: Context) -> None:
    """A ``dbt parse`` into the scratch folder's dbt target, once (not a figure)."""
    if "dbt_parsed" not in ctx.workspace.states:
        measure(ctx, "prepare", "stages:dbt_parse", runs=1)
        ctx.workspace.states.add("dbt_parsed")


# what the simulators write: the files of the sources without public data, and the offices' and the CRM's
# member files sent into the inbox (whose ledger the extracts then add their landings to)
GENERATED = ("sources", "inbox")


def _generated(ws: Workspace) -> None:
    """The workspace holds the generated inputs; the inbox is kept as sent, before any extract records a
    landing in its ledger: what a run on the generated sources starts from (:func:`as_generated`)."""
    _remove(ws.snapshots / "inbox")
    shutil.copytree(ws.data_dir / "inbox", ws.snapshots / "inbox")
    ws.states.add("generated")


def as_generated(ws: Workspace) -> None:
    """The data folder as the simulators left it: what runs produced removed, the generated sources kept and
    the inbox as sent put back (its files and ledger as :func:`_generated` kept them)."""
    _remove(*(path for path in ws.data_dir.iterdir() if path.name not in GENERATED))
    _remove(ws.data_dir / "inbox")
    shutil.copytree(ws.snapshots / "inbox", ws.data_dir / "inbox")


def run_generate(ctx: Context) -> dict:
    ws = ctx.workspace
    figures = measure(
        ctx, "stages", "stages:generate", before=lambda: _remove(*(ws.data_dir / name for name in GENERATED))
    )
    out = figures["output"]
    rows = out["submission_rows"] + sum(out.get(key) or 0 for key in ("crm_projects", "crm_events", "crm_payments"))
    figures["rows"] = rows
    figures["rows_per_second"] = rate(rows, figures["seconds"])
    _generated(ws)
    return figures


def _step(ctx: Context, part: str, stage: str, *, runs: int | None = None) -> dict:
    """Run one stage (its starting state restored before each run) and record the state it leaves."""
    ws = ctx.workspace
    quality = ws.data_dir / "quality"
    if stage == "extract":
        figures = measure(ctx, part, "stages:extract", runs=runs)
        figures["rows"] = figures["output"]["rows"]
        ws.states.add("landed")
    elif stage == "normalise":
        figures = measure(ctx, part, "stages:normalise", runs=runs)
        figures["rows"] = figures["output"]["rows"]
        ws.memo["normalised"] = figures["output"]["tables"]
        ws.states.add("normalised")
    elif stage == "load":
        figures = measure(
            ctx,
            part,
            "stages:load",
            params={"normalised": ws.memo["normalised"]},
            env=ws.env(PARK_FULL_REFRESH="1"),
            runs=runs,
        )
        figures["rows"] = figures["output"]["rows"]
        ws.snapshot("build_loaded.duckdb", ws.build)
        ws.states.add("loaded")
    elif stage == "dbt_build":
        prepare_dbt_target(ctx)
        figures = measure(
            ctx, part, "stages:dbt_build", before=lambda: ws.restore("build_loaded.duckdb", ws.build), runs=runs
        )
        ws.states.add("built")
    elif stage == "quality_gate":
        # a run replaces the results table the previous one wrote into the build: only the folder is emptied
        figures = measure(ctx, part, "stages:quality_gate", before=lambda: _remove(quality), runs=runs)
        ws.states.add("gated")
    elif stage == "publish":

        def unpublished() -> None:
            if ws.serving.exists() and not ws.build.exists():
                os.replace(ws.serving, ws.build)  # the previous run's publish undone (a rename, as publish is)

        figures = measure(ctx, part, "stages:publish", before=unpublished, runs=runs)
        ws.states.add("published")
    elif stage == "report":
        figures = measure(ctx, part, "stages:report", runs=runs)
    else:
        raise ValueError(stage)
    if "rows" in figures:
        figures["rows_per_second"] = rate(figures["rows"], figures["seconds"])
    return figures


def run_stages(ctx: Context) -> dict:
    """Generation, then every stage alone in pipeline order; each later stage starts from the state the
    previous one left."""
    out = {"generate": run_generate(ctx)}
    for stage in STAGES:
        out[stage] = _step(ctx, "stages", stage)
    out["extract_to_report_seconds"] = round(sum(out[stage]["seconds"]["median"] for stage in STAGES), 3)
    out["transform_seconds"] = round(sum(out[stage]["seconds"]["median"] for stage in TRANSFORM), 3)
    return out


def ensure(ctx: Context, state: str) -> None:
    """Bring the workspace to ``state`` (one untimed-for-the-record run of each missing step), for a part
    run without the stages part; the runs are logged under ``logs/prepare``."""
    ws = ctx.workspace
    wanted = STATES[: STATES.index(state) + 1]
    prepared = ctx.results.setdefault("prepared", {})
    if "generated" in wanted and "generated" not in ws.states:
        prepared["generate"] = measure(ctx, "prepare", "stages:generate", runs=1)
        _generated(ws)
    for stage, produces in (
        ("extract", "landed"),
        ("normalise", "normalised"),
        ("load", "loaded"),
        ("dbt_build", "built"),
        ("quality_gate", "gated"),
        ("publish", "published"),
    ):
        if produces in wanted and produces not in ws.states:
            prepared[stage] = _step(ctx, "prepare", stage, runs=1)


def airflow_view(tasks: list[dict]) -> dict:
    """What the end-to-end run's task instances say: each DAG's span (first start to last end) and task
    seconds, and each stage's seconds inside Airflow (the dbt stage: the span of the ``dbt.*`` tasks)."""
    from datetime import datetime

    def span(rows: list[dict]) -> float:
        starts = [datetime.fromisoformat(row["start"]) for row in rows if row["start"]]
        ends = [datetime.fromisoformat(row["end"]) for row in rows if row["end"]]
        return round((max(ends) - min(starts)).total_seconds(), 3) if starts and ends else 0.0

    dags: dict[str, dict] = {}
    for dag_id in sorted({row["dag_id"] for row in tasks}):
        rows = [row for row in tasks if row["dag_id"] == dag_id]
        dags[dag_id] = {
            "span_seconds": span(rows),
            "task_seconds": round(sum(row["seconds"] for row in rows), 3),
            "tasks": len(rows),
        }
    transform = [row for row in tasks if row["dag_id"] == "transform_publish"]

    def task(task_id: str) -> float:
        return round(sum(row["seconds"] for row in transform if row["task_id"] == task_id), 3)

    extract_rows = [row for row in tasks if row["dag_id"].startswith("extract_")]
    return {
        "dags": dags,
        "stages": {
            "extract": round(sum(row["seconds"] for row in extract_rows), 3),
            "normalise": task("normalise"),
            "load": task("load_build"),
            "dbt_build": span([row for row in transform if row["task_id"].startswith("dbt.")]),
            "quality_gate": task("quality_gate"),
            "publish": task("publish"),
        },
        "dbt_tasks": sum(1 for row in transform if row["task_id"].startswith("dbt.")),
    }


def run_end_to_end(ctx: Context) -> dict:
    """``run_platform`` and the weekly report on a data folder holding only the generated sources and the inbox as the simulators sent into it."""
    ws = ctx.workspace
    ensure(ctx, "generated")

    figures = measure(
        ctx, "end_to_end", "stages:end_to_end", env=ws.env(own_dbt_target=False), before=lambda: as_generated(ws)
    )
    figures["airflow"] = airflow_view(figures["output"].pop("tasks"))
    # the run replaced the landed batches and serving with its own (same content, other load times); the
    # stages part's snapshot of the loaded build (if it ran) stays valid
    ws.states |= {"landed", "published"}
    return figures
