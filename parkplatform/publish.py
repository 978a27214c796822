"""Write–audit–publish on DuckDB: the validated build file replaces the serving file atomically.

``os.replace`` on one filesystem swaps the directory entry in one step: a reader (Superset, the
report) holding the old serving file keeps reading it, the next open sees the new one, and no
moment exists where serving is half written.
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
