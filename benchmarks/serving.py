"""How fast the dashboards answer: every chart's query through Superset's chart-data API, for each role, with a
cold and a warm data cache, and each dashboard fully rendered in headless Chromium.

Superset is started as ``tests/test_superset.py`` starts it: ``infra/superset/bootstrap.py setup`` (metadata
migrated once per Superset lock and cached under ``~/.cache/park-bench/superset-metadata``, admin, roles,
the warehouse connection, the dashboards, one user per role as ``make up`` makes them: Analyst, Leadership and
a Park user of the park with the most enterprises), then ``park.services``' ``start`` on a free port (gunicorn,
one worker with 8 threads, as ``make up``), as the unprivileged service account when run as root: its data
folder is a fresh one readable by that account, whose serving file is the benchmark's serving warehouse
published there with ``parkplatform.publish.publish``. Superset's configuration is the shipped one: chart data
cached on disk under its home (``infra/superset/superset_config.py``).

Chart data, for each role (logged in through the API) and every chart of every dashboard it is listed: one
call to warm up, then ``--serving-calls`` calls (default 5) of
``/api/v1/chart/<id>/data/?format=json&type=full&force=true`` (cold: Superset's cache bypassed, the query runs on
DuckDB each time, as on the first request after a publish), then as many with ``force=false`` (warm: answered
from the cache; a warm call Superset did not answer from its cache is counted). A chart the role may not read
(401, 403, 404) is counted as refused; any other answer that is not 200 with rows is a failure.

Dashboards, as the Analyst in Debian's Chromium (Playwright, as the browser test): each dashboard opened
``--serving-renders`` times (default 3) cold, right after the same warehouse was published again (a new serving
generation: no chart finds its data in the cache), then as often warm. Rendered = every chart drawn (or showing
its error, counted) and no loading indicator, seen on three polls in a row (the first of them is the time);
the page's load event and the first chart-data request and last response are recorded with it, to tell where
the time goes.
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
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from benchmarks import REPO_ROOT
from benchmarks.harness import Context, measure
from benchmarks.worker import Timer

SUPERSET_DIR = REPO_ROOT / "infra" / "superset"
REFUSED = (401, 403, 404)
RENDER_USER = "analyst"
RENDER_TIMEOUT_SECONDS = 60
CHART_ERRORS = "[data-test='error-message'], .ant-alert-error, .alert-danger"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


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


def _client(base_url: str, username: str, password: str):
    import httpx

    client = httpx.Client(base_url=base_url, timeout=120)
    login = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
    )
    login.raise_for_status()
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    return client


def _dashboards(client) -> list[dict]:
    """The dashboards the client's user is listed and may open, by slug, each with its charts."""
    listed = client.get("/api/v1/dashboard/", params={"q": "(page_size:100)"})
    listed.raise_for_status()
    dashboards = []
    for dashboard in sorted(listed.json()["result"], key=lambda row: row["slug"] or ""):
        charts = client.get(f"/api/v1/dashboard/{dashboard['id']}/charts")
        if charts.status_code in REFUSED:
            continue
        charts.raise_for_status()
        dashboards.append(
            {"slug": dashboard["slug"] or dashboard["dashboard_title"], "charts": charts.json()["result"]}
        )
    return dashboards


def _timed_call(client, chart_id: int, force: bool) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(
        f"/api/v1/chart/{chart_id}/data/",
        params={"format": "json", "type": "full", "force": "true" if force else "false"},
    )
    return (time.perf_counter() - started) * 1000, response


def _role_latencies(client, role: str, calls: int, failures: list[dict]) -> dict:
    """Cold then warm calls of every chart the role's user may read (module docstring)."""
    charts, refused = [], 0
    for dashboard in _dashboards(client):
        for chart in dashboard["charts"]:
            _, response = _timed_call(client, chart["id"], force=True)
            if response.status_code in REFUSED:
                refused += 1
                continue
            timings: dict[str, list[float]] = {"cold": [], "warm": []}
            not_cached, rows = 0, None
            for kind, force in (("cold", True), ("warm", False)):
                for call in range(calls + (1 if kind == "warm" else 0)):
                    elapsed, response = _timed_call(client, chart["id"], force=force)
                    results = response.json().get("result", [{}]) if response.status_code == 200 else [{}]
                    if response.status_code != 200 or any(result.get("error") for result in results):
                        failures.append(
                            {"role": role, "chart": chart["slice_name"], "status": response.status_code,
                             "error": response.text[:300]}
                        )  # fmt: skip
                        continue
                    rows = results[0].get("rowcount")
                    if kind == "warm" and call == 0:
                        continue  # warms up: the cold calls stored it, unless they failed
                    timings[kind].append(elapsed)
                    if kind == "warm" and not all(result.get("is_cached") for result in results):
                        not_cached += 1
            charts.append(
                {
                    "dashboard": dashboard["slug"],
                    "chart_id": chart["id"],
                    "chart": chart["slice_name"],
                    "rows": rows,
                    "ms": [round(value, 1) for value in timings["cold"]],
                    "warm_ms": [round(value, 1) for value in timings["warm"]],
                    "warm_not_cached": not_cached,
                }
            )
    return {"charts": charts, "refused": refused}


