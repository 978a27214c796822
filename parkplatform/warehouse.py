"""The BUILD warehouse: loading normalised data for dbt, and reading tables back.

Each transform run starts its ``build.duckdb`` from the last published (serving) warehouse when that
describes an earlier or the same logical date, so that incremental models (fct_match_event) find
their previous rows, and from nothing otherwise (first run, a backfill of an earlier date, or
``PARK_FULL_REFRESH=1``); either way a crashed build never leaks into the next one. It then loads the
normalised sources into a fresh schema ``raw`` and the landing reconciliation into
``raw.landing_batches``, and each batch's quarantined rows counted by reason into
``raw.landing_quarantine``; dbt builds staging, intermediate and marts on top of it.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from parkplatform.landing import BatchReport

log = logging.getLogger(__name__)

# where the quality gate keeps every run's outcomes in the warehouse (published with the marts)
RESULTS_TABLE = "main.quality_validation_results"

RAW_SCHEMA = "raw"
MARTS_SCHEMA = "main"
# the published tables readers count and list: dimensions, bridges, facts and marts
PUBLISHED_PREFIXES = ("dim_", "bridge_", "fct_", "mart_")


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def built_as_of(warehouse: Path) -> date | None:
    """The newest logical date among the batches a warehouse was built from (None if unknown)."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            (newest,) = con.execute(f"select max(logical_date) from {RAW_SCHEMA}.landing_batches").fetchone()
        except duckdb.CatalogException:
            return None
    return date.fromisoformat(newest) if newest else None


def load_build(
    build: Path,
    normalised: dict[str, Path],
    reports: list[BatchReport],
    *,
    previous: Path | None = None,
    as_of: date | None = None,
) -> dict[str, int]:
    """Create the build warehouse holding ``raw.<source>`` tables; return their row counts.

    With ``previous`` (the serving warehouse) built for a date on or before ``as_of``, the build
    starts as a copy of it (incremental models continue from it); otherwise from an empty file."""
    build.parent.mkdir(parents=True, exist_ok=True)
    remove_database(build)
    previous_as_of = built_as_of(previous) if previous is not None else None
    continues = previous_as_of is not None and as_of is not None and previous_as_of <= as_of
    if continues:
        shutil.copyfile(previous, build)
        log.info("build continues from %s (built as of %s)", previous, previous_as_of)
    batches = pl.DataFrame(
        [{key: value for key, value in asdict(report).items() if key in BATCH_COLUMNS} for report in reports],
        schema=BATCH_COLUMNS,
    )
    counts: dict[str, int] = {}
    with duckdb.connect(str(build)) as con:
        con.execute(f"drop schema if exists {RAW_SCHEMA} cascade")
        con.execute(f"create schema {RAW_SCHEMA}")
        for source, path in sorted(normalised.items()):
            con.execute(f"create table {RAW_SCHEMA}.{source} as select * from read_parquet(?)", [str(path)])
            counts[source] = con.execute(f"select count(*) from {RAW_SCHEMA}.{source}").fetchone()[0]
        con.register("batches_frame", batches.to_arrow())
        con.execute(f"create table {RAW_SCHEMA}.landing_batches as select * from batches_frame")
        con.register("quarantine_frame", quarantine_by_reason(reports).to_arrow())
        con.execute(f"create table {RAW_SCHEMA}.landing_quarantine as select * from quarantine_frame")
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


QUARANTINE_COLUMNS = {
    "source": pl.String,
    "batch_id": pl.String,
    "logical_date": pl.String,
    "reason": pl.String,
    "quarantined": pl.Int64,
}


def quarantine_by_reason(reports: list[BatchReport]) -> pl.DataFrame:
    """One row per batch and quarantine reason with its count of rows, from the batches' reports
    (``quarantine_reasons`` of ``batch.json``); a batch without quarantined rows has no row."""
    return pl.DataFrame(
        [
            {
                "source": report.source,
                "batch_id": report.batch_id,
                "logical_date": report.logical_date,
                "reason": reason,
                "quarantined": count,
            }
            for report in reports
            for reason, count in report.quarantine_reasons.items()
        ],
        schema=QUARANTINE_COLUMNS,
    )


