"""What a failed DAG run tells the data engineer: the DAGs' ``on_failure_callback``.

The message names the DAG, the run and the task that failed with its error (each task's
``on_failure_callback``, :func:`on_task_failure`, records its error beside the alert, because Airflow 3
hands a DAG's failure callback no exception); when the quality gate failed it adds each failed expectation (suite, column, expectation, expected versus observed) from
the outcomes the gate stored for the run (``$PARK_DATA_DIR/quality/<run id>/outcomes.json``). It is
logged as an error (Airflow keeps it with the DAG processor's or ``dag.test``'s log), written to
``$PARK_DATA_DIR/alerts/<dag id>/<run id>.txt`` so a pager or mail hook can pick it up, and returned.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from parkplatform.config import get_settings

log = logging.getLogger(__name__)

QUALITY_GATE_TASK = "quality_gate"


def safe_run_id(run_id: str) -> str:
    """A run id as a file or folder name (the gate's outcomes and the alerts are stored under it)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)


# what the quality gate stores in its run's folder for people: its failed critical expectations, one a line
GATE_SUMMARY_FILE = "summary.txt"


def gate_failure_summary(run_dir: Path) -> str:
    """The failed critical expectations of a gate run, as the gate summarised them in its run's folder."""
    summary = run_dir / GATE_SUMMARY_FILE
    if not summary.is_file():
        return f"no stored summary at {summary} (the gate stopped before it had validated the build)"
    return summary.read_text(encoding="utf-8").strip()


def failure_message(context: dict[str, Any]) -> str:
    """The message for a failed run, from an Airflow callback context."""
    dag_id = context["dag"].dag_id
    run_id = context.get("run_id") or ""
    ti = context.get("ti") or context.get("task_instance")
    task_id = getattr(ti, "task_id", None) or "unknown task"
    lines = [f"DAG {dag_id} run {run_id} failed at task {task_id} (reason: {context.get('reason', 'task_failure')})."]
    error = context.get("exception")
    if error is not None:
        lines.append(f"error: {type(error).__name__}: {error}")
    else:
        lines += [
            f"error of {path.stem}: {path.read_text(encoding='utf-8').strip()}"
            for path in sorted(task_errors_dir(dag_id, run_id).glob("*.txt"))
        ]
    if task_id == QUALITY_GATE_TASK:
        lines.append("quality gate: the build was not published; serving is unchanged.")
        lines.append(gate_failure_summary(get_settings().quality_dir / safe_run_id(run_id)))
    return "\n".join(lines)


def alert_path(dag_id: str, run_id: str) -> Path:
    return get_settings().data_dir / "alerts" / dag_id / f"{safe_run_id(run_id)}.txt"


def task_errors_dir(dag_id: str, run_id: str) -> Path:
    return get_settings().data_dir / "alerts" / dag_id / f"{safe_run_id(run_id)}.tasks"


def on_task_failure(context: dict[str, Any]) -> None:
    """``on_failure_callback`` of every task: records the task's error for its DAG's failure message."""
    ti = context.get("ti") or context.get("task_instance")
    error = context.get("exception")
    if ti is None or error is None:
        return
    target = task_errors_dir(ti.dag_id, context.get("run_id") or ti.run_id) / f"{ti.task_id}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"{type(error).__name__}: {error}\n", encoding="utf-8")


def on_dag_failure(context: dict[str, Any]) -> str:
    """``on_failure_callback`` of the platform's DAGs: log, record and return the failure message."""
    message = failure_message(context)
    log.error("%s", message)
    target = alert_path(context["dag"].dag_id, context.get("run_id") or "unknown")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(message + "\n", encoding="utf-8")
    return message