def _render(page, url: str, expected: int) -> dict:
    """Open ``url`` and wait until it is rendered (module docstring); seconds from the navigation's start."""
    data_requests: list[float] = []
    data_responses: list[float] = []

    def on_request(request) -> None:
        if "/api/v1/chart/data" in request.url:
            data_requests.append(time.perf_counter())

    def on_response(response) -> None:
        if "/api/v1/chart/data" in response.url:
            data_responses.append(time.perf_counter())

    page.on("request", on_request)
    page.on("response", on_response)
    started = time.perf_counter()
    try:
        page.goto(url)
        loaded = time.perf_counter() - started
        first_seen, streak, rendered, errors = None, 0, 0, 0
        while time.perf_counter() - started < RENDER_TIMEOUT_SECONDS:
            loading = page.locator(".loading, [data-test='loading-indicator']").count()
            rendered = page.locator(".chart-container").count()
            errors = page.locator(CHART_ERRORS).count()
            if loading == 0 and rendered + errors >= expected:  # a chart that shows its error is done too
                first_seen = first_seen if streak else time.perf_counter()
                streak += 1
                if streak >= 3:
                    break
            else:
                streak = 0
            page.wait_for_timeout(50)
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("response", on_response)
    return {
        "seconds": round(first_seen - started, 3) if streak >= 3 else None,
        "load_event_seconds": round(loaded, 3),
        "first_data_request_seconds": round(data_requests[0] - started, 3) if data_requests else None,
        "last_data_response_seconds": round(data_responses[-1] - started, 3) if data_responses else None,
        "data_requests": len(data_requests),
        "charts_rendered": rendered,
        "chart_errors": errors,
    }


def _dashboard_renders(base_url: str, username: str, password: str, dashboards: list[dict], runs: int,
                       publish_again: Callable[[], None]) -> list[dict]:  # fmt: skip
    """Each dashboard rendered ``runs`` times cold (after ``publish_again``) and as often warm."""
    from playwright.sync_api import sync_playwright

    visits: dict[str, dict[str, list[dict]]] = {d["slug"]: {"cold": [], "warm": []} for d in dashboards}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1400})
            page.goto(f"{base_url}/login/")
            page.fill("input[name='username'], #username", username)
            page.fill("input[name='password'], #password", password)
            page.keyboard.press("Enter")
            page.wait_for_url("**/superset/welcome/**", timeout=60_000)  # Superset's scripts now in the browser
            for _ in range(runs):
                publish_again()
                for kind in ("cold", "warm"):
                    for dashboard in dashboards:
                        url = f"{base_url}/superset/dashboard/{dashboard['slug']}/"
                        visits[dashboard["slug"]][kind].append(_render(page, url, len(dashboard["charts"])))
        finally:
            browser.close()
    return [{"dashboard": d["slug"], "charts": len(d["charts"]), **visits[d["slug"]]} for d in dashboards]


