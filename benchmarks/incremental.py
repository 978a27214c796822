"""The daily incremental run after a full build, and the proof that it publishes what a full refresh does.

After a full build published for the logical date D (the stages part, else prepared here), the CRM generator
writes its export as of D + 1 (set-up, not timed). Then, measured:

``daily_run``
    What a daily run does: ``pipeline.extract`` of ``crm_projects``, ``crm_match_events`` and ``crm_payments``
    for D + 1 (the projects, match events and payments changed that day, above each source's watermark), then the transform with
    ``PARK_FULL_REFRESH`` unset, so that ``load_build`` starts from a copy of serving and dbt's incremental
    models add the new batches: ``normalise`` → ``load_build`` → ``dbt build`` → ``quality_gate`` →
    ``publish``. Before each run, serving is put back to D's and the D + 1 batches are removed.
``full_rebuild``
    The same transform for D + 1 with ``PARK_FULL_REFRESH=1`` (the build starts empty), from the same
    landed batches.

Then every table and view of the two published warehouses is compared (row count and the sum of the rows'
hashes, which does not depend on row order; floating-point values to 9 significant digits, since a sum of
doubles depends on the order DuckDB's threads add them in): they must be identical; for a table that is not,
the columns that differ are named. ``quality_validation_results`` is left
out of the comparison by construction (it records each run's own validation times and run ids).

The share: (daily land + incremental transform) / (the full build: extract and land + transform of D, from
the stages part).
"""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

from benchmarks.harness import Context, figure, measure
from benchmarks.worker import Timer

# tables that differ between two runs by construction, with why
NOT_COMPARED = {"quality_validation_results": "each run's own validation times and run ids"}
CRM_SOURCES = ("crm_projects", "crm_match_events", "crm_payments")


# ================================================================================ in the worker process


def generate_next_day(logical_date: str, next_day: str) -> dict:
    from parkplatform.config import get_settings
    from simulators import crm as crm_simulator

    with Timer() as timer:
        crm_simulator.write_snapshot(get_settings(), date.fromisoformat(next_day))
    return {"seconds": timer.seconds}


def _transform(day: date, run_id: str) -> dict[str, float]:
    from expectations import gate
    from parkplatform import pipeline
    from parkplatform.dbt import build_project

    seconds = {}
    with Timer() as timer:
        normalised = pipeline.normalise(day)
    seconds["normalise_seconds"] = timer.seconds
    with Timer() as timer:
        pipeline.load_build(day, normalised)
    seconds["load_seconds"] = timer.seconds
    with Timer() as timer:
        build_project()
    seconds["dbt_build_seconds"] = timer.seconds
    with Timer() as timer:
        gate.quality_gate(run_id)
    seconds["quality_gate_seconds"] = timer.seconds
    with Timer() as timer:
        pipeline.publish()
    seconds["publish_seconds"] = timer.seconds
    return {key: round(value, 3) for key, value in seconds.items()}


def daily_run(logical_date: str, next_day: str, run_id: str) -> dict:
    from parkplatform import pipeline

    day = date.fromisoformat(next_day)
    with Timer() as total:
        with Timer() as land:
            reports = [pipeline.extract(source, day) for source in CRM_SOURCES]
        transform = _transform(day, run_id)
    return {
        "seconds": total.seconds,
        "land_seconds": round(land.seconds, 3),
        "transform_seconds": round(total.seconds - land.seconds, 3),
        **transform,
        "rows_received": sum(report["received"] for report in reports),
        "rows_landed": sum(report["landed"] for report in reports),
    }


def full_rebuild(logical_date: str, next_day: str, run_id: str) -> dict:
    with Timer() as total:
        transform = _transform(date.fromisoformat(next_day), run_id)
    return {"seconds": total.seconds, **transform}


