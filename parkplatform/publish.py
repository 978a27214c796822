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


def grant_serving_reader(cursor, role: str, schema: str, password: str | None = None) -> None:
    """The role readers (Superset, the report) log in as on PostgreSQL: SELECT on the serving marts and
    nothing else. Created when missing (the publisher needs CREATEROLE for that, once) as a plain login
    role: no superuser, no role or database creation, no membership of ``pg_read_server_files``,
    ``pg_write_server_files`` or ``pg_execute_server_program`` (so no COPY to or from a file or a program
    and no server-side large-object import), read-only transactions by default, and no CREATE on any
    schema; the grants are renewed with each publish, inside its transaction, because the published
    schema is a new one each time."""
    from psycopg2 import sql

    cursor.execute("select 1 from pg_roles where rolname = %s", [role])
    if cursor.fetchone() is None:
        cursor.execute(
            sql.SQL(
                "create role {} login nosuperuser nocreatedb nocreaterole noreplication nobypassrls noinherit"
            ).format(sql.Identifier(role))
        )
        log.info("created the read-only PostgreSQL role %s", role)
    cursor.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(sql.Identifier(role)))
    if password:
        cursor.execute(sql.SQL("alter role {} password %s").format(sql.Identifier(role)), [password])
    cursor.execute(
        sql.SQL("grant connect on database {} to {}").format(
            sql.Identifier(cursor.connection.get_dsn_parameters()["dbname"]), sql.Identifier(role)
        )
    )
    cursor.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role)))
    cursor.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(sql.Identifier(schema), sql.Identifier(role))
    )


def publish_postgres(
    dsn: str, lock_timeout_seconds: int = 60, reader_role: str | None = None, reader_password: str | None = None
) -> list[str]:
    """Swap every PostgreSQL build schema for its serving schema in one transaction; returns the
    serving schemas published. Fails (and changes nothing) when the marts' build schema is missing.

    The swap only renames schemas, so it takes no lock on the tables readers hold; a query planned
    before the commit finishes on the old tables. The old schemas (``<schema>_retired``) are dropped
    afterwards in a transaction of their own, which gives way to readers: if it cannot take their
    locks (timeout or deadlock) it leaves them to the next publish, which drops them first. With
    ``reader_role``, that role may read the new marts from the moment they are published
    (:func:`grant_serving_reader`)."""
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
            if reader_role:
                grant_serving_reader(cursor, reader_role, MARTS_SCHEMA, reader_password)
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
