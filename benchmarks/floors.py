"""The floors nothing can beat on this machine, against which the platform's times are put as ratios.

``input_read``
    Reading every input file of the logical date once, warm cache (every file is read once before the
    measured pass): the park offices' submission files, the CRM's export part files and the reference folder
    (the registry, the NBS workbook, the reference tables and the WDI API payloads the mirror serves).
``duckdb_scan``
    DuckDB reading every column of every landed Parquet file once (landed and quarantined rows of every
    batch up to the logical date): ``select count(*), sum(hash(columns(*)))`` per file, so that each value
    is decoded and nothing is written.

Ratios (:mod:`benchmarks.results`): end to end over ``input_read``; the transform (normalise to publish) over
a plain ``dbt build`` plus ``duckdb_scan``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from benchmarks.harness import Context, measure, rate
from benchmarks.worker import Timer

CHUNK = 8 * 1024 * 1024


# ================================================================================ in the worker process


def input_files(logical_date: date) -> dict[str, list[Path]]:
    from extractors.crm import extract as crm
    from extractors.park_submissions import extract as park_submissions
    from parkplatform.config import get_settings

    settings = get_settings()

    def files(folder: Path | None) -> list[Path]:
        return sorted(path for path in folder.rglob("*") if path.is_file()) if folder and folder.exists() else []

    return {
        "submissions": files(park_submissions.period_folder(settings, f"{logical_date:%Y-%m}")),
        "crm_exports": files(crm.export_dir(settings.sources_dir, logical_date)),
        "reference": files(settings.reference_dir),
    }


def _read_all(paths: list[Path], buffer: bytearray) -> int:
    total = 0
    view = memoryview(buffer)
    for path in paths:
        with open(path, "rb", buffering=0) as handle:
            while read := handle.readinto(view):
                total += read
    return total


def input_read(logical_date: str) -> dict:
    groups = input_files(date.fromisoformat(logical_date))
    buffer = bytearray(CHUNK)
    everything = [path for paths in groups.values() for path in paths]
    _read_all(everything, buffer)  # warm the page cache
    with Timer() as timer:
        total = _read_all(everything, buffer)
    return {
        "seconds": timer.seconds,
        "bytes": total,
        "files": len(everything),
        "bytes_by_kind": {kind: sum(path.stat().st_size for path in paths) for kind, paths in groups.items()},
        "files_by_kind": {kind: len(paths) for kind, paths in groups.items()},
    }


def landed_parquet(logical_date: date) -> list[Path]:
    from parkplatform.config import get_settings
    from parkplatform.landing import batch_date

    landing = get_settings().landing_dir
    return sorted(path for path in landing.glob("*/batch_date=*/*.parquet") if batch_date(path.parent) <= logical_date)


def duckdb_scan(logical_date: str) -> dict:
    import duckdb
    import pyarrow.parquet as pq

    files = landed_parquet(date.fromisoformat(logical_date))
    metadata = [pq.read_metadata(path) for path in files]
    with duckdb.connect() as con:
        # DuckDB's first query of such a file loads what it needs (about a second): done before, with the schemas
        for path in files:
            con.execute("describe select * from read_parquet(?)", [str(path)]).fetchall()
        with Timer() as timer:
            for path, meta in zip(files, metadata, strict=True):
                if meta.num_columns:
                    con.execute("select count(*), sum(hash(columns(*))) from read_parquet(?)", [str(path)]).fetchall()
    return {
        "seconds": timer.seconds,
        "files": len(files),
        "rows": sum(meta.num_rows for meta in metadata),
        "columns": sum(meta.num_columns for meta in metadata),
        "values": sum(meta.num_rows * meta.num_columns for meta in metadata),
        "bytes": sum(path.stat().st_size for path in files),
    }


# ================================================================================ in the harness process


def run_floors(ctx: Context) -> dict:
    from benchmarks.stages import ensure

    ensure(ctx, "landed")
    read = measure(ctx, "floors", "floors:input_read")
    read["bytes"] = read["output"]["bytes"]
    read["mb_per_second"] = rate(read["bytes"] / 1024 / 1024, read["seconds"])
    scan = measure(ctx, "floors", "floors:duckdb_scan")
    scan["rows"] = scan["output"]["rows"]
    scan["rows_per_second"] = rate(scan["rows"], scan["seconds"])
    return {"input_read": read, "duckdb_scan": scan}