# floating-point columns are compared to this many significant digits: a sum of doubles depends on the order
# DuckDB's threads add them in, so two builds of the same data differ in the last bits
SIGNIFICANT_DIGITS = 9


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con, schema: str, name: str) -> list[str]:
    """Each column as compared: floating-point ones as text to SIGNIFICANT_DIGITS digits."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [
        f"printf('%.{SIGNIFICANT_DIGITS}g', {_quoted(column)})"
        if dtype in ("DOUBLE", "FLOAT", "REAL")
        else _quoted(column)
        for column, dtype in rows
    ]


def digests(path: Path) -> dict[str, dict]:
    """Row count, order-independent hash of the rows and of each column, for every table and view of a DuckDB
    file."""
    import duckdb

    out = {}
    with duckdb.connect(str(path), read_only=True) as con:
        relations = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
            "union all select schema_name, view_name from duckdb_views() "
            "where not internal and database_name = current_database() order by 1, 2"
        ).fetchall()
        for schema, name in relations:
            columns = _columns(con, schema, name)
            sums = ", ".join(f"sum(hash({column}))" for column in columns)
            count, *hashes = con.execute(
                f"select count(*), sum(hash({', '.join(columns)})), {sums} from {_quoted(schema)}.{_quoted(name)}"
            ).fetchone()
            out[f"{schema}.{name}"] = {
                "rows": count,
                "hash": str(hashes[0]),
                "columns": {column: str(digest) for column, digest in zip(columns, hashes[1:], strict=True)},
            }
    return out


# a table whose digests differ only in floating-point columns is compared again row by row (both sorted by every
# column) with this relative tolerance: a value that lies on a rounding boundary of SIGNIFICANT_DIGITS prints
# differently for a difference in its last bit (a national mart of 441,355 round amounts has a few such values)
RELATIVE_TOLERANCE = 1e-9


def equal_within_tolerance(incremental: Path, full: Path, table: str) -> bool:
    """Whether ``table`` holds the same rows in both warehouses, floating-point values equal to
    RELATIVE_TOLERANCE (rows matched by sorting both on every column)."""
    import duckdb
    from polars.testing import assert_frame_equal

    frames = []
    for path in (incremental, full):
        with duckdb.connect(str(path), read_only=True) as con:
            frames.append(con.sql(f"select * from {table} order by all").pl())
    try:
        assert_frame_equal(frames[0], frames[1], check_exact=False, rel_tol=RELATIVE_TOLERANCE, abs_tol=0.0)
    except AssertionError:
        return False
    return True


def compare(logical_date: str, incremental: str, full: str) -> dict:
    with Timer() as timer:
        left, right = digests(Path(incremental)), digests(Path(full))
    compared = sorted(name for name in set(left) | set(right) if name.split(".", 1)[1] not in NOT_COMPARED)
    different, within_tolerance = {}, {}
    for name in compared:
        one, other = left.get(name), right.get(name)
        if one is None or other is None or (one["rows"], one["hash"]) != (other["rows"], other["hash"]):
            columns = [
                column
                for column in (one or other)["columns"]
                if not one or not other or one["columns"].get(column) != other["columns"].get(column)
            ]
            only_floats = one and other and all(column.startswith("printf(") for column in columns)
            same_rows = only_floats and one["rows"] == other["rows"]
            if same_rows and equal_within_tolerance(Path(incremental), Path(full), name):
                within_tolerance[name] = columns
                continue
            different[name] = {
                "rows_incremental": one and one["rows"],
                "rows_full": other and other["rows"],
                "columns": columns,
            }
    return {
        "seconds": timer.seconds,
        "tables_compared": len(compared),
        "identical": not different,
        "different": different,
        "rows_compared": sum(left[name]["rows"] for name in compared if name in left),
        "significant_digits": SIGNIFICANT_DIGITS,
        "equal_within_relative_tolerance": within_tolerance,
        "relative_tolerance": RELATIVE_TOLERANCE,
    }


# ================================================================================ in the harness process


def run_incremental(ctx: Context) -> dict:
    from benchmarks.stages import STAGES, TRANSFORM, ensure, prepare_dbt_target

    ws = ctx.workspace
    ensure(ctx, "published")
    prepare_dbt_target(ctx)
    next_day = ctx.day + timedelta(days=1)
    params = {"next_day": next_day.isoformat()}
    ws.snapshot("serving_day.duckdb", ws.serving)
    quality = ws.data_dir / "quality"
    if quality.exists():
        shutil.copytree(quality, ws.snapshots / "quality_day", dirs_exist_ok=True)

    def back_to_day() -> None:
        ws.restore("serving_day.duckdb", ws.serving)
        ws.build.unlink(missing_ok=True)
        for source in CRM_SOURCES:
            shutil.rmtree(ws.data_dir / "landing" / source / f"batch_date={next_day.isoformat()}", ignore_errors=True)
        shutil.rmtree(quality, ignore_errors=True)
        if (ws.snapshots / "quality_day").exists():
            shutil.copytree(ws.snapshots / "quality_day", quality)

    out = {"next_day": next_day.isoformat()}
    out["generate_next_day"] = measure(ctx, "incremental", "incremental:generate_next_day", params=params, runs=1)
    daily = measure(
        ctx, "incremental", "incremental:daily_run", params={**params, "run_id": "incremental"}, before=back_to_day
    )
    os.replace(ws.serving, ws.snapshots / "serving_incremental.duckdb")  # the full refresh starts from nothing
    full = measure(
        ctx,
        "incremental",
        "incremental:full_rebuild",
        params={**params, "run_id": "full_refresh"},
        env=ws.env(PARK_FULL_REFRESH="1"),
        before=lambda: ws.build.unlink(missing_ok=True),
    )
    for figures in (daily, full):
        for key in list(figures["runs"][0]["output"]):
            if key.endswith("_seconds"):
                figures[key.removesuffix("_seconds")] = figure([run["output"][key] for run in figures["runs"]])
    out["daily_run"], out["full_rebuild"] = daily, full
    comparison = measure(
        ctx,
        "incremental",
        "incremental:compare",
        params={"incremental": str(ws.snapshots / "serving_incremental.duckdb"), "full": str(ws.serving)},
        runs=1,
    )
    out["comparison"] = comparison["output"] | {"not_compared": NOT_COMPARED}
    stages = ctx.results.get("stages") or ctx.results.get("prepared", {})
    if all(stage in stages for stage in STAGES if stage != "report"):
        full_build = sum(stages[stage]["seconds"]["median"] for stage in ("extract", *TRANSFORM))
        out["full_build_seconds"] = round(full_build, 3)
        out["share_of_full_build"] = round(daily["seconds"]["median"] / full_build, 4)
    out["transform_share_of_full_rebuild"] = round(daily["transform"]["median"] / full["seconds"]["median"], 4)
    if not out["comparison"]["identical"]:
        out["error"] = "the incremental and the full-refresh builds publish different tables: " + "; ".join(
            f"{name} ({', '.join(entry['columns'][:6]) or 'rows'})"
            for name, entry in out["comparison"]["different"].items()
        )
    # the workspace now holds D + 1 batches and serving: parts that need D's state must run before this one
    ws.states &= {"generated", "dbt_parsed"}
    return out
