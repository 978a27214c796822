"""How a step is measured: a fresh process per run on the scratch data folder, repeated, summarised.

:func:`measure` starts ``python -m benchmarks.worker <step>`` (:mod:`benchmarks.worker`) with the scratch
folder's environment, its output to a log file under ``<scratch>/logs/``, and polls the resident memory of
that process and all its children (dbt, Airflow's, Superset's) with psutil; the worker times the step itself
(the platform function call, without the interpreter's start-up) and adds its own ``getrusage`` peaks
(itself, and the largest child it waited for). A step shorter than ``long_threshold`` seconds is repeated
``runs`` times (default 3), a longer one ``long_runs`` times (default 1); each figure is reported as median,
min, max and the number of runs.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

import psutil
from rich.console import Console

from benchmarks import REPO_ROOT

# what the scratch folder's runs must not inherit from the caller's shell: they would change what is measured
CLEARED_VARIABLES = (
    "PARK_SEED",
    "PARK_BAD_ROW_RATE",
    "PARK_WDI_BASE_URL",
    "PARK_CRM_DSN",
    "PARK_WAREHOUSE_ENGINE",
    "PARK_DBT_SELECT",
    "PARK_FULL_REFRESH",
    "PARK_REPORT_LANG",
    "PARK_SMTP_HOST",
    "PARK_REPORT_RECIPIENTS",
    "AIRFLOW_HOME",
    "VIRTUAL_ENV",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
)
POLL_SECONDS = 0.1
MB = 1024 * 1024


class StepFailed(RuntimeError):
    """A measured step's process failed; names the step, its exit code and its log."""


@dataclass(frozen=True)
class Options:
    runs: int = 3
    long_runs: int = 1
    long_threshold: float = 60.0
    serving_calls: int = 5
    serving_renders: int = 3


def figure(values: list[float], digits: int = 3) -> dict:
    """median, min, max and the number of runs of one measured quantity."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


@dataclass
class StepRun:
    """One run of a step: the worker's own timing and output, and the memory seen from outside."""

    seconds: float
    wall_seconds: float
    peak_rss_mb: float
    peak_tree_rss_mb: float
    maxrss_self_mb: float
    maxrss_children_mb: float
    output: dict
    log: str


@dataclass
class Workspace:
    """The scratch folder of one scale: ``data/`` (PARK_DATA_DIR), ``logs/``, ``snapshots/`` and the dbt
    target of the steps that build outside Airflow (kept apart from the checkout's ``dbt_project/target``)."""

    root: Path
    scale: str
    logical_date: date
    reference_dir: Path
    states: set[str] = field(default_factory=set)
    memo: dict = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def dbt_target(self) -> Path:
        return self.root / "dbt-target"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def build(self) -> Path:
        return self.warehouse_dir / "build.duckdb"

    @property
    def serving(self) -> Path:
        return self.warehouse_dir / "serving.duckdb"

    def create(self) -> None:
        for folder in (self.data_dir, self.logs, self.snapshots, self.dbt_target):
            folder.mkdir(parents=True, exist_ok=True)

    def env(self, *, own_dbt_target: bool = True, **extra: str) -> dict[str, str]:
        """The environment of a step's process: the scale, the scratch data folder, the reference data, the
        platform's defaults for everything else. ``own_dbt_target``: dbt writes its target and logs under the
        scratch folder (not for runs through Airflow, whose Cosmos reads the checkout's manifest)."""
        env = {key: value for key, value in os.environ.items() if key not in CLEARED_VARIABLES}
        env = {key: value for key, value in env.items() if not key.startswith("AIRFLOW__")}
        env.update(
            {
                "PARK_SCALE": self.scale,
                "PARK_DATA_DIR": str(self.data_dir),
                "PARK_REFERENCE_DIR": str(self.reference_dir),
                "AIRFLOW_HOME": str(self.data_dir / "airflow"),
                "GX_ANALYTICS_ENABLED": "False",
                "PYTHONUNBUFFERED": "1",
                "NO_COLOR": "1",
            }
        )
        if own_dbt_target:
            env["DBT_TARGET_PATH"] = str(self.dbt_target)
            env["DBT_LOG_PATH"] = str(self.root / "dbt-logs")
        env.update(extra)
        return env

    def snapshot(self, name: str, source: Path) -> Path:
        target = self.snapshots / name
        shutil.copyfile(source, target)
        return target

    def restore(self, name: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in (target, target.with_name(target.name + ".wal")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(self.snapshots / name, target)

    def has_snapshot(self, name: str) -> bool:
        return (self.snapshots / name).exists()


@dataclass
class Context:
    """What a part of the benchmark works with: the workspace, the options, the console, the results so far."""

    workspace: Workspace
    options: Options
    console: Console
    results: dict

    @property
    def day(self) -> date:
        return self.workspace.logical_date

    def say(self, message: str) -> None:
        self.console.print(f"[dim]{self.workspace.scale}[/dim] {message}")


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return total


def run_once(ctx: Context, part: str, step: str, params: dict, env: dict[str, str], label: str) -> StepRun:
    """One run of ``step`` in a fresh worker process; raises :class:`StepFailed` with the log's tail."""
    workspace = ctx.workspace
    log_dir = workspace.logs / part
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{label}.log"
    result_path = log_dir / f"{label}.result.json"
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "benchmarks.worker", step, json.dumps(params, default=str), str(result_path)]
    peak = 0
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        while process.poll() is None:
            peak = max(peak, _tree_rss(watched))
            time.sleep(POLL_SECONDS)
    wall = time.perf_counter() - started
    if process.returncode != 0 or not result_path.exists():
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-25:]
        raise StepFailed(f"{part}/{step} failed (exit code {process.returncode}); log {log_path}:\n" + "\n".join(tail))
    result = json.loads(result_path.read_text(encoding="utf-8"))
    maxrss = max(result["maxrss_self_mb"], result["maxrss_children_mb"])
    return StepRun(
        seconds=result["seconds"],
        wall_seconds=round(wall, 3),
        peak_rss_mb=round(max(peak / MB, maxrss), 1),
        peak_tree_rss_mb=round(peak / MB, 1),
        maxrss_self_mb=result["maxrss_self_mb"],
        maxrss_children_mb=result["maxrss_children_mb"],
        output=result["output"],
        log=str(log_path.relative_to(workspace.root)),
    )


