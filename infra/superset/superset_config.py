"""Superset configuration for the Park Indicators Platform: everything comes from environment variables.

Superset imports this file through ``SUPERSET_CONFIG_PATH`` (``infra/superset/superset.py`` sets it).

| variable | default | meaning |
|---|---|---|
| ``PARK_DATA_DIR`` | ``<repo>/data`` | the platform's run-time folder; Superset's home is ``$PARK_DATA_DIR/superset`` |
| ``SUPERSET_HOME`` | ``$PARK_DATA_DIR/superset`` | metadata database (SQLite), secret key, logs, pid files |
| ``SUPERSET_SECRET_KEY`` | generated once per checkout into ``$SUPERSET_HOME/secret_key`` | signs sessions, encrypts secrets |
| ``SUPERSET_DATABASE_URI`` | ``sqlite:///$SUPERSET_HOME/superset.db`` | Superset's own metadata database |
| ``SUPERSET_REDIS_URL`` | unset | e.g. ``redis://127.0.0.1:6379/0``: every cache in Redis (chart data, metadata, filter state, explore) |
| ``SUPERSET_CACHE_KEY_PREFIX`` | ``park_superset_`` | start of every Redis key, so several Supersets can share one Redis |
| ``SUPERSET_DATA_CACHE_TIMEOUT`` | ``86400`` (a day) | seconds a chart's data stays cached; ``0`` switches the data cache off |

Chart data is cached in ``$SUPERSET_HOME/cache/data/`` (Superset's FileSystemCache, shared by gunicorn's
workers), or in Redis when ``SUPERSET_REDIS_URL`` is set. A publish shows at once all the same: every cache key
holds the serving generation of the warehouse, which a publish changes (``park_cache.py``).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]
_DATA_DIR = Path(os.environ.get("PARK_DATA_DIR") or _REPO_ROOT / "data").resolve()
SUPERSET_HOME = Path(os.environ.get("SUPERSET_HOME") or _DATA_DIR / "superset").resolve()
SUPERSET_HOME.mkdir(parents=True, exist_ok=True)


# PARK_PROFILE=production: every secret and the metadata database come from the environment, none generated
_PRODUCTION = os.environ.get("PARK_PROFILE", "").strip() == "production"


def _secret_key() -> str:
    """The key from the environment, else (demo profile only) one generated once for this checkout (under the
    git-ignored data folder, readable by its owner only)."""
    from_env = os.environ.get("SUPERSET_SECRET_KEY", "").strip()
    if from_env:
        return from_env
    if _PRODUCTION:
        raise RuntimeError("PARK_PROFILE=production: SUPERSET_SECRET_KEY must come from the environment")
    key_file = SUPERSET_HOME / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_DATABASE_URI") or f"sqlite:///{SUPERSET_HOME / 'superset.db'}"
if _PRODUCTION and not SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
    raise RuntimeError("PARK_PROFILE=production: SUPERSET_DATABASE_URI must name a PostgreSQL database")
# SQLite metadata: Superset warns about it in production; here it keeps the default embedded (DESIGN.md)
SQLALCHEMY_TRACK_MODIFICATIONS = False

_REDIS_URL = os.environ.get("SUPERSET_REDIS_URL", "").strip()
_KEY_PREFIX = os.environ.get("SUPERSET_CACHE_KEY_PREFIX", "").strip() or "park_superset_"
_DATA_CACHE_TIMEOUT = int(
    os.environ.get("SUPERSET_DATA_CACHE_TIMEOUT", "").strip() or timedelta(days=1).total_seconds()
)


def _cache(prefix: str, timeout: int, embedded: dict[str, object] | None = None) -> dict[str, object]:
    """Redis when SUPERSET_REDIS_URL is set, else ``embedded`` (default: in the worker's memory)."""
    if _REDIS_URL:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": _REDIS_URL,
            "CACHE_KEY_PREFIX": f"{_KEY_PREFIX}{prefix}_",
            "CACHE_DEFAULT_TIMEOUT": timeout,
        }
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": timeout, **(embedded or {})}


