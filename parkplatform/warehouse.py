"""The BUILD warehouse: loading normalised data for dbt, and reading tables back.

Each transform run starts a fresh ``build.duckdb`` (so a crashed build never leaks into the next
one), loads the normalised sources into schema ``raw`` and the landing reconciliation into
``raw.landing_batches``; dbt then builds staging, intermediate and marts on top of it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

import duckdb
import polars as pl

from parkplatform.landing import BatchReport

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
MARTS_SCHEMA = "main"


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def load_build(build: Path, normalised: dict[str, Path], reports: list[BatchReport]) -> dict[str, int]:
    """Create a fresh build warehouse holding ``raw.<source>`` tables; return their row counts."""
    build.parent.mkdir(parents=True, exist_ok=True)
    remove_database(build)
    batches = pl.DataFrame(
        [{key: value for key, value in asdict(report).items() if key in BATCH_COLUMNS} for report in reports],
        schema=BATCH_COLUMNS,
    )
    counts: dict[str, int] = {}
    with duckdb.connect(str(build)) as con:
        con.execute(f"create schema {RAW_SCHEMA}")
        for source, path in sorted(normalised.items()):
            con.execute(f"create table {RAW_SCHEMA}.{source} as select * from read_parquet(?)", [str(path)])
            counts[source] = con.execute(f"select count(*) from {RAW_SCHEMA}.{source}").fetchone()[0]
        con.register("batches_frame", batches.to_arrow())
        con.execute(f"create table {RAW_SCHEMA}.landing_batches as select * from batches_frame")
        con.execute("checkpoint")
    log.info("loaded %s into %s", counts, build)
    return counts


BATCH_COLUMNS = {
    "source": pl.String,
    "batch_id": pl.String,
    "logical_date": pl.String,
    "loaded_at": pl.String,
    "received": pl.Int64,
    "landed": pl.Int64,
    "quarantined": pl.Int64,
}


def table_row_counts(
    path: Path, schema: str = MARTS_SCHEMA, prefixes: tuple[str, ...] = ("dim_", "bridge_", "fct_", "mart_")
) -> dict[str, int]:
    """Rows per published table (dimensions, bridges, facts, marts) of a warehouse file, read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
            ).fetchall()
            if name.startswith(prefixes)
        ]
        return {name: con.execute(f'select count(*) from {schema}."{name}"').fetchone()[0] for name in tables}


def read_table(path: Path, table: str, schema: str = MARTS_SCHEMA) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f'select * from {schema}."{table}"').pl()
