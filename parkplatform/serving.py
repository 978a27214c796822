"""Reading the published warehouse, whichever engine published it: one interface for every reader.

The demo's summary, the weekly report, the intake and quality figures and the command line read the
serving warehouse through :func:`open_serving`: on DuckDB the serving file (``serving.duckdb``, opened
read-only), on PostgreSQL the serving schemas of ``PARK_PG_DATABASE`` in a read-only session whose
search path starts with the marts' schema. Queries are written once, in the SQL both engines read, with
``?`` for parameters; the PostgreSQL reader turns them into its own placeholders.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from parkplatform.config import Settings, get_settings
from parkplatform.warehouse import MARTS_SCHEMA, PUBLISHED_PREFIXES


class ServingNotFound(FileNotFoundError):
    """Nothing has been published yet where the settings say readers look."""


class WarehouseReader(Protocol):
    engine: str
    location: str  # for a person: the file, or host, port and database

    def rows(self, query: str, parameters: Sequence[Any] | None = None) -> list[dict[str, Any]]: ...

    def exists(self, schema: str, table: str) -> bool: ...


class _Reader:
    """What both readers share: everything but opening the connection and running a query."""

    engine: str
    location: str
    _con: Any

    def rows(self, query: str, parameters: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        raise NotImplementedError

    @staticmethod
    def _records(names: Sequence[str], fetched: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        return [dict(zip(names, row, strict=True)) for row in fetched]

    def exists(self, schema: str, table: str) -> bool:
        return bool(
            self.rows(
                "select 1 from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
            )
        )

    def close(self) -> None:
        self._con.close()


class _DuckDBReader(_Reader):
    engine = "duckdb"

    def __init__(self, path: Path) -> None:
        import duckdb

        self.location = str(path)
        self._con = duckdb.connect(str(path), read_only=True)

    def rows(self, query: str, parameters: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cursor = self._con.execute(query, list(parameters or []))
        names = [column[0] for column in cursor.description]
        return self._records(names, cursor.fetchall())


class _PostgresReader(_Reader):
    engine = "postgres"

    def __init__(self, settings: Settings) -> None:
        import psycopg2

        self.location = f"PostgreSQL {settings.pg_host}:{settings.pg_port}/{settings.pg_database}"
        self._con = psycopg2.connect(settings.postgres_dsn, options=f"-c search_path={MARTS_SCHEMA}")
        self._con.set_session(readonly=True, autocommit=True)

    def rows(self, query: str, parameters: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        # psycopg2 placeholders: %s, and a literal % doubled
        with self._con.cursor() as cursor:
            cursor.execute(query.replace("%", "%%").replace("?", "%s"), list(parameters or []))
            names = [column.name for column in cursor.description]
            return self._records(names, cursor.fetchall())


@contextmanager
def open_serving(settings: Settings | None = None, *, warehouse: Path | None = None) -> Iterator[WarehouseReader]:
    """The serving warehouse of the configured engine, read-only; ``warehouse`` names another DuckDB file
    (a build, an archived copy) instead."""
    settings = settings or get_settings()
    if warehouse is None and settings.warehouse_engine == "postgres":
        reader: _Reader = _PostgresReader(settings)
    else:
        path = warehouse or settings.serving_warehouse
        if not path.exists():
            raise ServingNotFound(f"no warehouse at {path}: run the transform (make demo) first")
        reader = _DuckDBReader(path)
    try:
        yield reader
    finally:
        reader.close()


def published_row_counts(reader: WarehouseReader, schema: str = MARTS_SCHEMA) -> dict[str, int]:
    """Rows per published table (dimensions, bridges, facts, marts), by name."""
    tables = [
        row["table_name"]
        for row in reader.rows(
            "select table_name from information_schema.tables where table_schema = ? order by table_name", [schema]
        )
        if row["table_name"].startswith(PUBLISHED_PREFIXES)
    ]
    return {name: reader.rows(f'select count(*) as n from {schema}."{name}"')[0]["n"] for name in tables}
