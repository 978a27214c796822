"""The dbt build on the two warehouse engines, from the same loaded data.

DuckDB: the stages part's ``dbt_build`` (``build_project()`` on the build file as loaded), measured again here
when the stages part did not run. PostgreSQL (``127.0.0.1:5432`` by default, the ``PARK_PG_*`` variables as the
platform reads them): a scratch database ``park_bench_<random>`` is created (from ``PARK_PG_ADMIN_DATABASE``,
default ``test``) and dropped afterwards; before each run ``parkplatform.warehouse.reset_postgres_build`` drops
the build schemas (not timed), ``copy_raw_to_postgres`` copies the loaded ``raw`` tables (timed apart, as
``copy_raw``), then ``build_project("--target", "postgres")`` is the measured build. The PostgreSQL server's own
memory is not in the peak (it is not a child of the measured process).
"""

from __future__ import annotations

import os
import uuid

from benchmarks.harness import Context, figure, measure
from benchmarks.worker import Timer

# ================================================================================ in the worker process


def postgres_build(logical_date: str, build: str) -> dict:
    from pathlib import Path

    from benchmarks.stages import dbt_nodes
    from parkplatform.config import get_settings
    from parkplatform.dbt import build_project
    from parkplatform.warehouse import copy_raw_to_postgres, reset_postgres_build

    dsn = get_settings().postgres_dsn
    reset_postgres_build(dsn)
    with Timer() as copy:
        counts = copy_raw_to_postgres(Path(build), dsn)
    with Timer() as timer:
        build_project("--target", "postgres")
    return {
        "seconds": timer.seconds,
        "copy_raw_seconds": round(copy.seconds, 3),
        "raw_rows": sum(counts.values()),
        "nodes": dbt_nodes(Path(os.environ["DBT_TARGET_PATH"])),
    }


# ================================================================================ in the harness process


def admin_dsn() -> str:
    from psycopg2.extensions import make_dsn

    return make_dsn(
        host=os.environ.get("PARK_PG_HOST") or "127.0.0.1",
        port=os.environ.get("PARK_PG_PORT") or "5432",
        user=os.environ.get("PARK_PG_USER") or "postgres",
        password=os.environ.get("PARK_PG_PASSWORD") or None,
        dbname=os.environ.get("PARK_PG_ADMIN_DATABASE") or "test",
    )


def run_engines(ctx: Context) -> dict:
    import psycopg2

    from benchmarks.stages import _step, ensure, prepare_dbt_target

    ws = ctx.workspace
    ensure(ctx, "loaded")
    prepare_dbt_target(ctx)
    duckdb_build = (ctx.results.get("stages") or {}).get("dbt_build") or _step(ctx, "engines", "dbt_build")
    out: dict = {"duckdb": {"dbt_build": duckdb_build}}
    name = f"park_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(admin_dsn())
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("select version()")
            server = cursor.fetchone()[0]
            cursor.execute(f'create database "{name}"')
        # a dbt target of its own, parsed beforehand as the DuckDB one is (partial parsing is per target)
        env = ws.env(PARK_PG_DATABASE=name, DBT_TARGET="postgres", DBT_TARGET_PATH=str(ws.root / "dbt-target-pg"))
        try:
            measure(ctx, "prepare", "stages:dbt_parse", name="dbt_parse_postgres", env=env, runs=1)
            figures = measure(
                ctx,
                "engines",
                "engines:postgres_build",
                params={"build": str(ws.snapshots / "build_loaded.duckdb")},
                env=env,
            )
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}" with (force)')
    finally:
        admin.close()
    out["postgres"] = {
        "server": server,
        "dbt_build": figures,
        "copy_raw": {"seconds": figure([run["output"]["copy_raw_seconds"] for run in figures["runs"]])},
    }
    out["postgres_over_duckdb"] = round(figures["seconds"]["median"] / duckdb_build["seconds"]["median"], 2)
    return out