def table_row_counts(path: Path, schema: str = MARTS_SCHEMA) -> dict[str, int]:
    """Rows per published table (dimensions, bridges, facts, marts) of a DuckDB warehouse file, read-only."""
    from parkplatform.serving import open_serving, published_row_counts

    with open_serving(warehouse=path) as reader:
        return published_row_counts(reader, schema)


def read_table(path: Path, table: str, schema: str = MARTS_SCHEMA) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f'select * from {schema}."{table}"').pl()


def _postgres_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"numeric({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz" if dtype.time_zone else "timestamp"
    types = {
        pl.String: "text",
        pl.Int64: "bigint",
        pl.Int32: "integer",
        pl.Int16: "smallint",
        pl.Int8: "smallint",
        pl.Float64: "double precision",
        pl.Float32: "real",
        pl.Boolean: "boolean",
        pl.Date: "date",
    }
    for polars_type, postgres_type in types.items():
        if dtype == polars_type:
            return postgres_type
    raise TypeError(f"no PostgreSQL type for {dtype}")


def write_postgres_table(cursor, schema: str, name: str, frame: pl.DataFrame) -> int:
    """``schema.name`` := ``frame`` (dropped and created with matching types, filled by COPY)."""
    import io

    columns = ", ".join(f'"{column}" {_postgres_type(dtype)}' for column, dtype in frame.schema.items())
    cursor.execute(f'drop table if exists {schema}."{name}"')
    cursor.execute(f'create table {schema}."{name}" ({columns})')
    text = frame.with_columns(pl.col(pl.Datetime("us", "UTC")).dt.strftime("%Y-%m-%d %H:%M:%S%.6f+00")).write_csv(
        null_value="\\N"
    )
    cursor.copy_expert(
        f"copy {schema}.\"{name}\" from stdin with (format csv, header true, null '\\N')", io.StringIO(text)
    )
    return frame.height


def copy_raw_to_postgres(build: Path, dsn: str, schema: str | None = None) -> dict[str, int]:
    """Copy every ``raw`` table of a DuckDB build into ``schema`` (default: the build schema
    ``raw_build`` that dbt reads on PostgreSQL) of the PostgreSQL at ``dsn``, replacing them, so that
    the dbt project can be built there from the same loaded data."""
    schema = schema or POSTGRES_BUILD_SCHEMAS[RAW_SCHEMA]
    import psycopg2

    counts: dict[str, int] = {}
    with duckdb.connect(str(build), read_only=True) as source:
        tables = [
            name
            for (name,) in source.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1", [RAW_SCHEMA]
            ).fetchall()
        ]
        frames = {name: source.execute(f'select * from {RAW_SCHEMA}."{name}"').pl() for name in tables}
    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            for name, frame in frames.items():
                counts[name] = write_postgres_table(cursor, schema, name, frame)
    finally:
        connection.close()
    return counts


# PostgreSQL write–audit–publish: dbt writes only these build schemas (macro park_build_schema), the
# gate validates them, parkplatform.publish.publish_postgres swaps them for the serving schemas.
POSTGRES_BUILD_SCHEMAS = {
    RAW_SCHEMA: "raw_build",
    "reference": "reference_build",
    "staging": "staging_build",
    "intermediate": "intermediate_build",
    MARTS_SCHEMA: "marts_build",
}


def reset_postgres_build(dsn: str) -> None:
    """Drop every build schema, so that a build starts from nothing (a crashed one never leaks)."""
    import psycopg2

    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            for build_schema in POSTGRES_BUILD_SCHEMAS.values():
                cursor.execute(f'drop schema if exists "{build_schema}" cascade')
    finally:
        connection.close()


def build_table(table: str) -> tuple[str, str]:
    """(build schema, table) on PostgreSQL of a serving ``schema.table`` (``main.dim_park`` -> marts_build)."""
    schema, name = table.split(".", 1)
    return POSTGRES_BUILD_SCHEMAS.get(schema, schema), name