def measure(
    ctx: Context,
    part: str,
    step: str,
    *,
    name: str | None = None,
    params: dict | None = None,
    env: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
    runs: int | None = None,
) -> dict:
    """Run ``step`` (``module:function`` of the benchmarks package, see :mod:`benchmarks.worker`) repeatedly
    and summarise it: ``seconds`` and ``peak_rss_mb`` as figures, the last run's ``output``, every run's
    numbers under ``runs``. ``before`` restores the step's starting state before each run (not timed)."""
    name = name or step.split(":")[-1]
    params = {"logical_date": ctx.day.isoformat(), **(params or {})}
    env = env or ctx.workspace.env()
    wanted = runs or ctx.options.runs
    done: list[StepRun] = []
    while len(done) < wanted:
        if before is not None:
            before()
        label = f"{name}-{len(done) + 1}"
        with ctx.console.status(f"{ctx.workspace.scale} {part}/{name} run {len(done) + 1} …", spinner="dots"):
            run = run_once(ctx, part, step, params, env, label)
        done.append(run)
        if runs is None and len(done) == 1 and run.seconds >= ctx.options.long_threshold:
            wanted = ctx.options.long_runs
        ctx.say(f"{part + '/' + name:<34} run {len(done)}/{wanted} {run.seconds:9.2f} s {run.peak_rss_mb:7,.0f} MB")
    return summarise(done)


def summarise(done: list[StepRun]) -> dict:
    return {
        "seconds": figure([run.seconds for run in done]),
        "peak_rss_mb": figure([run.peak_rss_mb for run in done], digits=1),
        "wall_seconds": figure([run.wall_seconds for run in done]),
        "output": done[-1].output,
        "runs": [
            {
                "seconds": run.seconds,
                "wall_seconds": run.wall_seconds,
                "peak_rss_mb": run.peak_rss_mb,
                "peak_tree_rss_mb": run.peak_tree_rss_mb,
                "maxrss_self_mb": run.maxrss_self_mb,
                "maxrss_children_mb": run.maxrss_children_mb,
                "log": run.log,
                "output": numbers(run.output),
            }
            for run in done
        ],
    }


def numbers(output: dict) -> dict:
    """The numbers of a step's output, nested dictionaries of numbers flattened one level (``a.b``)."""
    flat = {}
    for key, value in output.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            flat[key] = value
        elif isinstance(value, dict):
            for inner, number in value.items():
                if isinstance(number, int | float) and not isinstance(number, bool):
                    flat[f"{key}.{inner}"] = number
    return flat


def rate(count: float, seconds: dict) -> dict:
    """A per-second figure from a count and a seconds figure (the median from the median; the fastest run
    gives the max)."""
    return {
        "median": round(count / seconds["median"], 1) if seconds["median"] else None,
        "min": round(count / seconds["max"], 1) if seconds["max"] else None,
        "max": round(count / seconds["min"], 1) if seconds["min"] else None,
        "runs": seconds["runs"],
    }


# ------------------------------------------------------------------------------------------- the machine

VERSIONED = (
    "duckdb",
    "polars",
    "pandas",
    "pyarrow",
    "dbt-core",
    "dbt-duckdb",
    "dbt-postgres",
    "apache-airflow",
    "astronomer-cosmos",
    "great-expectations",
)


def _git(*args: str) -> str:
    completed = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    return completed.stdout.strip()


def _superset_version() -> str | None:
    found = sorted((REPO_ROOT / "infra" / "superset" / ".venv").glob("lib/python*/site-packages/apache_superset-*"))
    return found[0].name.removeprefix("apache_superset-").removesuffix(".dist-info") if found else None


def machine() -> dict:
    """The machine, the versions and the commit the figures were measured on."""
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines() if Path("/proc/cpuinfo").exists() else []
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    versions = {}
    for package in VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    versions["apache-superset"] = _superset_version()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")),
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