def chart_latencies(logical_date: str, calls: int = 5, renders: int = 3) -> dict:
    from park import services
    from parkplatform.config import get_settings
    from parkplatform.publish import publish

    base = Path(tempfile.mkdtemp(prefix="park-bench-superset-"))
    base.chmod(0o755)  # the service account must reach its data folder
    data_dir = base / "data"
    warehouse = data_dir / "warehouse"
    warehouse.mkdir(parents=True)
    source = get_settings().serving_warehouse

    def publish_again() -> None:
        shutil.copyfile(source, warehouse / "build.duckdb")
        publish(warehouse / "build.duckdb", warehouse / "serving.duckdb")

    publish_again()
    park = services.busiest_park(get_settings())
    users = [
        services.DemoUser(username, secrets.token_urlsafe(12), role, park[0] if role == "Park" and park else None)
        for username, role in services.DEMO_USERS.items()
        if role != "Park" or park
    ]
    port = _free_port()
    password = secrets.token_urlsafe(16)
    env = services.superset_environment(data_dir, port)
    env.update({"SUPERSET_ADMIN_USER": "admin", "SUPERSET_ADMIN_PASSWORD": password, "SUPERSET_LOG_LEVEL": "WARNING"})
    cache = Path(os.environ.get("PARK_BENCH_CACHE") or Path.home() / ".cache" / "park-bench") / "superset-metadata"
    service = dataclasses.replace(services.superset_service(data_dir, port), env=env)
    base_url = f"http://127.0.0.1:{port}"
    roles: dict[str, dict] = {}
    failures: list[dict] = []
    try:
        with Timer() as setup:
            subprocess.run(
                [str(SUPERSET_DIR / ".venv" / "bin" / "python"), str(SUPERSET_DIR / "bootstrap.py"), "setup",
                 "--metadata-cache", str(cache), *(user.spec for user in users)],
                env=env, check=True,
            )  # fmt: skip
        with Timer() as start:
            pid = services.start(service, data_dir)
            services.wait_healthy(service, timeout=300)
        with Timer() as queries:
            for user in users:
                with closing(_client(base_url, user.username, user.password)) as client:
                    roles[user.role] = _role_latencies(client, user.role, calls, failures)
        render_user = next(user for user in users if user.username == RENDER_USER)
        with closing(_client(base_url, render_user.username, render_user.password)) as client:
            dashboards = _dashboards(client)
        with Timer() as rendering:
            rendered = _dashboard_renders(
                base_url, render_user.username, render_user.password, dashboards, renders, publish_again
            )
        superset_rss = _tree_rss_mb(pid)
    finally:
        services.stop(data_dir, service.name)
        shutil.rmtree(base, ignore_errors=True)
    return {
        "seconds": queries.seconds,
        "setup_seconds": round(setup.seconds, 3),
        "start_seconds": round(start.seconds, 3),
        "render_seconds": round(rendering.seconds, 3),
        "superset_rss_mb": superset_rss,
        "roles": roles,
        "render_role": render_user.role,
        "rendered": rendered,
        "failures": failures,
    }


# ================================================================================ in the harness process


def _median_visit(visits: list[dict]) -> dict | None:
    """The median of each timing over the visits (None when a visit never finished rendering)."""
    if not visits or any(visit["seconds"] is None for visit in visits):
        return None
    keys = ("seconds", "load_event_seconds", "first_data_request_seconds", "last_data_response_seconds")
    return {
        key: round(statistics.median(visit[key] for visit in visits), 3)
        for key in keys
        if all(visit[key] is not None for visit in visits)
    } | {
        "runs": len(visits),
        "data_requests": visits[-1]["data_requests"],
        "chart_errors": max(visit["chart_errors"] for visit in visits),
    }


def run_serving(ctx: Context) -> dict:
    from benchmarks.stages import ensure

    ensure(ctx, "published")
    figures = measure(
        ctx,
        "serving",
        "serving:chart_latencies",
        params={"calls": ctx.options.serving_calls, "renders": ctx.options.serving_renders},
        runs=1,
    )
    output = figures["output"]
    roles = {}
    for role, measured in output.pop("roles").items():
        charts = [
            {**chart, **percentiles(chart["ms"]), "warm": percentiles(chart["warm_ms"]) if chart["warm_ms"] else None}
            if chart["ms"]
            else {**chart, "calls": 0}
            for chart in measured["charts"]
        ]
        cold = [value for chart in charts for value in chart["ms"]]
        warm = [value for chart in charts for value in chart["warm_ms"]]
        roles[role] = {
            "charts": charts,
            "refused": measured["refused"],
            "cold_ms": percentiles(cold) if cold else None,
            "warm_ms": percentiles(warm) if warm else None,
            "warm_not_cached": sum(chart["warm_not_cached"] for chart in charts),
        }
    every_cold = [value for role in roles.values() for chart in role["charts"] for value in chart["ms"]]
    every_warm = [value for role in roles.values() for chart in role["charts"] for value in chart["warm_ms"]]
    rendered = [
        {**dashboard, "cold": _median_visit(dashboard["cold"]), "warm": _median_visit(dashboard["warm"]),
         "visits": {"cold": dashboard["cold"], "warm": dashboard["warm"]}}
        for dashboard in output.pop("rendered")
    ]  # fmt: skip
    out = {
        "calls_per_chart": ctx.options.serving_calls,
        "renders_per_dashboard": ctx.options.serving_renders,
        "dashboards": len({chart["dashboard"] for role in roles.values() for chart in role["charts"]}),
        "roles": roles,
        "overall_ms": percentiles(every_cold) if every_cold else None,
        "warm_overall_ms": percentiles(every_warm) if every_warm else None,
        "rendered": rendered,
        "failures": output.pop("failures"),
        "superset": output,
        "measured": figures,
    }
    problems = [f"{failure['role']}: {failure['chart']} ({failure['status']})" for failure in out["failures"]]
    problems += [
        f"{dashboard['dashboard']} not rendered ({kind})"
        for dashboard in rendered
        for kind in ("cold", "warm")
        if not dashboard[kind]
    ]
    if problems:
        out["error"] = f"{len(problems)} chart-data call(s) or dashboard(s) failed: " + "; ".join(problems[:5])
    return out
