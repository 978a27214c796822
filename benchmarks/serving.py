"""How fast the dashboards answer: every chart's query through Superset's chart-data API.

Superset is started as ``tests/test_superset.py`` starts it: ``infra/superset/bootstrap.py setup`` (metadata
migrated once per Superset lock and cached under ``~/.cache/park-bench/superset-metadata``, admin, roles,
the warehouse connection, the dashboards), then ``park.services``' ``start`` on a free port (gunicorn, one
worker with 8 threads, as ``make up``), as the unprivileged service account when run as root: its data folder
is a fresh one readable by that account, whose serving file is the benchmark's serving warehouse published
there with ``parkplatform.publish.publish``. Then, logged in as an admin through the API, for every chart of
every dashboard: one call to warm up, then ``--serving-calls`` calls (default 5) of
``/api/v1/chart/<id>/data/?format=json&type=full&force=true`` (``force``: Superset's cache bypassed, the query
runs on DuckDB each time), one at a time. Reported: p50, p95 and max per chart and over every call; a call that
does not answer 200 with rows is counted as a failure.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks import REPO_ROOT
from benchmarks.harness import Context, measure
from benchmarks.worker import Timer

SUPERSET_DIR = REPO_ROOT / "infra" / "superset"


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if len(ordered) == 1:
        p95 = ordered[0]
    else:
        p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18]
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(p95, 1),
        "max": round(ordered[-1], 1),
        "calls": len(ordered),
    }


# ================================================================================ in the worker process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    return round(sum(member.memory_info().rss for member in members) / 1024 / 1024, 1)


def chart_latencies(logical_date: str, calls: int = 5) -> dict:
    import httpx

    from park import services
    from parkplatform.config import get_settings
    from parkplatform.publish import publish

    base = Path(tempfile.mkdtemp(prefix="park-bench-superset-"))
    base.chmod(0o755)  # the service account must reach its data folder
    data_dir = base / "data"
    warehouse = data_dir / "warehouse"
    warehouse.mkdir(parents=True)
    shutil.copyfile(get_settings().serving_warehouse, warehouse / "build.duckdb")
    publish(warehouse / "build.duckdb", warehouse / "serving.duckdb")
    port = _free_port()
    password = secrets.token_urlsafe(16)
    env = services.superset_environment(data_dir, port)
    env.update({"SUPERSET_ADMIN_USER": "admin", "SUPERSET_ADMIN_PASSWORD": password, "SUPERSET_LOG_LEVEL": "WARNING"})
    cache = Path(os.environ.get("PARK_BENCH_CACHE") or Path.home() / ".cache" / "park-bench") / "superset-metadata"
    service = dataclasses.replace(services.superset_service(data_dir, port), env=env)
    charts: list[dict] = []
    failures: list[dict] = []
    try:
        with Timer() as setup:
            subprocess.run(
                [str(SUPERSET_DIR / ".venv" / "bin" / "python"), str(SUPERSET_DIR / "bootstrap.py"), "setup",
                 "--metadata-cache", str(cache)],
                env=env, check=True,
            )  # fmt: skip
        with Timer() as start:
            pid = services.start(service, data_dir)
            services.wait_healthy(service, timeout=300)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        login = client.post(
            "/api/v1/security/login",
            json={"username": "admin", "password": password, "provider": "db", "refresh": True},
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        dashboards = client.get("/api/v1/dashboard/", params={"q": "(page_size:100)"})
        dashboards.raise_for_status()
        with Timer() as queries:
            for dashboard in sorted(dashboards.json()["result"], key=lambda row: row["slug"] or ""):
                listed = client.get(f"/api/v1/dashboard/{dashboard['id']}/charts")
                listed.raise_for_status()
                for chart in listed.json()["result"]:
                    timings = []
                    for call in range(calls + 1):
                        started = time.perf_counter()
                        response = client.get(
                            f"/api/v1/chart/{chart['id']}/data/",
                            params={"format": "json", "type": "full", "force": "true"},
                        )
                        elapsed = (time.perf_counter() - started) * 1000
                        result = response.json().get("result", [{}]) if response.status_code == 200 else [{}]
                        if response.status_code != 200 or result[0].get("error"):
                            failures.append(
                                {"chart": chart["slice_name"], "status": response.status_code,
                                 "error": response.text[:300]}
                            )  # fmt: skip
                        elif call > 0:  # the first call warms up
                            timings.append(elapsed)
                    charts.append(
                        {
                            "dashboard": dashboard["slug"] or dashboard["dashboard_title"],
                            "chart_id": chart["id"],
                            "chart": chart["slice_name"],
                            "rows": result[0].get("rowcount") if result else None,
                            "ms": [round(value, 1) for value in timings],
                        }
                    )
        superset_rss = _tree_rss_mb(pid)
        client.close()
    finally:
        services.stop(data_dir, service.name)
        shutil.rmtree(base, ignore_errors=True)
    return {
        "seconds": queries.seconds,
        "setup_seconds": round(setup.seconds, 3),
        "start_seconds": round(start.seconds, 3),
        "superset_rss_mb": superset_rss,
        "charts": charts,
        "failures": failures,
    }


# ================================================================================ in the harness process


def run_serving(ctx: Context) -> dict:
    from benchmarks.stages import ensure

    ensure(ctx, "published")
    figures = measure(ctx, "serving", "serving:chart_latencies", params={"calls": ctx.options.serving_calls}, runs=1)
    output = figures["output"]
    charts = [
        {**chart, **percentiles(chart["ms"])} if chart["ms"] else {**chart, "calls": 0}
        for chart in output.pop("charts")
    ]
    every_call = [value for chart in charts for value in chart["ms"]]
    out = {
        "calls_per_chart": ctx.options.serving_calls,
        "dashboards": len({chart["dashboard"] for chart in charts}),
        "charts": charts,
        "overall_ms": percentiles(every_call) if every_call else None,
        "failures": output.pop("failures"),
        "superset": output,
        "measured": figures,
    }
    if out["failures"]:
        out["error"] = f"{len(out['failures'])} chart-data call(s) failed: " + "; ".join(
            f"{failure['chart']} ({failure['status']})" for failure in out["failures"][:5]
        )
    return out
