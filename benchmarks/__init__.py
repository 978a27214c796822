"""Benchmarks of the platform: how long a national refresh and a daily incremental run take, how much memory
they need and how fast the dashboards answer (DESIGN.md section 7 scales).

    make bench SCALE=demo                                   # or SCALE="tiny demo"
    .venv/bin/python -m benchmarks --scale national --only stages,floors

Every measured step runs in a fresh process (:mod:`benchmarks.worker`) on a scratch data folder and calls the
platform's own functions; the results go to ``benchmarks/results/<scale>.json`` and ``BENCHMARKS.md`` is written
from them (:mod:`benchmarks.markdown`). Tests never time anything: this package is where performance is measured.

Modules, by concern: :mod:`~benchmarks.harness` (processes, repetitions, memory, the scratch folder),
:mod:`~benchmarks.stages` (generation, each pipeline stage alone, end to end with the real DAGs),
:mod:`~benchmarks.floors` (reading the inputs once, DuckDB scanning the landed Parquet once),
:mod:`~benchmarks.pandas_alternative` (the submission reader written the usual pandas way),
:mod:`~benchmarks.incremental`, :mod:`~benchmarks.engines` (DuckDB and PostgreSQL),
:mod:`~benchmarks.serving` (Superset's chart-data API), :mod:`~benchmarks.orchestration` (DAG parse times and
what Airflow adds), :mod:`~benchmarks.results` (ratios and targets) and :mod:`~benchmarks.markdown`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
# a Monday: the weekly report has a complete week before it
DEFAULT_LOGICAL_DATE = date(2026, 11, 23)
SCHEMA_VERSION = 2
