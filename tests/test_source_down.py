"""A source that is down fails its own DAG run after its retries, with a clear message; the other
sources' DAGs run as usual (real Airflow, dag.test)."""

import socket
from datetime import date

import pytest
from airflow.models.taskinstance import TaskInstance
from airflow.utils.session import create_session

from park.runs import DagRunFailed, midnight_utc, run_dag
from parkplatform.config import get_settings
from parkplatform.landing import batch_dir

pytestmark = pytest.mark.airflow

DAY = date(2026, 11, 23)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # free once closed: nothing listens there


def test_a_down_source_fails_after_its_retries_and_the_others_run(tiny, airflow_ready, monkeypatch, caplog, capfd):
    down = f"http://127.0.0.1:{_closed_port()}/v2"
    monkeypatch.setenv("PARK_WDI_BASE_URL", down)
    monkeypatch.setenv("PARK_EXTRACT_RETRIES", "1")
    monkeypatch.setenv("PARK_EXTRACT_RETRY_DELAY_SECONDS", "1")
    monkeypatch.setenv("PARK_HTTP_ATTEMPTS", "2")
    settings = get_settings()

    with pytest.raises(DagRunFailed, match="extract_world_bank run .* ended failed; failed tasks: land_world_bank"):
        run_dag("extract_world_bank", midnight_utc(DAY))
    with create_session() as session:
        tries = [
            ti.try_number
            for ti in session.query(TaskInstance).filter(
                TaskInstance.dag_id == "extract_world_bank", TaskInstance.task_id == "land_world_bank"
            )
        ]
    assert tries == [2]  # the first try and its one retry
    # the task's log (dag.test writes it to the console) says what is down, where, how often it was tried
    logs = caplog.text + "\n".join(capfd.readouterr())
    assert (
        f"WdiError: WDI indicator BX.KLT.DINV.CD.WD: giving up after 2 attempt(s) on {down}/country/all/indicator/"
        in logs
    )
    assert "last error: ConnectError: [Errno 111] Connection refused" in logs
    assert not batch_dir(settings.landing_dir, "world_bank", DAY).exists()

    # another source's DAG is not affected
    run_dag("extract_park_registry", midnight_utc(DAY))
    assert (batch_dir(settings.landing_dir, "park_registry", DAY) / "batch.json").is_file()
