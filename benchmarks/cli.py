"""``python -m benchmarks``: run the benchmark parts at the named scales, write the results and BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from benchmarks import BENCHMARKS_MD, DEFAULT_LOGICAL_DATE, RESULTS_DIR, SCHEMA_VERSION
from benchmarks.harness import Context, Options, StepFailed, Workspace, machine

SCALES = ("tiny", "demo", "national", "stress")
# in the order they run: each later part starts from the state the earlier ones left (incremental last: it
# moves the workspace to the next day)
PARTS = ("stages", "end_to_end", "floors", "pandas", "engines", "orchestration", "serving", "incremental")
PART_KEYS = {"pandas": "pandas_alternative"}
ALIASES = {"e2e": "end_to_end", "pandas_alternative": "pandas"}
DEFAULT_PARTS = {
    "tiny": ("stages", "floors", "pandas", "orchestration"),
    "demo": PARTS,
    # engines are compared at demo; the row-by-row pandas reader would take hours on stress' 50 million rows
    "national": tuple(part for part in PARTS if part != "engines"),
    "stress": ("stages", "end_to_end", "floors", "orchestration"),
}

EPILOG = f"""
parts (default per scale: {
    "; ".join(f"{scale}: {','.join(parts) if parts != PARTS else 'all'}" for scale, parts in DEFAULT_PARTS.items())
}):
  stages         generation (set-up, reported apart), then extract and land, normalise, load, dbt build,
                 quality gate, publish, weekly report, each alone in a fresh process
  end_to_end     park.runs.run_platform (every DAG by dag.test) and the weekly report
  floors         reading every input file once; DuckDB reading every landed Parquet column once
  pandas         the submission reader written the usual pandas way (row by row) against the platform's
  engines        the dbt build on DuckDB and on the local PostgreSQL (PARK_PG_* variables)
  orchestration  each DAG file's parse time (airflow dags report) and prepare_airflow
  serving        every dashboard chart through Superset's chart-data API: p50, p95, max
  incremental    one more day of CRM changes after the full build, incremental and full refresh, compared

examples:
  make bench SCALE=demo
  make bench SCALE="tiny demo"
  python -m benchmarks --scale national --only stages,floors
  python -m benchmarks --scale demo --only serving --serving-calls 10
  python -m benchmarks --markdown-only

