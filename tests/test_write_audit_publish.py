"""Write–audit–publish on DuckDB survives crashes: real Airflow runs (dag.test, and the airflow CLI
for a crash of the whole worker) of transform_publish at the tiny scale.

A crash in the middle of the dbt build (the dbt process SIGKILLed), a crash during validation (the
Airflow process running the gate SIGKILLed) and a failing critical expectation each leave the serving
file byte-for-byte unchanged; the next good run publishes. The failure callback names the failed
task and, at the gate, the suite and expectations that failed with observed versus expected.

To stay cheap the runs build one dbt node (``PARK_DBT_SELECT``): every other table continues from
the copy of serving the build starts from, so the gate still sees a whole warehouse.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import psutil
import pytest

from expectations import gate
from park.runs import DagRunFailed, midnight_utc, prepare_airflow, run_dag
from parkplatform import pipeline
from parkplatform.alerts import alert_path
from parkplatform.config import get_settings

pytestmark = pytest.mark.airflow

TINY_DAY = date(2026, 11, 23)
DAG_ID = "transform_publish"
ONE_NODE = "mart_quarantine_batches"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def serving(tmp_path_factory, tiny_warehouse, reference_dir) -> Iterator[Path]:
    """A data folder whose serving warehouse is the tiny build (as a good run publishes it), with the
    batches it was built from; transform runs build only ``ONE_NODE``."""
    data = tmp_path_factory.mktemp("wap") / "data"
    shutil.copytree(tiny_warehouse.parent.parent / "landing", data / "landing")
    (data / "warehouse").mkdir(parents=True)
    shutil.copyfile(tiny_warehouse, data / "warehouse" / "serving.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(data))
        patch.setenv("PARK_SCALE", "tiny")
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        patch.setenv("PARK_DBT_SELECT", ONE_NODE)
        for variable in ("PARK_SEED", "PARK_BAD_ROW_RATE", "PARK_FULL_REFRESH"):
            patch.delenv(variable, raising=False)
        prepare_airflow()
        yield get_settings().serving_warehouse


def _run_fails(match: str) -> None:
    with pytest.raises(DagRunFailed, match=match):
        run_dag(DAG_ID, midnight_utc(TINY_DAY))


def _alert(run_match: str) -> str:
    """The failure callback's message of the newest transform run."""
    alerts = sorted(alert_path(DAG_ID, "x").parent.glob("*.txt"), key=lambda path: path.stat().st_mtime)
    assert alerts, "the DAG's failure callback recorded no message"
    message = alerts[-1].read_text(encoding="utf-8")
    assert run_match in message
    return message


@contextmanager
def killing_dbt(build: Path) -> Iterator[list[int]]:
    """SIGKILL the first dbt process this test process starts, once it holds the build file open
    (mid-write), else after 3 s of life; yields the killed pids."""
    killed: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        me = psutil.Process()
        while not stop.is_set() and not killed:
            for child in me.children(recursive=True):
                try:
                    if not any(part.endswith("dbt") for part in child.cmdline()[:2]):
                        continue
                    holds_build = any(f.path == str(build) for f in child.open_files())
                    if holds_build or time.time() - child.create_time() > 3:
                        child.send_signal(signal.SIGKILL)
                        killed.append(child.pid)
                        return
                except psutil.Error:
                    continue
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield killed
    finally:
        stop.set()
        watcher.join()


