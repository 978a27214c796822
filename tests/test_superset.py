"""Superset serves the marts: started for real from its own environment (infra/superset/.venv) on a free port
against the tiny warehouse, the dashboards imported with Superset's import, every chart's data through the
API, the roles' rules through the API, each dashboard rendered in headless Chromium (screenshots in
test-artifacts/superset/), and a publish served without a restart or a failed query.

One Superset per session (the set-up takes about a minute)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SUPERSET_DIR = REPO_ROOT / "infra" / "superset"
ARTIFACTS = REPO_ROOT / "test-artifacts" / "superset"
ADMIN = ("admin", "admin-test-password")
USERS = {
    "analyst": ("analyst-pw", "Analyst", None),
    "leader": ("leader-pw", "Leadership", None),
}
DASHBOARD_SLUGS = [
    "leadership-weekly",
    "industrial-clusters",
    "investment-flows",
    "matchmaking-outcomes",
    "data-quality",
]
# datasets other engineers add to the warehouse (the quality issue): their charts may find no table yet
PENDING_TABLES = {"quality_validation_results", "mart_quarantine_batches"}


def _services():
    spec = importlib.util.spec_from_file_location("park_services", REPO_ROOT / "infra" / "services.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["park_services"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Superset:
    base_url: str
    data_dir: Path
    serving: Path
    env: dict[str, str]
    park_id: str

    def bootstrap(self, *args: str) -> None:
        subprocess.run(
            [str(SUPERSET_DIR / ".venv" / "bin" / "python"), str(SUPERSET_DIR / "bootstrap.py"), *args],
            env=self.env,
            check=True,
            capture_output=True,
        )

    @contextmanager
    def client(self, username: str, password: str) -> Iterator[httpx.Client]:
        """An API client logged in as the user (JWT plus the CSRF token Superset wants on writes)."""
        client = httpx.Client(base_url=self.base_url, timeout=60)
        response = client.post(
            "/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": True},
        )
        response.raise_for_status()
        client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = client.get("/api/v1/security/csrf_token/")
        csrf.raise_for_status()
        client.headers["X-CSRFToken"] = csrf.json()["result"]
        client.headers["Referer"] = self.base_url
        try:
            yield client
        finally:
            client.close()


def _tables(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            row[0] for row in con.sql("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()
        }


@pytest.fixture(scope="session")
def superset(tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Superset]:
    services = _services()
    data_dir = tmp_path_factory.mktemp("superset") / "data"
    serving = data_dir / "warehouse" / "serving.duckdb"
    serving.parent.mkdir(parents=True)
    shutil.copyfile(tiny_warehouse, serving)
    port = _free_port()
    env = services.superset_environment(data_dir, port)
    env.update({"SUPERSET_ADMIN_USER": ADMIN[0], "SUPERSET_ADMIN_PASSWORD": ADMIN[1], "SUPERSET_LOG_LEVEL": "WARNING"})
    with duckdb.connect(str(serving), read_only=True) as con:
        park_id = con.sql(
            "select park_id from main.mart_cluster_park_year group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()[0]
    server = Superset(f"http://127.0.0.1:{port}", data_dir, serving, env, park_id)
    users = [f"{name}:{password}:{role}" for name, (password, role, _) in USERS.items()]
    server.bootstrap("setup", *users, f"park_staff:park-pw:Park:{park_id}")
    service = services.superset_service(data_dir, port)
    service = services.Service(service.name, service.command, env, service.health_url, service.login_url)
    services.start(service, data_dir)
    try:
        services.wait_healthy(service, timeout=180)
        yield server
    finally:
        services.stop(data_dir, service.name)


@pytest.fixture(scope="session")
def admin(superset: Superset) -> Iterator[httpx.Client]:
    with superset.client(*ADMIN) as client:
        yield client


def _dashboards(client: httpx.Client) -> dict[str, int]:
    response = client.get("/api/v1/dashboard/", params={"q": "(page_size:100)"})
    response.raise_for_status()
    return {row["slug"]: row["id"] for row in response.json()["result"]}


def _charts(client: httpx.Client, dashboard_id: int) -> list[dict]:
    response = client.get(f"/api/v1/dashboard/{dashboard_id}/charts")
    response.raise_for_status()
    return response.json()["result"]


def _chart_data(client: httpx.Client, chart_id: int) -> httpx.Response:
    return client.get(f"/api/v1/chart/{chart_id}/data/", params={"format": "json", "type": "full", "force": "true"})


def _chart_table(client: httpx.Client, chart: dict) -> str:
    dataset = client.get(f"/api/v1/dataset/{chart['form_data']['datasource'].split('__')[0]}").json()["result"]
    return dataset["table_name"]


def test_every_chart_of_the_five_dashboards_returns_rows(superset: Superset, admin: httpx.Client) -> None:
    dashboards = _dashboards(admin)
    assert set(DASHBOARD_SLUGS) <= set(dashboards)
    present = _tables(superset.serving)
    checked = 0
    for slug in DASHBOARD_SLUGS:
        charts = _charts(admin, dashboards[slug])
        assert len(charts) >= 4, slug
        for chart in charts:
            table = _chart_table(admin, chart)
            response = _chart_data(admin, chart["id"])
            if table in PENDING_TABLES and table not in present:
                # the quality issue's table has not landed in this warehouse yet: only its absence is tolerated
                assert response.status_code == 400 and table in response.text, (chart["slice_name"], response.text)
                continue
            assert response.status_code == 200, (slug, chart["slice_name"], response.text[:500])
            result = response.json()["result"][0]
            assert result.get("error") is None, (chart["slice_name"], result.get("error"))
            assert result["rowcount"] > 0, (slug, chart["slice_name"], result.get("query"))
            checked += 1
    assert checked >= 18


def test_importing_the_bundle_twice_changes_nothing(superset: Superset, admin: httpx.Client) -> None:
    def snapshot() -> dict:
        dashboards = _dashboards(admin)
        state = {}
        for slug, dashboard_id in sorted(dashboards.items()):
            detail = admin.get(f"/api/v1/dashboard/{dashboard_id}").json()["result"]
            charts = sorted(
                (c["id"], c["slice_name"], c["form_data"].get("viz_type")) for c in _charts(admin, dashboard_id)
            )
            state[slug] = (dashboard_id, detail["position_json"], detail["json_metadata"], charts)
        state["datasets"] = admin.get("/api/v1/dataset/", params={"q": "(page_size:100)"}).json()["count"]
        state["charts"] = admin.get("/api/v1/chart/", params={"q": "(page_size:100)"}).json()["count"]
        return state

    before = snapshot()
    superset.bootstrap("import")
    assert snapshot() == before


def test_leadership_reads_dashboards_but_has_no_sql_lab(superset: Superset, admin: httpx.Client) -> None:
    database_id = admin.get("/api/v1/database/").json()["result"][0]["id"]
    with superset.client("leader", USERS["leader"][0]) as leader:
        dashboards = _dashboards(leader)
        assert set(DASHBOARD_SLUGS) <= set(dashboards)
        chart = next(c for c in _charts(leader, dashboards["leadership-weekly"]) if c["slice_name"].startswith("This"))
        assert _chart_data(leader, chart["id"]).status_code == 200
        response = leader.post(
            "/api/v1/sqllab/execute/",
            json={"database_id": database_id, "sql": "select 1", "schema": "main", "runAsync": False},
        )
        assert response.status_code == 403, response.text


def test_analyst_runs_sql_lab_on_the_marts_only(superset: Superset, admin: httpx.Client) -> None:
    database_id = admin.get("/api/v1/database/").json()["result"][0]["id"]

    def execute(client: httpx.Client, sql: str) -> httpx.Response:
        return client.post(
            "/api/v1/sqllab/execute/",
            json={"database_id": database_id, "sql": sql, "schema": "main", "runAsync": False, "select_as_cta": False},
        )

    with superset.client("analyst", USERS["analyst"][0]) as analyst:
        ok = execute(analyst, "select indicator_code, sum(value) as v from main.mart_weekly_indicators group by 1")
        assert ok.status_code == 200, ok.text
        assert len(ok.json()["data"]) == 7
        for forbidden in (
            "select * from raw.park_registry limit 1",
            "select * from staging.stg_landing__batches limit 1",
            "select * from main.mart_quarantine_batches limit 1",
        ):
            response = execute(analyst, forbidden)
            assert response.status_code in (401, 403), (forbidden, response.status_code, response.text[:300])


def test_park_staff_see_only_their_own_park(superset: Superset, admin: httpx.Client) -> None:
    dashboards = _dashboards(admin)
    with superset.client("park_staff", "park-pw") as park:
        charts = {c["slice_name"]: c for c in _charts(park, dashboards["industrial-clusters"])}
        chart = next(c for name, c in charts.items() if name.startswith("Location quotient ranking"))
        all_rows = _chart_data(admin, chart["id"]).json()["result"][0]["data"]
        own_rows = _chart_data(park, chart["id"]).json()["result"][0]["data"]
        park_names = {row["zone_name"] for row in own_rows}
        assert own_rows and len(park_names) == 1
        assert len(own_rows) < len(all_rows)
        with duckdb.connect(str(superset.serving), read_only=True) as con:
            name = con.sql(f"select zone_name from main.dim_park where park_id = '{superset.park_id}'").fetchone()[0]
        assert park_names == {name}
        # the weekly (alliance-wide) dashboard's data is not theirs to read
        weekly = next(c for c in _charts(admin, dashboards["leadership-weekly"]) if c["slice_name"].startswith("This"))
        assert _chart_data(park, weekly["id"]).status_code in (401, 403, 404)


def test_dashboards_render_in_chromium_without_chart_errors(superset: Superset, admin: httpx.Client) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    present = _tables(superset.serving)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        page.goto(f"{superset.base_url}/login/")
        page.fill("input[name='username'], #username", ADMIN[0])
        page.fill("input[name='password'], #password", ADMIN[1])
        page.keyboard.press("Enter")
        page.wait_for_url("**/superset/welcome/**", timeout=60_000)
        dashboards = _dashboards(admin)
        for slug in DASHBOARD_SLUGS:
            pending = PENDING_TABLES - present
            # a chart on a table the quality issue has not landed yet shows a data error instead of a chart
            expected = sum(_chart_table(admin, c) not in pending for c in _charts(admin, dashboards[slug]))
            page.goto(f"{superset.base_url}/superset/dashboard/{slug}/")
            page.wait_for_selector(".dashboard-chart, .chart-container", timeout=60_000)
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                loading = page.locator(".loading, [data-test='loading-indicator']").count()
                rendered = page.locator(".chart-container").count()
                if loading == 0 and rendered >= expected:
                    break
                page.wait_for_timeout(500)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
            errors = page.locator("[data-test='error-message'], .ant-alert-error, .alert-danger").all_inner_texts()
            if slug in {"data-quality", "leadership-weekly"} and pending:
                errors = [e for e in errors if not any(t in e for t in pending)]
            assert page.locator(".chart-container").count() >= expected, slug
            assert not errors, (slug, errors)
        browser.close()


def test_a_publish_is_served_without_restart_or_failed_query(superset: Superset, admin: httpx.Client) -> None:
    dashboards = _dashboards(admin)
    chart = next(c for c in _charts(admin, dashboards["leadership-weekly"]) if c["slice_name"].startswith("This week"))

    def new_matches(response: httpx.Response) -> float:
        assert response.status_code == 200, response.text[:300]
        rows = response.json()["result"][0]["data"]
        return next(row["value"] for row in rows if row["indicator_code"] == "new_matches")

    before = new_matches(_chart_data(admin, chart["id"]))
    build = superset.serving.with_name("build.duckdb")
    shutil.copyfile(superset.serving, build)
    with duckdb.connect(str(build)) as con:
        con.execute("update main.mart_weekly_indicators set value = value + 1000 where indicator_code = 'new_matches'")

    failures: list[str] = []
    seen: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        with superset.client(*ADMIN) as client:
            while not stop.is_set():
                response = _chart_data(client, chart["id"])
                try:
                    seen.append(new_matches(response))
                except AssertionError as exc:
                    failures.append(str(exc))

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(2)
    os.replace(build, superset.serving)  # what parkplatform.publish does
    time.sleep(3)
    stop.set()
    poller.join(timeout=60)
    after = new_matches(_chart_data(admin, chart["id"]))
    assert not failures, failures[:3]
    assert after == before + 1000
    assert before in seen and before + 1000 in seen