Needs PARK_REFERENCE_DIR (the real reference data; make bench finds ../shared/data/reference).
Results: benchmarks/results/<scale>.json (a part run again replaces its figures, the others are kept);
BENCHMARKS.md from all result files. Step logs: <scratch>/logs/<part>/<step>-<run>.log.
"""


def _parts(text: str) -> list[str]:
    names = [ALIASES.get(name.strip(), name.strip()) for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PARTS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part(s) {', '.join(unknown)}; expected {', '.join(PARTS)}")
    return names


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of the platform at the scales of DESIGN.md section 7: seconds and peak memory per "
        "stage, end to end with the real DAGs, floors, the pandas alternative, the incremental run, the engines, "
        "Superset's chart queries and the orchestration's cost.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale", action="extend", nargs="+", choices=SCALES, help="one or more scales (repeatable)", default=[]
    )
    parser.add_argument("--only", type=_parts, help="comma-separated parts to run (default: the scale's parts)")
    parser.add_argument("--skip", type=_parts, default=[], help="comma-separated parts not to run")
    parser.add_argument("--runs", type=int, default=3, help="runs of a step shorter than --long-threshold (default 3)")
    parser.add_argument("--long-runs", type=int, default=1, help="runs of a longer step (default 1)")
    parser.add_argument(
        "--long-threshold", type=float, default=60.0, help="seconds from which a step is long (default 60)"
    )
    parser.add_argument(
        "--serving-calls", type=int, default=5, help="timed calls per chart and role, cold and warm (default 5)"
    )
    parser.add_argument(
        "--serving-renders",
        type=int,
        default=3,
        help="renders of each dashboard in Chromium, cold and warm (default 3)",
    )
    parser.add_argument(
        "--logical-date", type=date.fromisoformat, default=DEFAULT_LOGICAL_DATE, help="YYYY-MM-DD (default %(default)s)"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where <scale>.json go")
    parser.add_argument(
        "--markdown",
        type=Path,
        help="BENCHMARKS.md to write (default: the repository's with the default results folder, else "
        "<results-dir>/BENCHMARKS.md)",
    )
    parser.add_argument("--no-markdown", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("--markdown-only", action="store_true", help="only write BENCHMARKS.md from the results")
    parser.add_argument("--fresh", action="store_true", help="drop the scale's earlier figures of parts not run")
    parser.add_argument(
        "--scratch", type=Path, help="folder for the scratch data folders (default: the system's temporary folder)"
    )
    parser.add_argument("--keep-scratch", action="store_true", help="keep the scratch data (logs are always kept)")
    return parser


def _runner(part: str) -> Callable[[Context], dict]:
    from benchmarks import engines, floors, incremental, orchestration, pandas_alternative, serving, stages

    return {
        "stages": stages.run_stages,
        "end_to_end": stages.run_end_to_end,
        "floors": floors.run_floors,
        "pandas": pandas_alternative.run_pandas_alternative,
        "engines": engines.run_engines,
        "orchestration": orchestration.run_orchestration,
        "serving": serving.run_serving,
        "incremental": incremental.run_incremental,
    }[part]


def _existing(path: Path, fresh: bool) -> dict:
    if fresh or not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if data.get("schema_version") == SCHEMA_VERSION else {}


def run_scale(scale: str, parts: list[str], args: argparse.Namespace, console: Console) -> tuple[dict, bool]:
    """Every part of ``parts`` at ``scale`` on a new scratch folder; the result file is written after each part."""
    from dataclasses import asdict

    from benchmarks.results import derive
    from parkplatform.config import SCALES as PLATFORM_SCALES

    reference = os.environ.get("PARK_REFERENCE_DIR", "").strip()
    base = args.scratch or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"park-bench-{scale}-", dir=base))
    workspace = Workspace(root, scale, args.logical_date, Path(reference).resolve())
    workspace.create()
    target = args.results_dir / f"{scale}.json"
    result = _existing(target, args.fresh)
    result.update(
        {
            "schema_version": SCHEMA_VERSION,
            "scale": asdict(PLATFORM_SCALES[scale]),
            "logical_date": args.logical_date.isoformat(),
            "machine": machine(),
            "options": {
                "runs": args.runs,
                "long_runs": args.long_runs,
                "long_threshold_seconds": args.long_threshold,
                "serving_calls": args.serving_calls,
                "serving_renders": args.serving_renders,
            },
        }
    )
    result.setdefault("errors", {})
    options = Options(args.runs, args.long_runs, args.long_threshold, args.serving_calls, args.serving_renders)
    ctx = Context(workspace, options, console, {})
    console.rule(f"[bold]{scale}[/bold]: {', '.join(parts)}  (scratch {root})")
    ok = True
    for part in parts:
        key = PART_KEYS.get(part, part)
        started = time.perf_counter()
        try:
            figures = _runner(part)(ctx)
        except (StepFailed, Exception) as error:  # noqa: BLE001 - a failed part is recorded, the others go on
            ok = False
            message = str(error) if isinstance(error, StepFailed) else traceback.format_exc()
            result["errors"][key] = message
            console.print(f"[red]{scale} {part} failed[/red]: {message.splitlines()[0]}")
            (workspace.logs / f"{part}.error.txt").write_text(message, encoding="utf-8")
        else:
            figures["measured_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
            figures["commit"] = result["machine"]["commit"]
            result[key] = ctx.results[key] = figures
            result["errors"].pop(key, None)
            if figures.get("error"):
                ok = False
                result["errors"][key] = figures["error"]
                console.print(f"[red]{scale} {part}[/red]: {figures['error']}")
            console.print(f"[green]{scale} {part} done[/green] in {time.perf_counter() - started:,.0f} s")
        if "prepared" in ctx.results:
            result["prepared"] = ctx.results["prepared"]
        derive(result)
        args.results_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if not args.keep_scratch:
        for folder in ("data", "snapshots", "dbt-target", "dbt-target-pg", "dbt-logs"):
            shutil.rmtree(root / folder, ignore_errors=True)
    console.print(f"{scale}: results in {target}; step logs in {workspace.logs}")
    return result, ok


def _summary(result: dict, console: Console) -> None:
    from rich.table import Table

    table = Table(title=f"{result['scale']['name']}: targets (set for national)")
    for column in ("target", "value", "met"):
        table.add_column(column)
    for target in result["targets"]:
        value = "—" if target["value"] is None else f"{target['value']:,.3g}{target['unit']}"
        met = {True: "[green]yes[/green]", False: "[red]no[/red]", None: ""}[target["met"]]
        table.add_row(f"{target['description']} {target['target']}", value, met)
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console()
    markdown = None if args.no_markdown else args.markdown
    if markdown is None and not args.no_markdown:
        markdown = BENCHMARKS_MD if args.results_dir.resolve() == RESULTS_DIR else args.results_dir / "BENCHMARKS.md"
    if args.markdown_only:
        from benchmarks.markdown import write

        console.print(f"written {write(args.results_dir, markdown)}")
        return 0
    if not args.scale:
        parser().error("--scale is required (or --markdown-only)")
    if not os.environ.get("PARK_REFERENCE_DIR", "").strip():
        parser().error(
            "PARK_REFERENCE_DIR must point at the reference data (make bench finds ../shared/data/reference)"
        )
    ok = True
    for scale in args.scale:
        parts = [part for part in (args.only or DEFAULT_PARTS[scale]) if part not in args.skip]
        parts = sorted(parts, key=PARTS.index)
        result, scale_ok = run_scale(scale, parts, args, console)
        ok = ok and scale_ok
        _summary(result, console)
        if markdown is not None:
            from benchmarks.markdown import write

            console.print(f"written {write(args.results_dir, markdown)}")
    return 0 if ok else 1
