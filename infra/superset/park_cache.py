"""Superset's chart-data cache, and what makes a publish invalidate it (imported by ``superset_config.py`` and
``park_security.py``; nothing here imports Superset, so the platform's tests can read it too).

Superset 6.1 caches a chart query's result under a key made from the query itself, the dataset (its uid and
``changed_on``), its extra cache keys (Jinja's, off here) and the row-level security clauses
(``QueryContextProcessor.query_cache_key``). None of them changes when the pipeline publishes a new
warehouse: the datasets stay as they are. So the key also carries the *serving generation* of the dataset's
database, the identity of what a publish replaces, read when the key is made (before the query runs):

- DuckDB: the serving file's inode, device, size and modification and change times. ``os.replace`` puts a
  different file (inode) at the path, so every key changes at the moment of the publish.
- PostgreSQL: each schema's name with its oid. The publish renames the build schemas to the serving names in
  one transaction, so ``main`` then names another schema (oid).

A key made before a publish may be stored with data read after it (harmless: no request makes that key any
more); a key made after it can only be stored with the new data, because the query runs after the key is
made. The pipeline knows nothing of Superset (the layers point one way) and there is nothing to clear: old
entries are no longer asked for and expire (``SUPERSET_DATA_CACHE_TIMEOUT``) or are pruned.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

# every schema of the database by name and oid: a publish's swap changes the oid behind each serving name
POSTGRES_GENERATION_SQL = (
    "select string_agg(nspname || '=' || oid::text, ',' order by nspname) from pg_namespace "
    "where nspname not like 'pg\\_%' and nspname <> 'information_schema'"
)


def duckdb_generation(path: Path) -> str:
    """The identity of the file at ``path``: another file renamed over it has another inode (and times)."""
    st = os.stat(path)
    return f"duckdb:{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def serving_generation(database: Any) -> str:
    """The serving generation of a Superset ``Database`` (module docstring). When it cannot be read (no
    serving file yet, the server down) a value no other request gets: such a result is never served from
    the cache, so it can never be stale. Engines other than DuckDB and PostgreSQL have none ("")."""
    try:
        if database.backend == "duckdb":
            path = database.url_object.database
            return duckdb_generation(Path(path)) if path and path != ":memory:" else ""
        if database.backend == "postgresql":
            with database.get_raw_connection() as connection:
                cursor = connection.cursor()
                cursor.execute(POSTGRES_GENERATION_SQL)
                return f"postgresql:{cursor.fetchone()[0]}"
    except Exception:  # noqa: BLE001 - whatever the reason, an unknown generation must not be shared
        return f"unknown:{uuid.uuid4().hex}"
    return ""
