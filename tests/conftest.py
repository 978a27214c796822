"""Test set-up: an isolated data folder, Airflow home and dbt target per session (per xdist worker: `make
test` runs two), set before Airflow is imported.

The real reference data is found as `make demo` finds it: ``PARK_REFERENCE_DIR``, else
``../shared/data/reference`` beside the checkout. Without it, the tests that need it are skipped with a
message saying so, unless ``PARK_REQUIRE_REFERENCE=1`` (``.ci/run`` sets it: CI never skips them), which
makes them fail instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from filelock import FileLock

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="park-tests-"))
os.environ["PARK_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ["AIRFLOW_HOME"] = str(_SESSION_DIR / "airflow")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# dbt writes its manifest, partial parse and run results under the target path: one per session, so two
# workers never rewrite the same manifest.json while the other reads it (the DAG reads manifest_path())
os.environ["DBT_TARGET_PATH"] = str(_SESSION_DIR / "dbt-target")
os.environ["DBT_LOG_PATH"] = str(_SESSION_DIR / "dbt-logs")

from parkplatform.config import REPO_ROOT, get_settings, runtime_environment

os.environ.update(runtime_environment(get_settings()))

BESIDE_THE_CHECKOUT = REPO_ROOT.parent / "shared" / "data" / "reference"
CATALOGUE = Path("parks") / "development_zones_2018.csv"


def real_reference_dir() -> Path | None:
    """PARK_REFERENCE_DIR when it holds the real catalogue, else ../shared/data/reference when it does."""
    raw = os.environ.get("PARK_REFERENCE_DIR", "").strip()
    for candidate in ([Path(raw)] if raw else []) + [BESIDE_THE_CHECKOUT]:
        if (candidate / CATALOGUE).is_file() and not (candidate / "generated.json").exists():
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The real reference data (../shared/data/reference). Missing: skipped, or failed when required."""
    path = real_reference_dir()
    if path is None:
        message = (
            "needs the real reference data: put shared/data/reference beside the checkout "
            f"({BESIDE_THE_CHECKOUT}) or set PARK_REFERENCE_DIR; "
            f"got PARK_REFERENCE_DIR={os.environ.get('PARK_REFERENCE_DIR', '')!r}"
        )
        if os.environ.get("PARK_REQUIRE_REFERENCE", "").strip() == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh PARK_DATA_DIR for one test (the Airflow home stays the session's)."""
    target = tmp_path / "data"
    monkeypatch.setenv("PARK_DATA_DIR", str(target))
    monkeypatch.delenv("PARK_INBOX_DIR", raising=False)  # the inbox is the data folder's
    return target


def _scale_on_the_real_catalogue(monkeypatch: pytest.MonkeyPatch, scale: str, reference_dir: Path) -> None:
    monkeypatch.setenv("PARK_SCALE", scale)
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    monkeypatch.delenv("PARK_SEED", raising=False)
    monkeypatch.delenv("PARK_BAD_ROW_RATE", raising=False)


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch, data_dir: Path, reference_dir: Path) -> Path:
    """Tiny scale on the real catalogue with the default seed and bad-row rate."""
    _scale_on_the_real_catalogue(monkeypatch, "tiny", reference_dir)
    return data_dir


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, data_dir: Path, reference_dir: Path) -> Path:
    """Demo scale on the real catalogue with the default seed and bad-row rate."""
    _scale_on_the_real_catalogue(monkeypatch, "demo", reference_dir)
    return data_dir


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL: the machine's (``PARK_TEST_POSTGRES_DSN``, default 127.0.0.1:5432 database
    ``test``, as on the team's machines and in CI), else a private server started from the pgserver
    package the set-up installs. Never skipped."""
    import psycopg2

    dsn = os.environ.get("PARK_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        psycopg2.connect(dsn, connect_timeout=3).close()
    except psycopg2.OperationalError:
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("postgres"), cleanup_mode="stop")
        yield server.get_uri()
        return
    yield dsn


def _redis_answers(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: the machine's (``PARK_TEST_REDIS_URL``, default ``redis://127.0.0.1:6379/0``, as on the
    team's machines and in CI), else a private ``redis-server`` (Debian's package) started on a free port,
    keeping nothing on disk. Never skipped: without either the tests that need it fail, saying so."""
    import socket
    import subprocess
    import time
    from urllib.parse import urlsplit

    url = os.environ.get("PARK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(url)
    if _redis_answers(parts.hostname or "127.0.0.1", parts.port or 6379):
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(f"no Redis answers at {url} and redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not _redis_answers("127.0.0.1", port):
            assert server.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def postgres_database(postgres_dsn: str) -> Iterator[dict]:
    """A database of its own on the test PostgreSQL (connection keywords), dropped afterwards."""
    import uuid

    import psycopg2
    from psycopg2.extensions import parse_dsn

    name = f"park_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield {**parse_dsn(postgres_dsn), "dbname": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@pytest.fixture(scope="session")
def airflow_ready() -> None:
    """The session's Airflow metadata database migrated and the dbt manifest parsed for Cosmos."""
    from park.runs import prepare_airflow

    prepare_airflow()


TINY_DAY = date(2026, 11, 23)


def shared_by_workers(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder every xdist worker of this run sees (the run's base temporary folder), or the session's
    own when pytest runs without workers."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory, reference_dir: Path, worker_id: str) -> Path:
    """The BUILD warehouse of the tiny scale on the real reference data for 2026-11-23, built once per
    run by the pipeline's own steps (every source extracted, normalised, loaded, then ``dbt build`` of
    the whole project, tests included): the first worker to need it builds it under a lock, the others
    wait and open the same file. Open it read-only; do not change it."""
    shared = shared_by_workers(tmp_path_factory, worker_id)
    with FileLock(str(shared / "tiny-warehouse.lock")):
        built = shared / "tiny-warehouse" / "built"
        if not built.exists():
            shutil.rmtree(built.parent, ignore_errors=True)  # what a worker's failed build left
            warehouse = _build_tiny_warehouse(built.parent / "data", reference_dir)
            built.write_text(str(warehouse), encoding="utf-8")
        return Path(built.read_text(encoding="utf-8"))


def _build_tiny_warehouse(data_dir: Path, reference_dir: Path) -> Path:
    from park.runs import wdi_served_from_reference
    from parkplatform import pipeline
    from parkplatform.dbt import build_project
    from parkplatform.sources import runnable_sources
    from simulators.sources import write_sources

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(data_dir))
        patch.setenv("PARK_SCALE", "tiny")
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        for variable in ("PARK_SEED", "PARK_BAD_ROW_RATE", "PARK_WDI_BASE_URL", "PARK_CRM_DSN"):
            patch.delenv(variable, raising=False)
        settings = get_settings()
        write_sources(settings, TINY_DAY)
        with wdi_served_from_reference():
            for spec in runnable_sources(settings.uses_real_registry):
                pipeline.extract(spec.name, TINY_DAY)
        pipeline.load_build(TINY_DAY, pipeline.normalise(TINY_DAY))
        build_project()
        return settings.build_warehouse


# The files whose tests take longest (measured with --durations on a clean clone), longest first: `make test`
# hands whole files to its workers in collection order, so starting these first keeps one worker from being
# left with a long file at the end. The order changes when tests run, never what they check.
SLOWEST_FILES = (
    "test_scheduler.py",
    "test_end_to_end.py",
    "test_demo.py",
    "test_postgres_build.py",
    "test_write_audit_publish.py",
    "test_superset.py",
    "test_benchmarks.py",
    "test_dbt_docs.py",
    "test_marts_crm.py",
    "test_intake_warehouse.py",
    "test_quality_gate.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOWEST_FILES.index(name) if name in SLOWEST_FILES else len(SLOWEST_FILES)

    items.sort(key=rank)  # stable: the other files, and the tests within a file, keep their order
