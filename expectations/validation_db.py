"""Where the quality gate's metrics are computed: an in-memory DuckDB that sees the build, never pandas.

Every table the suites check is a view in this database named like the table with ``.`` as ``__``
(``main__dim_park``): over the DuckDB build file itself, attached read-only (nothing is copied), or over
Parquet files a PostgreSQL build was exported to. The run-dependent tables (the sources' freshness, the
reconciliations' difference tables) are computed here as small tables. Great Expectations validates
these views through its SQL execution engine (SQLAlchemy, duckdb-engine), so every metric is a DuckDB
query over the data where it lies: the gate's memory stays that of DuckDB's aggregates whatever the
size of the marts (at national scale the pandas route peaked at 17 GB).

Great Expectations opens a connection per query and reads the rows after giving it back; DuckDB drops a
result when its transaction ends. The engine here therefore keeps ONE connection (``StaticPool``) and
lets DuckDB commit each statement itself: SQLAlchemy's begin, commit and rollback are no-ops on it,
which is sound because the gate only reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb


def view_name(table: str) -> str:
    """``main.dim_park`` -> ``main__dim_park``: the name a table has in the validation database."""
    return table.replace(".", "__")


@contextmanager
def validation_database() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB for one gate run."""
    connection = duckdb.connect()
    try:
        yield connection
    finally:
        connection.close()


def add_gx_datasource(context: Any, name: str, connection: duckdb.DuckDBPyConnection) -> Any:
    """A GX SQL data source on ``connection`` itself: one pooled connection, DuckDB committing each
    statement (SQLAlchemy's begin, commit and rollback made no-ops: the gate only reads)."""
    import duckdb_engine
    from sqlalchemy.pool import StaticPool

    datasource = context.data_sources.add_sql(
        name,
        connection_string="duckdb://",
        kwargs={
            "creator": lambda: duckdb_engine.ConnectionWrapper(connection),
            "poolclass": StaticPool,
            "pool_reset_on_return": None,
        },
    )
    dialect = datasource.get_execution_engine().engine.dialect
    for method in ("do_begin", "do_commit", "do_rollback"):
        setattr(dialect, method, lambda dbapi_connection: None)
    return datasource


def attach_duckdb_build(connection: duckdb.DuckDBPyConnection, build: Path, tables: list[str]) -> list[str]:
    """Views over the tables of a DuckDB build that exist (attached read-only); returns those tables."""
    connection.execute(f"attach '{build}' as build (read_only)")
    present = {
        f"{schema}.{name}"
        for schema, name in connection.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'build'"
        ).fetchall()
    }
    found = [table for table in tables if table in present]
    for table in found:
        schema, name = table.split(".", 1)
        connection.execute(f'create view "{view_name(table)}" as select * from build."{schema}"."{name}"')
    return found


def attach_parquet_exports(connection: duckdb.DuckDBPyConnection, files: dict[str, Path]) -> list[str]:
    """Views over tables exported to Parquet (a PostgreSQL build); returns those tables."""
    for table, path in files.items():
        connection.execute(f"create view \"{view_name(table)}\" as select * from read_parquet('{path}')")
    return list(files)


def materialise(connection: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    """A derived table of the run (freshness, a reconciliation's differences) from SQL over the views."""
    connection.execute(f'create table "{view_name(name)}" as {sql}')


def row_counts(connection: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int]:
    return {table: connection.execute(f'select count(*) from "{view_name(table)}"').fetchone()[0] for table in tables}


def copy_to_parquet(connection: duckdb.DuckDBPyConnection, name: str, target: Path) -> Path:
    """A derived table kept with the run (the reconciliations' differences, for a person to read)."""
    connection.execute(f"copy \"{view_name(name)}\" to '{target}' (format parquet)")
    return target