def test_a_crash_during_validation_leaves_serving_byte_identical(serving):
    """The worker running the gate is SIGKILLed while it validates: a real crash, no exception."""
    before = sha256(serving)
    settings = get_settings()
    command = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID, TINY_DAY.isoformat()]
    output = settings.data_dir / "worker.log"
    with output.open("wb") as log_file:
        worker = subprocess.Popen(
            command, env=dict(os.environ), start_new_session=True, stdout=log_file, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 300
    validating = None
    while validating is None and worker.poll() is None and time.monotonic() < deadline:
        # the gate exports the build's tables to quality/<run id>/tables/ and validates them there
        validating = next(iter(settings.quality_dir.glob("*/tables")), None)
        time.sleep(0.05)
    assert validating is not None, output.read_text(errors="replace")[-3000:]
    time.sleep(1.0)
    os.killpg(worker.pid, signal.SIGKILL)
    assert worker.wait() == -signal.SIGKILL
    assert sha256(serving) == before
    assert settings.build_warehouse.exists()  # the unpublished build stays behind, never promoted


def test_a_failing_critical_expectation_leaves_serving_byte_identical_and_the_callback_names_it(serving, monkeypatch):
    """Bad data reaches the gate (three parks with a level outside the domain, written into the
    build after dbt): the run fails at quality_gate and the callback says which expectation."""
    before = sha256(serving)
    validate = gate.quality_gate

    def gate_on_a_broken_build(run_id: str) -> dict:
        with duckdb.connect(str(get_settings().build_warehouse)) as con:
            con.execute(
                "update dim_park set level = '市级' where park_id in (select park_id from dim_park order by 1 limit 3)"
            )
        return validate(run_id)

    monkeypatch.setattr(gate, "quality_gate", gate_on_a_broken_build)
    _run_fails("failed tasks: quality_gate")
    assert sha256(serving) == before

    message = _alert("failed at task quality_gate")
    assert "the build was not published" in message
    assert "dim_park" in message and "level" in message
    assert "expect_column_values_to_be_in_set" in message
    assert "national" in message and "市级" in message  # expected set versus observed values


def test_a_failing_dbt_test_fails_the_run_at_its_model_and_leaves_serving_byte_identical(serving, monkeypatch):
    """One `dbt build` runs every model and test (Cosmos' watcher mode), yet a failing test still fails
    the run at the task of the model it tests: a quarantine reason counted twice in the build's raw
    tables breaks the reconciliation of mart_quarantine_batches."""
    before = sha256(serving)
    load = pipeline.load_build

    def load_with_a_reason_counted_twice(as_of, normalised):
        counts = load(as_of, normalised)
        with duckdb.connect(str(get_settings().build_warehouse)) as con:
            con.execute("insert into raw.landing_quarantine select * from raw.landing_quarantine limit 1")
        return counts

    monkeypatch.setattr(pipeline, "load_build", load_with_a_reason_counted_twice)
    _run_fails(rf"failed tasks: .*dbt\.{ONE_NODE}\.test")
    assert sha256(serving) == before
    assert f"failed at task dbt.{ONE_NODE}.test" in _alert("failed at task dbt.")


def test_a_killed_dbt_build_leaves_serving_byte_identical_and_the_next_good_run_publishes(serving):
    settings = get_settings()
    before = sha256(serving)
    with killing_dbt(settings.build_warehouse) as killed:
        _run_fails(r"failed tasks: dbt\.")
    assert killed, "no dbt process was started"
    assert sha256(serving) == before
    assert "failed at task dbt." in _alert("failed at task dbt.")

    # the next good run starts over from serving, validates and publishes
    timings = run_dag(DAG_ID, midnight_utc(TINY_DAY))
    assert {t.task_id for t in timings} >= {"quality_gate", "publish"}
    assert sha256(serving) != before
    assert not settings.build_warehouse.exists()
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from main.dim_park").fetchone() == (2552,)
        assert con.execute("select count(*) from main.dim_park where level = '市级'").fetchone() == (0,)


def _warehouse_describing(path: Path, day: date, *, serving: bool) -> Path:
    """A warehouse file whose batches' newest logical date is ``day``: as serving holds it (the staging
    view of the batches) or as a build holds it (the loaded raw table)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        schema, table = ("staging", "stg_landing__batches") if serving else ("raw", "landing_batches")
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table {schema}.{table} as select ?::varchar as logical_date, 'x' as source", [str(day)])
        con.execute("create table main.marker as select ?::varchar as built_for", [str(day)])
    return path


@pytest.mark.parametrize(
    ("built_for", "published"),
    [(date(2026, 11, 16), False), (date(2026, 11, 23), True), (date(2026, 11, 30), True)],
)
def test_serving_only_moves_forward(data_dir, built_for, published, caplog):
    """A run or a build of an earlier date than serving describes (a backfill, a re-run of a past date) is not
    built or published: serving keeps its bytes and the build stays for inspection; the same date or a later one is."""
    settings = get_settings()
    _warehouse_describing(settings.serving_warehouse, date(2026, 11, 23), serving=True)
    _warehouse_describing(settings.build_warehouse, built_for, serving=False)
    before = settings.serving_warehouse.read_bytes()
    if published:
        assert pipeline.serving_moves_forward(built_for)  # a run for this date goes on to build
        pipeline.publish()
        with duckdb.connect(str(settings.serving_warehouse), read_only=True) as con:
            assert con.execute("select built_for from main.marker").fetchone() == (str(built_for),)
        assert not settings.build_warehouse.exists()
    else:
        # a run for this date builds nothing, saying why; a build for it that was started anyway is not published
        with caplog.at_level(logging.WARNING, logger="parkplatform.pipeline"):
            assert not pipeline.serving_moves_forward(built_for)
        assert "not built: this run describes 2026-11-16, serving already describes 2026-11-23" in caplog.text
        with pytest.raises(pipeline.ServingIsNewer, match="this build describes 2026-11-16, serving already describes"):
            pipeline.publish()
        assert settings.serving_warehouse.read_bytes() == before
        assert settings.build_warehouse.exists()
