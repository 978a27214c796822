"""Benchmarks of the platform's heavy steps at the named scales of DESIGN.md section 7.

Each step runs in a fresh process (so its peak memory is its own) on a scratch data folder, and the
results (seconds, rows, rows per second, peak resident memory) are printed and written to
``benchmarks/results/<scale>.json`` with the machine and the commit they were measured on. Tests
never time anything; this script is where performance is measured.

    make bench BENCH_SCALES="tiny demo"          # or: .venv/bin/python benchmarks/run.py --scale demo
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LOGICAL_DATE = date(2026, 11, 23)


@dataclass
class StepResult:
    step: str
    seconds: float
    rows: int
    rows_per_second: float
    peak_rss_mb: float


def _generate_submissions() -> int:
    from extractors import park_submissions
    from parkplatform.config import get_settings

    settings = get_settings()
    park_submissions.generate(settings, LOGICAL_DATE)
    return settings.scale.enterprises


def _read_and_land_submissions() -> int:
    from extractors import generator, park_submissions
    from parkplatform.config import get_settings

    settings = get_settings()
    files = sorted(generator.submissions_dir(settings.sources_dir, LOGICAL_DATE).iterdir())
    return park_submissions.land_files(settings, LOGICAL_DATE, files).received


def _generate_crm() -> int:
    from extractors import crm
    from parkplatform.config import get_settings

    settings = get_settings()
    crm.ensure_generated(settings, LOGICAL_DATE)
    return settings.scale.investment_projects + settings.scale.match_events


def _read_and_land_crm() -> int:
    """The first (whole-history) batch of both CRM sources, read from the exports just generated."""
    from extractors import crm
    from parkplatform.config import get_settings

    os.environ["PARK_CRM_GENERATE"] = "0"
    settings = get_settings()
    reports = [crm.extract_projects(settings, LOGICAL_DATE), crm.extract_match_events(settings, LOGICAL_DATE)]
    return sum(report.received for report in reports)


STEPS: dict[str, Callable[[], int]] = {
    "generate_submissions": _generate_submissions,
    "read_and_land_submissions": _read_and_land_submissions,
    "generate_crm": _generate_crm,
    "read_and_land_crm": _read_and_land_crm,
}


def _child(step: str, queue: multiprocessing.Queue) -> None:
    started = time.perf_counter()
    rows = STEPS[step]()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    queue.put(StepResult(step, round(seconds, 2), rows, round(rows / seconds, 1), round(peak_mb, 1)))


def run_step(step: str) -> StepResult:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(step, queue))
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"benchmark step {step} failed (exit code {process.exitcode})")
    return queue.get()


def machine() -> dict:
    with open("/proc/meminfo", encoding="utf-8") as meminfo:
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, check=False, capture_output=True, text=True, cwd=RESULTS_DIR.parent).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "commit": commit,
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def run_scale(scale: str, steps: list[str], console: Console) -> dict:
    from parkplatform.config import SCALES

    scratch = Path(tempfile.mkdtemp(prefix=f"park-bench-{scale}-"))
    os.environ["PARK_SCALE"] = scale
    os.environ["PARK_DATA_DIR"] = str(scratch)
    try:
        results = []
        for step in steps:
            console.print(f"[bold]{scale}[/bold]: {step} …")
            results.append(run_step(step))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"scale": asdict(SCALES[scale]), "machine": machine(), "steps": [asdict(r) for r in results]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", action="append", choices=["tiny", "demo", "national", "stress"], required=True)
    parser.add_argument("--step", action="append", choices=list(STEPS), help="default: every step")
    args = parser.parse_args(argv)
    if not os.environ.get("PARK_REFERENCE_DIR"):
        parser.error("PARK_REFERENCE_DIR must point at the reference data (benchmarks run on the real registry)")

    console = Console()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    for scale in args.scale:
        result = run_scale(scale, args.step or list(STEPS), console)
        target = RESULTS_DIR / f"{scale}.json"
        target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        table = Table(
            title=f"Benchmark at scale {scale} ({result['machine']['cpus']} CPUs, commit {result['machine']['commit']})"
        )
        for column in ("step", "seconds", "rows", "rows/s", "peak RSS (MB)"):
            table.add_column(column, justify="left" if column == "step" else "right")
        for step in result["steps"]:
            table.add_row(
                step["step"],
                f"{step['seconds']:.1f}",
                f"{step['rows']:,}",
                f"{step['rows_per_second']:,.0f}",
                f"{step['peak_rss_mb']:,.0f}",
            )
        console.print(table)
        console.print(f"written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
