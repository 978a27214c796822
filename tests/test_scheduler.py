"""The DAGs run by themselves: Airflow's real scheduler, DAG processor (and, in production, triggerer) as
`make up` starts them, driven through Airflow's REST API, not ``dag.test()``: the embedded profile (SQLite,
LocalExecutor) and the production profile (PostgreSQL for Airflow's metadata and the warehouse)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from park import services
from parkplatform.config import get_settings, production_problems
from parkplatform.landing import batch_dir, read_report

DAY = date(2026, 11, 23)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _api(base: str, path: str, method: str = "GET", body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(
        f"{base}/api/v2{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _until(what: str, check, timeout: float = 240.0, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (OSError, KeyError, ValueError):
            found = None
        if found:
            return found
        time.sleep(interval)
    raise TimeoutError(f"{what} not within {timeout:.0f} s")


def _dbt_in_the_airflow_home(settings, monkeypatch) -> None:
    """dbt's target and logs in the services' Airflow home (the service account writes only there), with
    the manifest the transform DAG's Cosmos group is drawn from parsed into it."""
    from parkplatform.dbt import parse_project

    monkeypatch.setenv("DBT_TARGET_PATH", str(settings.airflow_home / "dbt-target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(settings.airflow_home / "dbt-logs"))
    parse_project()


@pytest.fixture
def airflow(tiny, monkeypatch):
    """The API server, the scheduler and the DAG processor of `make up`, on a free port, with a data folder
    and an Airflow home of their own that the service account can reach (started as root, they run as it,
    as in a deployment; pytest's own folders are private to root); stopped after."""
    base = Path(tempfile.mkdtemp(prefix="park-scheduler-"))
    base.chmod(0o755)
    monkeypatch.setenv("PARK_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("AIRFLOW_HOME", str(base / "data" / "airflow"))
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True")  # this test's services only
    monkeypatch.setenv("PARK_EXTRACT_RETRIES", "0")
    settings = get_settings()
    settings.airflow_home.mkdir(parents=True)
    _dbt_in_the_airflow_home(settings, monkeypatch)
    subprocess.run([str(services.AIRFLOW_BIN), "db", "migrate"], env=services.airflow_environment(), check=True,
                   capture_output=True)  # fmt: skip
    port = _free_port()
    started = [services.airflow_service(port), *services.airflow_background_services(port)]
    try:
        for service in started:
            services.start(service, settings.data_dir)
        services.wait_healthy(started[0])
        yield f"http://127.0.0.1:{port}", settings
    finally:
        for service in started:
            services.stop(settings.data_dir, service.name)
        shutil.rmtree(base, ignore_errors=True)


def test_the_scheduler_runs_an_extract_triggered_through_the_rest_api_and_it_emits_its_asset(airflow):
    base, settings = airflow
    health = _until("a healthy scheduler and DAG processor", lambda: _api(base, "/monitor/health"))
    _until(
        "the scheduler's heartbeat",
        lambda: _api(base, "/monitor/health")["scheduler"]["status"] == "healthy",
    )
    assert "dag_processor" in health
    _until("the DAG processor parsing the extract DAG", lambda: _api(base, "/dags/extract_park_registry"))
    run = _api(
        base,
        "/dags/extract_park_registry/dagRuns",
        "POST",
        {"logical_date": f"{DAY}T00:00:00Z", "dag_run_id": "by-the-scheduler"},
    )
    assert run["state"] == "queued"
    # unpaused, the scheduler also starts the DAG's own latest scheduled run: one at a time, both run
    _api(base, "/dags/extract_park_registry", "PATCH", {"is_paused": False})
    finished = _until(
        "the scheduler running the extract",
        lambda: (
            (state := _api(base, "/dags/extract_park_registry/dagRuns/by-the-scheduler")["state"])
            in ("success", "failed")
            and state
        ),
    )
    assert finished == "success"
    batch = read_report(batch_dir(settings.landing_dir, "park_registry", DAY))
    assert (batch.received, batch.landed + batch.quarantined) == (2543, 2543)
    # the landing emitted its Asset, which transform_publish is scheduled on (any one source's Asset runs it,
    # test_dag_integrity; paused here: its dbt build is the end-to-end tests')
    events = _api(base, "/assets/events?source_dag_id=extract_park_registry&source_run_id=by-the-scheduler")
    assert [event["uri"] for event in events["asset_events"]] == ["landing.park_registry"]


# ------------------------------------------------------------------------------------- production profile

SHANGHAI = ZoneInfo("Asia/Shanghai")
# the source the production test lands through the scheduler: scheduled on the inbox's Assets, not on a
# clock, so unpausing it starts no run of its own (one landing, one transform run)
TRIGGERED_SOURCE = "intake_receipts"


def _week_the_report_covers(now: datetime) -> tuple[date, str]:
    """The Sunday ending the ISO week that the weekly report's latest scheduled run (Monday 08:00 Shanghai)
    covers, and that week's label."""
    local = now.astimezone(SHANGHAI)
    monday = (local - timedelta(days=local.weekday())).replace(hour=8, minute=0, second=0, microsecond=0)
    if monday > local:
        monday -= timedelta(weeks=1)
    sunday = (monday - timedelta(days=1)).date()
    year, week, _ = sunday.isocalendar()
    return sunday, f"{year}-W{week:02d}"


@pytest.mark.parametrize(
    ("earliest", "week"),
    [
        # the run at 08:00 Shanghai on Monday 2026-12-28 (00:00 UTC) covers the week before
        (datetime(2026, 12, 28, 0, 0, tzinfo=UTC), "2026-W52"),
        # at 07:59 Shanghai on Monday 2027-01-04 (still Sunday in UTC) the next run is 08:00 that day: it covers
        # ISO week 2026-W53 (Mon 28 Dec to Sun 3 Jan), the 53rd week, not week 1 of 2027
        (datetime(2027, 1, 3, 23, 59, tzinfo=UTC), "2026-W53"),
        (datetime(2027, 1, 11, 0, 0, tzinfo=UTC), "2027-W01"),
    ],
)
def test_a_scheduled_weekly_report_covers_the_iso_week_just_ended_in_shanghai(earliest, week):
    """The weekly_report DAG's own timetable and the week its render task derives from the data interval."""
    import importlib.util

    from airflow.timetables.base import TimeRestriction

    from parkplatform.config import REPO_ROOT
    from report.run import week_of_data_interval

    spec = importlib.util.spec_from_file_location("weekly_report_dag", REPO_ROOT / "dags" / "weekly_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    info = module.dag.timetable.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(earliest=earliest, latest=None, catchup=True)
    )
    assert info.run_after.astimezone(SHANGHAI).strftime("%a %H:%M") == "Mon 08:00"
    assert week_of_data_interval(info.data_interval.start).label == week


def _create(admin_dsn: str, statement: str) -> None:
    import psycopg2

    connection = psycopg2.connect(admin_dsn)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture
def production(tiny, monkeypatch, postgres_dsn):
    """PARK_PROFILE=production as .env.example describes it, on the test PostgreSQL: Airflow's metadata and the
    warehouse in databases of their own, secrets generated for the test, the API server, scheduler, DAG
    processor and triggerer started as `make up` starts them. Every source but the inbox's receipts has landed
    beforehand (generated for the Sunday that ends the week the report will cover), so the scheduler's
    landing of the receipts is what starts the transform."""
    import secrets

    from cryptography.fernet import Fernet
    from psycopg2.extensions import parse_dsn

    from park.runs import wdi_served_from_reference
    from parkplatform import pipeline
    from parkplatform.sources import runnable_sources
    from simulators.sources import write_sources

    suffix = secrets.token_hex(4)
    airflow_db, warehouse_db, reader = f"park_prod_airflow_{suffix}", f"park_prod_{suffix}", f"park_reader_{suffix}"
    superset_db = f"park_prod_superset_{suffix}"
    server = parse_dsn(postgres_dsn)
    host, port = server.get("host", "127.0.0.1"), server.get("port", "5432")
    for database in (airflow_db, warehouse_db, superset_db):
        _create(postgres_dsn, f'create database "{database}"')
    base = Path(tempfile.mkdtemp(prefix="park-production-"))
    base.chmod(0o755)
    sunday, week = _week_the_report_covers(datetime.now(UTC))
    environment = {
        "PARK_PROFILE": "production",
        "PARK_DATA_DIR": str(base / "data"),
        "AIRFLOW_HOME": str(base / "data" / "airflow"),
        "PARK_WAREHOUSE_ENGINE": "postgres",
        "PARK_PG_HOST": host,
        "PARK_PG_PORT": str(port),
        "PARK_PG_USER": server.get("user", "postgres"),
        "PARK_PG_DATABASE": warehouse_db,
        "PARK_PG_READER_ROLE": reader,
        "PARK_PG_READER_PASSWORD": secrets.token_urlsafe(24),
        "PARK_AIRFLOW_DATABASE_URL": f"postgresql+psycopg2://{server.get('user', 'postgres')}@{host}:{port}/{airflow_db}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "SUPERSET_DATABASE_URI": f"postgresql://{server.get('user', 'postgres')}@{host}:{port}/{superset_db}",
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "PARK_EXTRACT_RETRIES": "0",
    }
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", raising=False)
    settings = get_settings()
    assert production_problems(settings, os.environ) == []
    settings.airflow_home.mkdir(parents=True)
    _dbt_in_the_airflow_home(settings, monkeypatch)
    write_sources(settings, sunday)
    with wdi_served_from_reference():
        for spec in runnable_sources(settings.uses_real_registry):
            if spec.name != TRIGGERED_SOURCE:
                pipeline.extract(spec.name, sunday)
    api_port, superset_port = _free_port(), _free_port()
    while superset_port == api_port:
        superset_port = _free_port()
    command = [sys.executable, "-m", "park.services"]  # what `make up`, `make status` and `make down` run
    try:
        up = _services(command, "up", "--superset-port", str(superset_port), "--airflow-port", str(api_port))
        assert (
            f"profile production: Airflow metadata postgresql+psycopg2://{server.get('user', 'postgres')}@" in up.stdout
        )
        assert f"/{airflow_db}, Superset metadata postgresql://" in up.stdout and f"/{warehouse_db}" in up.stdout
        # every dashboard of the bundle, each title whole on one line
        assert len(services.dashboard_titles()) == 8
        for title in ["领导周报概览 · Leadership weekly overview", "本园区 · My park", *services.dashboard_titles()]:
            assert any(title in line for line in up.stdout.splitlines()), title
        status = _services(command, "status", check=False)
        assert status.returncode == 0, status.stdout  # every service of the profile runs, the triggerer too
        assert [line.split()[0] for line in status.stdout.splitlines()[1:]] == [
            "superset", "airflow-api-server", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"
        ]  # fmt: skip
        base_url = f"http://127.0.0.1:{api_port}"
        password = _until(
            "the API server's generated admin password", lambda: services.airflow_password(settings.airflow_home)
        )
        token = _until(
            "a token for the admin",
            lambda: json.loads(
                urllib.request.urlopen(
                    urllib.request.Request(
                        f"{base_url}/auth/token",
                        data=json.dumps({"username": "admin", "password": password}).encode(),
                        headers={"Content-Type": "application/json"},
                    ),
                    timeout=30,
                ).read()
            )["access_token"],
        )
        yield base_url, token, settings, sunday, week, superset_port
    finally:
        _services(command, "down", check=False)
        stopped = _services(command, "status", check=False)
        for database in (airflow_db, warehouse_db, superset_db):
            _create(postgres_dsn, f'drop database if exists "{database}" with (force)')
        _create(postgres_dsn, f'drop role if exists "{reader}"')
        shutil.rmtree(base, ignore_errors=True)
    # `make down` stopped exactly what `make up` started: nothing of the profile runs any more
    assert stopped.returncode == 1 and "running (process group" not in stopped.stdout, stopped.stdout


def _services(command: list[str], *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=600, check=False)
    if check and done.returncode:
        raise AssertionError(f"park.services {arguments[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def _runs(base: str, token: str, dag_id: str) -> list[dict]:
    return _api(base, f"/dags/{dag_id}/dagRuns?limit=100", token=token)["dag_runs"]


def _all_finished(base: str, token: str, dag_id: str) -> list[dict] | None:
    runs = _runs(base, token, dag_id)
    return runs if runs and all(run["state"] in ("success", "failed") for run in runs) else None


def test_the_production_profile_runs_extract_transform_and_report_by_itself_and_equals_the_embedded_build(
    production, tmp_path
):
    """Production, end to end by the scheduler: a source's landing triggered through the REST API starts the
    transform by its Asset (the monthly and daily sources' own schedules are not waited for), the transform
    publishes into PostgreSQL, and its marts equal, number for number, a DuckDB build of the same landed
    batches (the embedded profile); a backfill of the week before builds nothing and serving keeps its date;
    then the weekly report's scheduled run covers the ISO week just ended in Shanghai, from PostgreSQL; Superset, its metadata on PostgreSQL, serves the published marts."""
    import psycopg2
    from marts_comparison import COMPARED, assert_same_mart

    from parkplatform import pipeline
    from parkplatform.dbt import build_project

    base, token, settings, sunday, week, superset_port = production
    extract = f"extract_{TRIGGERED_SOURCE}"
    for dag_id in (extract, "transform_publish", "weekly_report"):
        _until(f"the DAG processor parsing {dag_id}", lambda dag_id=dag_id: _api(base, f"/dags/{dag_id}", token=token))
    _api(base, "/dags/transform_publish", "PATCH", {"is_paused": False}, token=token)
    run = _api(base, f"/dags/{extract}/dagRuns", "POST",
               {"logical_date": f"{sunday}T12:00:00Z", "dag_run_id": "landed-by-rest"}, token=token)  # fmt: skip
    assert run["state"] == "queued"
    _api(base, f"/dags/{extract}", "PATCH", {"is_paused": False}, token=token)
    (landed,) = _until("the extract's run", lambda: _all_finished(base, token, extract), 600)
    assert (landed["dag_run_id"], landed["state"]) == ("landed-by-rest", "success")
    transforms = _until(
        "the Asset-triggered transform publishing",
        lambda: (runs := _all_finished(base, token, "transform_publish")) and len(runs) >= 1 and runs,
        1200,
        5,
    )
    assert [run["state"] for run in transforms] == ["success"]  # one landing, one run
    assert {run["run_type"] for run in transforms} == {"asset_triggered"}

    # the embedded profile on the same input: the landed batches, built in DuckDB
    embedded = tmp_path / "embedded"
    shutil.copytree(settings.landing_dir, embedded / "landing")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(embedded))
        patch.setenv("PARK_WAREHOUSE_ENGINE", "duckdb")
        patch.setenv("PARK_PROFILE", "demo")
        patch.delenv("PARK_AIRFLOW_DATABASE_URL")
        patch.delenv("AIRFLOW_HOME")
        pipeline.load_build(None, pipeline.normalise(None))
        build_project()
        duckdb_build = get_settings().build_warehouse
    connection = psycopg2.connect(settings.postgres_dsn)
    try:
        for table in sorted(COMPARED):
            assert_same_mart(table, duckdb_build, connection)
    finally:
        connection.close()

    # a backfill of the week before, run by the scheduler: it builds nothing and serving keeps its newest date
    backfill = "backfill-the-week-before"
    _api(base, "/dags/transform_publish/dagRuns", "POST",
         {"logical_date": f"{sunday - timedelta(days=7)}T12:00:00Z", "dag_run_id": backfill}, token=token)  # fmt: skip
    (backfilled,) = _until(
        "the backfill's run",
        lambda: [
            run for run in (_all_finished(base, token, "transform_publish") or []) if run["dag_run_id"] == backfill
        ],
        600,
    )
    assert backfilled["state"] == "success"
    listed = f"/dags/transform_publish/dagRuns/{backfill}/taskInstances?limit=100&order_by=id"
    total = _api(base, listed, token=token)["total_entries"]
    instances = [  # the API gives at most 100 a page
        ti
        for offset in range(0, total, 100)
        for ti in _api(base, f"{listed}&offset={offset}", token=token)["task_instances"]
    ]
    assert total > 100 and len(instances) == total  # every task of the run, the dbt models' included
    assert [(ti["task_id"], ti["state"]) for ti in instances if ti["state"] != "skipped"] == [
        ("serving_moves_forward", "success")
    ]
    assert pipeline.serving_as_of(settings) == sunday

    _api(base, "/dags/weekly_report", "PATCH", {"is_paused": False}, token=token)
    (report_run,) = _until(
        "the weekly report's scheduled run", lambda: _all_finished(base, token, "weekly_report"), 600
    )
    assert (report_run["state"], report_run["run_type"]) == ("success", "scheduled")
    assert (settings.reports_dir / week / "report.zh.pdf").stat().st_size > 10_000

    # Superset as `make up` started it in this profile: metadata in PostgreSQL, the marts read as the reader role
    superset = services.superset_service(settings.data_dir, superset_port)
    assert superset.env["SUPERSET_WAREHOUSE_URI"].startswith(f"postgresql://{settings.pg_reader_role}:")
    with httpx.Client(base_url=f"http://127.0.0.1:{superset_port}", timeout=60) as client:
        login = client.post(
            "/api/v1/security/login",
            json={"username": "admin", "password": os.environ["SUPERSET_ADMIN_PASSWORD"], "provider": "db"},
        )
        assert login.status_code == 200, login.text[:300]
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        dashboards = client.get("/api/v1/dashboard/", params={"q": "(page_size:100)"}).json()["result"]
        leadership = next(d["id"] for d in dashboards if d["slug"] == "leadership-weekly")
        for chart in client.get(f"/api/v1/dashboard/{leadership}/charts").json()["result"]:
            data = client.get(f"/api/v1/chart/{chart['id']}/data/", params={"format": "json", "force": "true"})
            assert data.status_code == 200, (chart["slice_name"], data.text[:300])
            assert data.json()["result"][0]["rowcount"] > 0, chart["slice_name"]
    metadata = psycopg2.connect(os.environ["SUPERSET_DATABASE_URI"])
    try:
        with metadata.cursor() as cursor:
            cursor.execute("select count(*) from dashboards")
            assert cursor.fetchone()[0] >= 5  # Superset's own metadata is in PostgreSQL
    finally:
        metadata.close()
