"""What the orchestration costs: each DAG file's parse time, and the time Airflow adds around the work.

``prepare_airflow``
    ``park.runs.prepare_airflow()`` on a fresh Airflow home: the metadata database migrated and the
    ``dbt parse`` Cosmos reads (part of every end-to-end run's time).
``dag_report``
    ``airflow dags report -o json`` (Airflow's own DAG report, in the embedded Airflow's environment): the
    seconds Airflow's DagBag took to import each DAG file, in one process as the report runs them (the first
    file imported pays for the modules the others share), and the command's wall time.

The time Airflow adds (:mod:`benchmarks.results`): the end-to-end run's seconds minus the sum of the stages'
seconds measured alone (extract to report); it is split into the metadata preparation, the time inside the
tasks beyond the stage alone (the same work run by a task) and the time between tasks (scheduling in
``dag.test``, DAG parsing, Cosmos' watcher tasks).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from benchmarks.harness import Context, figure, measure
from benchmarks.worker import Timer

# ================================================================================ in the worker process


def prepare_airflow(logical_date: str) -> dict:
    from park.runs import prepare_airflow as prepare

    with Timer() as timer:
        prepare()
    return {"seconds": timer.seconds}


def _seconds(duration: str) -> float:
    """``0:00:00.458416`` (a timedelta as the report prints it) in seconds."""
    hours, minutes, seconds = duration.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def dag_report(logical_date: str) -> dict:
    with Timer() as timer:
        completed = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "report", "-o", "json"],
            capture_output=True,
            text=True,
            env=os.environ,
            check=False,
        )
    print(completed.stderr[-5000:], file=sys.stderr)
    if completed.returncode != 0:
        raise RuntimeError(f"airflow dags report failed ({completed.returncode}): {completed.stderr[-2000:]}")
    line = next(line for line in reversed(completed.stdout.splitlines()) if line.startswith("["))
    report = json.loads(line)
    return {
        "seconds": timer.seconds,
        "parse_seconds": {row["file"]: round(_seconds(row["duration"]), 4) for row in report},
        "dags": {row["file"]: row["dags"] for row in report},
        "tasks": {row["file"]: int(row["task_num"]) for row in report},
    }


# ================================================================================ in the harness process


def run_orchestration(ctx: Context) -> dict:
    ws = ctx.workspace
    env = ws.env(own_dbt_target=False)
    prepared = measure(
        ctx,
        "orchestration",
        "orchestration:prepare_airflow",
        env=env,
        before=lambda: shutil.rmtree(ws.data_dir / "airflow", ignore_errors=True),
    )
    report = measure(ctx, "orchestration", "orchestration:dag_report", env=env)
    files = sorted(report["output"]["parse_seconds"])
    parse = {
        name: {
            "seconds": figure([run["output"][f"parse_seconds.{name}"] for run in report["runs"]], digits=4),
            "dags": len(report["output"]["dags"][name]),
            "tasks": report["output"]["tasks"][name],
        }
        for name in files
    }
    return {"prepare_airflow": prepared, "dag_report": report, "dag_files": parse}