CACHE_CONFIG = _cache("meta", 300)
FILTER_STATE_CACHE_CONFIG = _cache("filter", int(timedelta(days=7).total_seconds()))
EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("explore", int(timedelta(days=7).total_seconds()))
# Chart data: on disk in the embedded default, so every gunicorn worker and a restart find it; the
# threshold (files kept before the oldest are pruned) holds the ~50 charts' data for ~400 sets of row-level
# rules (each park's staff have their own). Invalidated by a publish through the key (park_cache.py).
_DATA_CACHE_DIR = SUPERSET_HOME / "cache" / "data"
# The folder is the server's (its account owns it once started): another account's process beside the running
# server (root running bootstrap.py or a `superset` command) leaves it alone. cachelib writes its entry count there
# as a 0600 file when it opens; owned by root, that file made the server retry each of its cache writes for 10 s
# (a role's first chart took 50 s after an import).
_OWNS_THE_DATA_CACHE = not _DATA_CACHE_DIR.exists() or _DATA_CACHE_DIR.stat().st_uid == os.geteuid()
DATA_CACHE_CONFIG = (
    _cache(
        "data",
        _DATA_CACHE_TIMEOUT,
        {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(_DATA_CACHE_DIR), "CACHE_THRESHOLD": 20_000}
        if _OWNS_THE_DATA_CACHE
        else {"CACHE_TYPE": "NullCache"},
    )
    if _DATA_CACHE_TIMEOUT > 0
    else {"CACHE_TYPE": "NullCache"}
)
if _REDIS_URL:
    RATELIMIT_STORAGE_URI = _REDIS_URL

# Superset reads the warehouse and nothing more (park_security.py): every DuckDB connection read-only, external
# access off, configuration locked; SQL Lab runs only queries, refused ones answered 403 (422 when unparsable).
from park_security import ParkSecurityManager, answer_refusals_with_4xx, lock_warehouse_connection

CUSTOM_SECURITY_MANAGER = ParkSecurityManager
DB_CONNECTION_MUTATOR = lock_warehouse_connection
FLASK_APP_MUTATOR = answer_refusals_with_4xx

# Row-level security is applied from per-park roles with literal clauses (bootstrap.py), so Jinja templating
# stays off in SQL Lab and datasets. DASHBOARD_RBAC: each dashboard names the roles that see it, those that may
# read everything it reads (bootstrap.dashboard_roles), so no one is listed a dashboard it cannot open.
FEATURE_FLAGS = {
    "ENABLE_TEMPLATE_PROCESSING": False,
    "DASHBOARD_RBAC": True,
    "ALERT_REPORTS": False,
}

# Loopback only and no outside network: no telemetry, no external map tiles, no thumbnails worker.
SUPERSET_WEBSERVER_ADDRESS = "127.0.0.1"
SUPERSET_WEBSERVER_PORT = int(os.environ.get("SUPERSET_PORT", "8088"))
SUPERSET_WEBSERVER_TIMEOUT = 120
SQLLAB_TIMEOUT = 120
ROW_LIMIT = 50_000
SCARF_ANALYTICS = False
TALISMAN_ENABLED = os.environ.get("SUPERSET_TALISMAN_ENABLED", "false").lower() in {"1", "true", "yes"}
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
LOG_LEVEL = os.environ.get("SUPERSET_LOG_LEVEL", "INFO")

# SQL Lab checks access table by table (a physical dataset per published table, bootstrap.py); DuckDB's table
# functions would read around that check (a quarantine Parquet file from disk, a raw table by name in a string,
# another database file), so SQL Lab refuses them. Superset's own defaults for the other engines stay.
from superset.config import DISALLOWED_SQL_FUNCTIONS as _DEFAULT_DISALLOWED

DISALLOWED_SQL_FUNCTIONS = {
    **_DEFAULT_DISALLOWED,
    "duckdb": {
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "read_csv",
        "read_csv_auto",
        "sniff_csv",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_ndjson",
        "read_text",
        "read_blob",
        "read_xlsx",
        "glob",
        "query",
        "query_table",
        "getenv",
        "sqlite_scan",
        "postgres_scan",
    },
}
