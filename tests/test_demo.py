"""`make demo` as a newcomer runs it: without any reference data (generated mode) it publishes and prints
one progress display and a short summary, every log in a file; a failed run names the task, the reason
and the log, without a traceback. Real Airflow, dbt and GX in a child process, as the demo runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from parkplatform.config import REPO_ROOT

pytestmark = pytest.mark.airflow

DAY = "2026-11-23"
MAX_LINES = 300  # issue 13: a first `make demo` prints fewer than 300 lines after installation


def _demo_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh clone asked for generated reference data (PARK_REFERENCE_SOURCE=generated: no
    fetch from the upstreams, whatever the network): no reference folder, no WDI URL, an Airflow home of its own."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AIRFLOW", "PARK_")) and name not in ("DBT_SEND_ANONYMOUS_USAGE_STATS",)
    }
    env.update({"PARK_DATA_DIR": str(data_dir), "PARK_SCALE": "tiny", "PARK_REFERENCE_SOURCE": "generated", **extra})
    return env


def _run_demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "park.demo", "--logical-date", DAY, *args],
        check=False,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def _log_file(output: str) -> Path:
    logs = [word for word in output.split() if word.endswith(".log") and "/logs/demo-" in word]
    assert logs, output[-2000:]
    return Path(logs[-1])


@pytest.fixture(scope="module")
def generated_demo(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    data_dir = tmp_path_factory.mktemp("demo-generated") / "data"
    return _run_demo(_demo_environment(data_dir)), data_dir


def test_generated_mode_publishes_with_a_short_summary_and_logs_in_a_file(generated_demo):
    result, data_dir = generated_demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert len(output.splitlines()) < MAX_LINES
    assert "Traceback" not in output
    # one progress line per DAG and task, all done
    for line in ("extract_world_bank", "land_reference_tables", "quality_gate", "publish", "render (HTML, PDF)"):
        assert line in output
    assert "failed" not in output.split("Landed batches")[0]
    assert "GENERATED demonstration data" in output and str(data_dir / "reference-generated") in output
    # every log of the run is in the file the summary names, not on the screen
    log = _log_file(output).read_text(encoding="utf-8", errors="replace")
    assert "dbt" in log and "transform_publish" in log and "weasyprint" in log.lower()
    assert (data_dir / "reference-generated" / "generated.json").is_file()


def test_generated_mode_passes_the_gate_for_the_right_reasons(generated_demo):
    """Every project converts to yuan and dollars at the generated exchange rates, the registry is labelled
    generated, no critical expectation failed, and the report was rendered."""
    result, data_dir = generated_demo
    assert result.returncode == 0
    with duckdb.connect(str(data_dir / "warehouse" / "serving.duckdb"), read_only=True) as con:
        projects, cny, usd, over_paid = con.execute(
            "select count(*), count(contracted_cny), count(contracted_usd), count(*) filter (paid_in_ratio > 1) "
            "from fct_investment_project"
        ).fetchone()
        assert projects > 150 and cny == usd == projects and over_paid == 0
        assert con.execute("select distinct data_origin from dim_park where in_catalogue").fetchall() == [
            ("generated",)
        ]
        failed_critical = con.execute(
            "select count(*) from quality_validation_results where not success and severity = 'critical'"
        ).fetchone()
        assert failed_critical == (0,)
        regions = dict(con.execute("select region_type, count(*) from dim_region group by 1").fetchall())
        assert regions["province"] == 31 and regions["country"] > 50
        # the first run back-filled the offices' history through the inbox: last year's and the year before's
        # annual reports, so growth on the year before exists from the first run and stages move; then each
        # office sent what its cadence has due, a period ended: the monthly ones October, the quarterly ones the third quarter
        # (the yearly ones' 2025 is the annual report they already sent), each period kept as its kind
        periods = {
            (period, kind): count
            for period, kind, count in con.execute(
                "select period, period_kind, count(*) from fct_enterprise_period group by all"
            ).fetchall()
        }
        assert sorted(periods) == [("2024", "year"), ("2025", "year"), ("2026-10", "month"), ("2026Q3", "quarter")]
        # enterprises established in 2025 join the list after 2024's; 2025's list is every office's (the
        # generated enterprises were all established by December 2025), October's and the quarter's only the
        # monthly and the quarterly offices'
        assert periods["2024", "year"] < periods["2025", "year"]
        assert periods["2025", "year"] > periods["2026-10", "month"] + periods["2026Q3", "quarter"]
        growth = dict(
            con.execute(
                "select year, count(employment_growth) from mart_cluster_park_year group by 1 order by 1"
            ).fetchall()
        )
        assert list(growth) == [2024, 2025, 2026] and growth[2024] == 0 and growth[2025] > 0 and growth[2026] > 0
    landed = data_dir / "landing" / "park_submissions" / "*" / "landed.parquet"
    (moved,) = duckdb.sql(
        f"select count(*) from (select credit_code from read_parquet('{landed}') "
        "group by 1 having count(distinct incubation_stage) > 1)"
    ).fetchone()
    assert moved > 0  # an incubator's enterprise of 2024 is an accelerator's now
    assert list((data_dir / "reports").glob("*/report.zh.pdf"))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failed_run_names_the_task_the_reason_and_the_log_without_a_traceback(tmp_path):
    from simulators.reference import write_generated_reference

    reference = write_generated_reference(tmp_path / "reference", parks=20, seed=20180101)
    url = f"http://127.0.0.1:{_closed_port()}/v2"
    env = _demo_environment(
        tmp_path / "data",
        PARK_REFERENCE_DIR=str(reference),
        PARK_WDI_BASE_URL=url,
        PARK_EXTRACT_RETRIES="0",
        PARK_HTTP_ATTEMPTS="1",
    )
    result = _run_demo(env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "extract_world_bank failed at land_world_bank" in output
    assert "DAG extract_world_bank run" in output and "127.0.0.1" in output  # the callback's paragraph
    assert "Traceback" not in output and "--verbose" in output
    log = _log_file(output)
    assert log.is_file() and "Traceback" in log.read_text(encoding="utf-8", errors="replace")
    # what --verbose adds: the traceback of the failure, from the log
    from park.demo import last_traceback

    assert last_traceback(log).startswith("Traceback (most recent call last)")
    assert len(output.splitlines()) < 60