_POLARS_TYPES = {
    "text": pl.String,
    "character varying": pl.String,
    "character": pl.String,
    "bigint": pl.Int64,
    "integer": pl.Int32,
    "smallint": pl.Int16,
    "double precision": pl.Float64,
    "real": pl.Float32,
    "boolean": pl.Boolean,
    "date": pl.Date,
    "timestamp without time zone": pl.Datetime("us"),
    "timestamp with time zone": pl.Datetime("us", "UTC"),
}


def _typed_columns(
    cursor, qualified: str, columns: list[tuple[str, str, int | None, int | None]]
) -> tuple[str, dict[str, pl.DataType]]:
    """The select list and Polars types of a PostgreSQL table's columns (name, type, precision,
    scale), so that an all-null column keeps its type. A numeric without a precision is typed as
    DuckDB types the same expression: exact values of at most 6 decimals (sums of amounts) as
    decimal(38, their scale), finer ones (ratios, shares) as a double."""
    unbounded = [column for column, data_type, precision, _ in columns if data_type == "numeric" and precision is None]
    scales: dict[str, int | None] = {}
    if unbounded:
        cursor.execute("select " + ", ".join(f'max(scale("{column}"))' for column in unbounded) + f" from {qualified}")
        scales = dict(zip(unbounded, cursor.fetchone(), strict=True))
    selected, types = [], {}
    for column, data_type, precision, scale in columns:
        if data_type == "numeric":
            if precision is None:
                if scales[column] is None or scales[column] > 6:
                    selected.append(f'"{column}"::double precision as "{column}"')
                    types[column] = pl.Float64
                    continue
                precision, scale = 38, scales[column]
            selected.append(f'"{column}"::numeric({precision}, {scale}) as "{column}"')
            types[column] = pl.Decimal(precision, scale)
            continue
        selected.append(f'"{column}"')
        if data_type in _POLARS_TYPES:
            types[column] = _POLARS_TYPES[data_type]
    return ", ".join(selected), types


def export_postgres_tables(dsn: str, tables: list[str], workdir: Path) -> dict[str, Path]:
    """PostgreSQL: each schema-qualified (serving) table whose build table exists, read from its build
    schema into ``workdir/<schema>.<table>.parquet``; returns table -> file. The quality gate's
    exporter for a PostgreSQL build (a DuckDB build is attached by the gate itself)."""
    import psycopg2

    workdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "select table_schema || '.' || table_name, column_name, data_type, numeric_precision, numeric_scale "
                "from information_schema.columns order by ordinal_position"
            )
            columns: dict[str, list[tuple[str, str, int | None, int | None]]] = {}
            for qualified, *column in cursor.fetchall():
                columns.setdefault(qualified, []).append(tuple(column))
        for table in tables:
            schema, name = build_table(table)
            if f"{schema}.{name}" not in columns:
                continue
            with connection.cursor() as cursor:
                selected, types = _typed_columns(cursor, f'"{schema}"."{name}"', columns[f"{schema}.{name}"])
            frame = pl.read_database(
                f'select {selected} from "{schema}"."{name}"',
                connection,
                schema_overrides=types,
                infer_schema_length=None,
            )
            files[table] = workdir / f"{table}.parquet"
            frame.write_parquet(files[table])
    finally:
        connection.close()
    return files


def postgres_exporter(dsn: str):
    """``export_postgres_tables`` for ``dsn`` with the gate's exporter signature (build, tables, workdir)."""

    def export(_build: Path, tables: list[str], workdir: Path) -> dict[str, Path]:
        return export_postgres_tables(dsn, tables, workdir)

    return export


def postgres_results_writer(dsn: str):
    """The gate's results writer for a PostgreSQL build: ``history`` (every run's outcomes) as the
    table of the same name in the build schema, published with it; returns its rows."""
    import psycopg2

    def write(_build: Path, history: pl.DataFrame) -> int:
        schema, name = build_table(RESULTS_TABLE)
        connection = psycopg2.connect(dsn)
        try:
            with connection, connection.cursor() as cursor:
                return write_postgres_table(cursor, schema, name, history)
        finally:
            connection.close()

    return write
