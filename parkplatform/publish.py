"""Write–audit–publish: the validated build replaces serving in one step.

DuckDB: ``os.replace`` on one filesystem swaps the directory entry in one step: a reader (Superset,
the report) holding the old serving file keeps reading it, the next open sees the new one, and no
moment exists where serving is half written.

PostgreSQL: dbt writes only build schemas (``marts_build``, ``staging_build``, ...); one transaction
renames each serving schema away, renames its build schema to the serving name and drops the old
ones. Views follow a renamed schema (PostgreSQL binds them to objects, not names). A reader in
another connection sees the old schemas until the commit and the new ones after it: a query that
arrives during the swap waits for its locks and then reads the new table, never a missing one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)


def publish(build: Path, serving: Path) -> Path:
    """Fold the build's write-ahead log into the file, then rename it over ``serving``."""
    if not build.exists():
        raise FileNotFoundError(f"nothing to publish: {build} does not exist")
    with duckdb.connect(str(build)) as con:
        con.execute("checkpoint")
    wal = build.with_name(build.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} still exists after a checkpoint; refusing to publish a partial file")
    serving.parent.mkdir(parents=True, exist_ok=True)
    os.replace(build, serving)
    log.info("published %s -> %s", build, serving)
    return serving


def publish_postgres(dsn: str, lock_timeout_seconds: int = 60) -> list[str]:
    """Swap every PostgreSQL build schema for its serving schema in one transaction; returns the
    serving schemas published. Fails (and changes nothing) when the marts' build schema is missing.

    The swap only renames schemas, so it takes no lock on the tables readers hold; a query planned
    before the commit finishes on the old tables. The old schemas (``<schema>_retired``) are dropped
    afterwards in a transaction of their own, which gives way to readers: if it cannot take their
    locks (timeout or deadlock) it leaves them to the next publish, which drops them first."""
    import psycopg2

    from parkplatform.warehouse import MARTS_SCHEMA, POSTGRES_BUILD_SCHEMAS

    connection = psycopg2.connect(dsn)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"set local lock_timeout = '{int(lock_timeout_seconds)}s'")
            cursor.execute("select nspname from pg_namespace")
            existing = {name for (name,) in cursor.fetchall()}
            if POSTGRES_BUILD_SCHEMAS[MARTS_SCHEMA] not in existing:
                raise FileNotFoundError(
                    f"nothing to publish: schema {POSTGRES_BUILD_SCHEMAS[MARTS_SCHEMA]} does not exist"
                )
            swapped = [serving for serving, build in POSTGRES_BUILD_SCHEMAS.items() if build in existing]
            for serving in swapped:
                cursor.execute(f'drop schema if exists "{serving}_retired" cascade')  # left by a publish before
                if serving in existing:
                    cursor.execute(f'alter schema "{serving}" rename to "{serving}_retired"')
                cursor.execute(f'alter schema "{POSTGRES_BUILD_SCHEMAS[serving]}" rename to "{serving}"')
        log.info("published PostgreSQL schemas %s", ", ".join(swapped))
        _drop_retired(connection, swapped, lock_timeout_seconds)
    finally:
        connection.close()
    return swapped


def _drop_retired(connection, swapped: list[str], lock_timeout_seconds: int) -> None:
    import psycopg2

    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(f"set local lock_timeout = '{int(lock_timeout_seconds)}s'")
            try:  # be the one a deadlock with a reader aborts (needs the right to set it)
                cursor.execute("savepoint quick_deadlock")
                cursor.execute("set local deadlock_timeout = '10ms'")
            except psycopg2.Error:
                cursor.execute("rollback to savepoint quick_deadlock")
            for serving in swapped:
                cursor.execute(f'drop schema if exists "{serving}_retired" cascade')
    except (psycopg2.errors.LockNotAvailable, psycopg2.errors.DeadlockDetected) as error:
        log.warning("old serving schemas left for the next publish to drop (readers held them): %s", error)
