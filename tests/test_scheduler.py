"""The DAGs run by themselves: Airflow's real scheduler and DAG processor as `make up` starts them (embedded
profile: SQLite, LocalExecutor), driven through Airflow's REST API, not ``dag.test()``."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from park import services
from parkplatform.config import get_settings
from parkplatform.landing import batch_dir, read_report

DAY = date(2026, 11, 23)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _api(base: str, path: str, method: str = "GET", body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/api/v2{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _until(what: str, check, timeout: float = 240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = check()
        except (OSError, KeyError, ValueError):
            found = None
        if found:
            return found
        time.sleep(2)
    raise TimeoutError(f"{what} not within {timeout:.0f} s")


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
