"""Superset serves the marts: started for real from its own environment (infra/superset/.venv) on a free port
against the tiny warehouse, the dashboards imported with Superset's import, every chart's data through the
API, the roles' rules through the API, each dashboard rendered in headless Chromium (screenshots in
test-artifacts/superset/), and a publish served at once through the warm data cache (on disk, and on Redis),
without a restart or a failed query.

One Superset per session (the set-up takes about a minute)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from park import services

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
    "my-park",
    "regional-indicators",
    "alliance-members",
]
# each dashboard's English version, derived at import from the Chinese one (infra/superset/english.py)
ENGLISH_SLUGS = [f"{slug}-en" for slug in DASHBOARD_SLUGS]
# what each role's users are listed (DASHBOARD_RBAC, infra/superset/bootstrap.py dashboard_roles), each also in
# English: the dashboards whose every chart and filter the role may read; the park's own view for park staff only,
# the alliance's members for the secretariat (Analyst, Leadership) only
ROLE_DASHBOARDS = {
    "analyst": [
        "alliance-members",
        "industrial-clusters",
        "investment-flows",
        "leadership-weekly",
        "matchmaking-outcomes",
        "regional-indicators",
    ],
    "leader": [
        "alliance-members",
        "data-quality",
        "industrial-clusters",
        "investment-flows",
        "leadership-weekly",
        "matchmaking-outcomes",
        "regional-indicators",
    ],
    "park_staff": ["industrial-clusters", "investment-flows", "my-park"],
}
PASSWORDS = {"analyst": USERS["analyst"][0], "leader": USERS["leader"][0], "park_staff": "park-pw"}


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


def _publish_through_the_quality_gate(build: Path, data_dir: Path, reference_dir: Path) -> Path:
    """What transform_publish does after dbt: the pipeline's quality gate on the build (which writes
    main.quality_validation_results into it), then its publish (the build renamed over serving)."""
    from expectations import gate
    from parkplatform import pipeline

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(data_dir))
        patch.setenv("PARK_SCALE", "tiny")
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        for variable in ("PARK_SEED", "PARK_BAD_ROW_RATE", "PARK_WAREHOUSE_ENGINE"):
            patch.delenv(variable, raising=False)
        gate.quality_gate("superset_test")
        return Path(pipeline.publish())


@dataclass
class _Started:
    data_dir: Path
    serving: Path
    env: dict[str, str]
    port: int
    thread: threading.Thread
    outcome: dict


def _metadata_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the migrated metadata is kept between sessions: pytest's cache, else (``-p no:cacheprovider``)
    ``SUPERSET_METADATA_CACHE`` when set, else this session's own folder (migrated afresh)."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return cache.mkdir("superset-metadata")
    if os.environ.get("SUPERSET_METADATA_CACHE"):
        return Path(os.environ["SUPERSET_METADATA_CACHE"])
    return tmp_path_factory.mktemp("superset-metadata")


@pytest.fixture(scope="session")
def superset_started(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Started]:
    """Superset set up (metadata migrated once per lock file, then copied from the pytest cache; admin,
    dashboards, roles, the analyst and the leader) and started, in the background while the warehouse is
    built: its serving file is an empty DuckDB file until then."""
    # started as root, Superset runs as the unprivileged service account: its data folder must be one that
    # account can reach, as in a deployment (pytest's own temporary folders are private to root)
    base = Path(tempfile.mkdtemp(prefix="park-superset-"))
    base.chmod(0o755)
    data_dir = base / "data"
    serving = data_dir / "warehouse" / "serving.duckdb"
    serving.parent.mkdir(parents=True)
    duckdb.connect(str(serving)).close()
    port = _free_port()
    env = services.superset_environment(data_dir, port)
    env.update({"SUPERSET_ADMIN_USER": ADMIN[0], "SUPERSET_ADMIN_PASSWORD": ADMIN[1], "SUPERSET_LOG_LEVEL": "WARNING"})
    users = [f"{name}:{password}:{role}" for name, (password, role, _) in USERS.items()]
    cache = _metadata_cache(request, tmp_path_factory)
    command = [str(SUPERSET_DIR / ".venv" / "bin" / "python"), str(SUPERSET_DIR / "bootstrap.py"), "setup"]
    setup = subprocess.Popen(
        [*command, "--metadata-cache", str(cache), *users], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    service = dataclasses.replace(services.superset_service(data_dir, port), env=env)
    outcome: dict = {}

    def start_when_set_up() -> None:
        output, _ = setup.communicate(timeout=900)
        outcome["setup"] = (setup.returncode, output.decode()[-3000:])
        if setup.returncode == 0:
            services.start(service, data_dir)

    thread = threading.Thread(target=start_when_set_up, daemon=True)
    thread.start()
    try:
        yield _Started(data_dir, serving, env, port, thread, outcome)
    finally:
        thread.join(timeout=900)
        services.stop(data_dir, service.name)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def superset(superset_started: _Started, tiny_warehouse: Path, reference_dir: Path) -> Superset:
    """The running Superset serving the tiny build once it passed the pipeline's quality gate and was
    published; a park's staff user for the park with the most rows."""
    started = superset_started
    build = started.serving.with_name("build.duckdb")
    shutil.copyfile(tiny_warehouse, build)
    with duckdb.connect(str(build), read_only=True) as con:
        park_id = con.sql(
            "select park_id from main.mart_cluster_park_year group by 1 order by count(*) desc, 1 limit 1"
        ).fetchone()[0]
    server = Superset(f"http://127.0.0.1:{started.port}", started.data_dir, started.serving, started.env, park_id)
    # the quality gate and publish run while the set-up finishes; the park user needs the migrated metadata
    with ThreadPoolExecutor(max_workers=1) as pool:
        published = pool.submit(_publish_through_the_quality_gate, build, started.data_dir, reference_dir)
        started.thread.join(timeout=900)
        returncode, setup_output = started.outcome.get("setup", (None, "set-up did not finish"))
        assert returncode == 0, setup_output
        add_user = subprocess.run(
            [
                str(SUPERSET_DIR / ".venv" / "bin" / "python"),
                str(SUPERSET_DIR / "bootstrap.py"),
                "add-user",
                f"park_staff:park-pw:Park:{park_id}",
            ],
            env=started.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
        assert add_user.returncode == 0, add_user.stdout.decode()[-3000:]
        assert published.result() == started.serving
    services.wait_healthy(
        services.Service("superset", [], started.env, f"{server.base_url}/health", f"{server.base_url}/login/"),
        timeout=180,
    )
    return server


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


def _all_charts(client: httpx.Client, columns: str = "id,uuid") -> list[dict]:
    """Every chart Superset holds (the list API answers 100 at most a page; the two languages hold more)."""
    found: list[dict] = []
    for page in range(20):
        response = client.get("/api/v1/chart/", params={"q": f"(columns:!({columns}),page:{page},page_size:100)"})
        response.raise_for_status()
        found += response.json()["result"]
        if len(found) >= response.json()["count"]:
            return found
    raise AssertionError("more than 2000 charts")


def _bundle_chart(name: str) -> dict:
    """A chart of the bundle (infra/superset/assets/charts/<name>.yaml) as it is in git."""
    import yaml

    return yaml.safe_load((SUPERSET_DIR / "assets" / "charts" / f"{name}.yaml").read_text(encoding="utf-8"))


def _chart_of(client: httpx.Client, dashboard_id: int, name: str, *, english: bool = False) -> dict:
    """The chart of the dashboard that the bundle's charts/<name>.yaml is (found by its UUID: titles are Chinese);
    with ``english``, its English twin (the UUID's uuid5, infra/superset/english.py)."""
    chart_uuid = _bundle_chart(name)["uuid"]
    if english:
        chart_uuid = str(uuid.uuid5(uuid.UUID(chart_uuid), "en"))
    chart_id = next(c["id"] for c in _all_charts(client) if c["uuid"] == chart_uuid)
    return next(c for c in _charts(client, dashboard_id) if c["id"] == chart_id)


def _chart_date(value: float | str) -> date:
    """A date as the chart data API returns it (milliseconds since the epoch, UTC)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return datetime.fromtimestamp(value / 1000, tz=UTC).date()


def _chart_data(client: httpx.Client, chart_id: int, *, force: bool = True) -> httpx.Response:
    """A chart's data as a dashboard asks for it; ``force`` (the default here) runs the query on the warehouse
    whatever Superset's data cache holds, as the chart's "Force refresh" does."""
    params = {"format": "json", "type": "full", "force": str(force).lower()}
    return client.get(f"/api/v1/chart/{chart_id}/data/", params=params)


def _assets_io():
    """infra/superset/assets_io.py, what prepares the bundle for Superset's import and the export for git."""
    if str(SUPERSET_DIR) not in sys.path:
        sys.path.insert(0, str(SUPERSET_DIR))
    import assets_io

    return assets_io


@pytest.fixture(scope="module")
def manifest() -> dict:
    """The dbt manifest of the YAML as it is now (parsed, not a stale one)."""
    from parkplatform import dbt

    dbt.parse_project()
    return dbt.read_manifest()


def _published(manifest: dict) -> dict[str, dict]:
    """The published tables the manifest declares, by name: the marts (models without a custom schema) and
    the source tables in schema main (what the quality gate writes)."""
    project = manifest["metadata"]["project_name"]
    tables = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == project and node["config"].get("schema") is None
    }
    tables |= {node["name"]: node for node in manifest["sources"].values() if node["schema"] == "main"}
    return tables


def _one_line(text: str | None) -> str | None:
    return " ".join(text.split()) or None if text else None


def test_every_dataset_is_a_physical_dataset_on_a_published_dbt_table(manifest: dict) -> None:
    """No dataset of the bundle holds SQL (joins, unions and computed columns are dbt's): each is a physical
    dataset on a table of schema main that the dbt manifest declares (a mart, or the quality gate's table
    declared as a dbt source), with the table's columns in the YAML's order; every published table has
    exactly one, so SQL Lab can reach each (analyst guide, roles), and every chart reads one of them."""
    import yaml

    assets_io = _assets_io()
    files = assets_io.read_bundle()
    datasets = assets_io.datasets(files)
    published = _published(manifest)
    assert len(published) >= 20
    assert [(d.table, d.sql) for d in datasets if d.sql] == []
    assert {d.schema for d in datasets} == {"main"}
    assert sorted(d.table for d in datasets) == sorted(published)  # one each, and nothing else
    for dataset in datasets:
        assert dataset.path == f"datasets/Park_warehouse/{dataset.table}.yaml"  # a dataset's file is its table's
        assert list(dataset.columns) == list(published[dataset.table]["columns"]), dataset.table
        main_dttm = yaml.safe_load(files[dataset.path])["main_dttm_col"]
        assert main_dttm is None or main_dttm in dataset.columns, dataset.table
    uuids = {d.uuid for d in datasets}
    charts = [yaml.safe_load(text) for name, text in files.items() if name.startswith("charts/")]
    assert len(charts) >= 23 and all(chart["dataset_uuid"] in uuids for chart in charts)


def test_dataset_and_column_descriptions_are_the_dbt_yamls(manifest: dict) -> None:
    """A dataset and its columns are described once, in the dbt YAML of the table: the bundle holds no
    description of its own, and what Superset imports (assets_io.import_contents) carries the manifest's."""
    import yaml

    assets_io = _assets_io()
    published = _published(manifest)
    stored = assets_io.read_bundle()
    imported = assets_io.import_contents("duckdb:///warehouse.duckdb")
    checked = 0
    for name, text in imported.items():
        if not name.startswith("datasets/"):
            continue
        in_git, dataset = yaml.safe_load(stored[name]), yaml.safe_load(text)
        assert in_git["description"] is None and {c["description"] for c in in_git["columns"]} == {None}, name
        table = published[dataset["table_name"]]
        assert dataset["description"] == _one_line(table["description"]), name
        described = {c["column_name"]: c["description"] for c in dataset["columns"]}
        assert described == {column: _one_line(spec["description"]) for column, spec in table["columns"].items()}
        assert all(described.values()), (name, [column for column, text in described.items() if not text])
        checked += len(described)
    assert checked > 350  # columns compared, over the 22 datasets


def test_each_dashboard_reads_only_what_its_dbt_exposure_declares(manifest: dict) -> None:
    """The dashboards are declared as dbt exposures (models/exposures.yml, found by their URL's slug): the
    tables their charts and native filters read are among the exposure's dependencies, so
    ``dbt ls --select +exposure:<dashboard>`` lists what the dashboard needs."""
    import yaml

    assets_io = _assets_io()
    files = assets_io.read_bundle()
    nodes = manifest["nodes"] | manifest["sources"]
    exposures = {
        node["url"].rstrip("/").rsplit("/", 1)[-1]: {
            nodes[dependency]["name"] for dependency in node["depends_on"]["nodes"]
        }
        for node in manifest["exposures"].values()
        if node["type"] == "dashboard"
    }
    dashboards = [yaml.safe_load(text) for name, text in files.items() if name.startswith("dashboards/")]
    assert sorted(d["slug"] for d in dashboards) == sorted(DASHBOARD_SLUGS) == sorted(exposures)
    for slug, read in assets_io.dashboard_tables(files).items():
        assert read and read <= exposures[slug], (slug, read - exposures[slug])


def _weekly_indicators() -> list[dict[str, str]]:
    """The seed of the weekly indicators (dbt_project/seeds/weekly_indicator_targets.csv): codes, names, units."""
    import csv

    with (REPO_ROOT / "dbt_project" / "seeds" / "weekly_indicator_targets.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _bundle_dashboard(slug: str) -> dict:
    """A dashboard of the bundle as it is in git."""
    import yaml

    return next(
        content
        for name, text in _assets_io().read_bundle().items()
        if name.startswith("dashboards/") and (content := yaml.safe_load(text))["slug"] == slug
    )


def _dashboard_charts(slug: str) -> list[dict]:
    """The bundle's charts a dashboard lays out, in the order of its layout."""
    import yaml

    files = _assets_io().read_bundle()
    dashboard = _bundle_dashboard(slug)
    by_uuid = {
        chart["uuid"]: chart
        for chart in (yaml.safe_load(text) for name, text in files.items() if name.startswith("charts/"))
    }
    nodes = [node for node in dashboard["position"].values() if isinstance(node, dict) and node.get("type") == "CHART"]
    return [by_uuid[node["meta"]["uuid"]] for node in nodes]


# what no label of a dashboard may show: the marts' codes and column names (issue 18)
RAW_CODES = (
    "new_matches",
    "signed_amount_cny",
    "paid_in_cny",
    "match_conversion_rate",
    "landed_matches",
    "construction_starts",
    "indicator_code",
    "arab_states",
    "southeast_asia",
    "north_america",
    "latin_america",
    "year_over_year_change",
    "week_over_week_change",
    "value_in_unit_cn",
    "zone_name",
    "province_name",
    "True",
    "False",
    "online_platform",
    "committee_referral",
    "inbound_foreign",
    "outbound",
    "domestic",
    "recommended",
    "negotiation",
    "cluster_name_en",
    "CHN",
    "overseas",
)
LONG_DECIMAL = r"\d\.\d{4,}"
# what the data-quality dashboard may not show: an expectation's id, a raw boolean or a severity code anywhere, a
# source's code as a cell of its own (the checks' arguments and the rejection messages quote tables and paths as the
# pipeline wrote them: raw.crm_projects, extractors/park_submissions/reader.py)
QUALITY_CODES = (
    r"\bexpect_[a-z_]+|\bTrue\b|\bFalse\b|\bcritical\b|\bwarning\b"
    r"|(?:^|[\t\n])(?:park_submissions|crm_match_events|crm_projects|crm_payments|alliance_members|park_registry)"
    r"(?=[\t\n]|$)"
)
# the rules written under the charts (markdown notes), as a reader sees them
NOTES_SHOWN = {
    "investment-flows": ["未成熟的签约批次不绘制", "最大的 10 条走廊", "负值表示撤资多于新增投资"],
    "matchmaking-outcomes": ["各比率只计入已成熟的推荐批次", "平均周期只计入对后一阶段已成熟的推荐批次"],
    "industrial-clusters": [
        "至少 10 家企业",
        "仅列出上一年也有该园区该产业集群数据的记录",
        "不含未入孵与未报送阶段的企业",
    ],
    "regional-indicators": ["一国可属于两个委员会", "按成员国 GDP 加权"],
    "alliance-members": ["不含地理编码存疑"],
}


def test_leadership_overview_shows_each_weekly_indicator_as_a_formatted_big_number_tile() -> None:
    """Every weekly indicator of the seed is a Big Number tile of the leadership dashboard (this week's value in its
    Chinese unit, the 12-week trend line, a number format, its Chinese name and unit in the title) with, under
    it, its week-over-week and year-over-year changes, formatted as signed percentages and coloured green for a
    rise when higher is better (red otherwise); the weekly figures come from mart_weekly_indicators_by_area through
    its dataset's metrics, which add areas up as mart_weekly_indicators (what the weekly report reads) adds all of
    them (macro weekly_value), so that the committee and province filters apply to every one of them; the other
    charts read marts the report also reads, and none lays out a code."""
    charts = _dashboard_charts("leadership-weekly")
    tables = {d.uuid: d.table for d in _assets_io().datasets(_assets_io().read_bundle())}
    assert {tables[chart["dataset_uuid"]] for chart in charts} <= {
        "mart_weekly_indicators_by_area",  # the headline figures by area; all areas: what report/data.py reads
        "mart_investment_flows_month",  # top parks, as the report ranks them
        "fct_match",  # stalled deals, as the report lists them
        "quality_validation_results",  # the quality gate's outcome, as the report shows it
        "mart_serving_status",  # the banner: generated data and the as-of date
    }
    from report.data import _INDICATOR_ORDER

    indicators = sorted(_weekly_indicators(), key=lambda indicator: int(indicator["display_order"]))
    assert len(indicators) == 7
    # in the order leaders read them, the weekly report's
    assert [indicator["indicator_code"] for indicator in indicators] == list(_INDICATOR_ORDER)
    tiles = [c for c in charts if c["viz_type"] == "big_number"]
    assert [t["params"]["adhoc_filters"][0]["sqlExpression"] for t in tiles] == [
        f"indicator_code = '{code}'" for code in _INDICATOR_ORDER
    ]
    for indicator in indicators:
        code, name, unit = indicator["indicator_code"], indicator["indicator_name_cn"], indicator["unit_cn"]
        selects = f"indicator_code = '{code}'"
        (tile,) = [
            c
            for c in charts
            if c["viz_type"] == "big_number" and selects in [f["sqlExpression"] for f in c["params"]["adhoc_filters"]]
        ]
        params = tile["params"]
        assert tile["slice_name"].startswith(f"{name}（{unit}）"), tile["slice_name"]
        assert params["metric"] == "value_in_unit_cn" and params["show_trend_line"]
        assert params["y_axis_format"] in (",d", ",.1f", ",.2f"), (code, params["y_axis_format"])
        assert params["x_axis"] == "week_start" and params["time_grain_sqla"] == "P1W"
        (changes,) = [
            c
            for c in charts
            if c["viz_type"] == "table" and selects in [f["sqlExpression"] for f in c["params"]["adhoc_filters"]]
        ]
        columns = ["week_over_week_change", "year_over_year_change"]
        assert changes["slice_name"].startswith(name) and changes["params"]["metrics"] == columns
        assert "is_latest_week" in [f["sqlExpression"] for f in changes["params"]["adhoc_filters"]]
        for column in columns:
            assert changes["params"]["column_config"][column]["d3NumberFormat"] == "+.1%"
            rules = {
                (rule["operator"], rule["targetValue"]): rule["colorScheme"]
                for rule in changes["params"]["conditional_formatting"]
                if rule["column"] == column
            }
            good, bad = ("#2E7D32", "#C62828") if indicator["higher_is_better"] == "true" else ("#C62828", "#2E7D32")
            assert rules == {(">", 0): good, ("<", 0): bad}, (code, column, rules)
    # the dataset's metrics: a ratio's parts summed before they are divided, as the macro weekly_value divides them
    files = _assets_io().read_bundle()
    (by_area,) = [d for d in _assets_io().datasets(files) if d.table == "mart_weekly_indicators_by_area"]
    metrics = {m["metric_name"]: m["expression"] for m in _assets_io().load(files[by_area.path])["metrics"]}
    ratio = "CASE WHEN MAX(aggregation) = 'ratio' THEN SUM({0}numerator) / NULLIF(SUM({0}denominator), 0) ELSE SUM({0}numerator) END"
    assert metrics["value_in_unit_cn"] == f"({ratio.format('')}) / MAX(unit_cn_scale)"
    assert metrics["week_over_week_change"] == f"({ratio.format('')}) / NULLIF({ratio.format('previous_week_')}, 0) - 1"
    assert metrics["year_over_year_change"] == (
        f"({ratio.format('')}) / NULLIF({ratio.format('same_week_last_year_')}, 0) - 1"
    )
    assert metrics["year_to_date_vs_target"] == (
        f"({ratio.format('ytd_')}) / NULLIF(({ratio.format('last_year_ytd_')}) * (1 + MAX(target_growth)), 0)"
    )
    # the committee and province filters reach every chart but the banner and the quality gate's (alliance-wide)
    weekly = {c["uuid"] for c in charts if tables[c["dataset_uuid"]] == "mart_weekly_indicators_by_area"}
    assert len(weekly) == 18  # 7 tiles, their 7 changes, this week's table, two trends, the year to date
    dashboard = _bundle_dashboard("leadership-weekly")
    laid_out_ids = {
        node["meta"]["chartId"]: node["meta"]["uuid"]
        for node in dashboard["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    }
    for native_filter in dashboard["metadata"]["native_filter_configuration"]:
        excluded = {laid_out_ids[chart_id] for chart_id in native_filter["scope"]["excluded"]}
        assert {tables[c["dataset_uuid"]] for c in charts if c["uuid"] in excluded} == {
            "mart_serving_status",
            "quality_validation_results",
        }, native_filter["name"]
    laid_out = {
        value
        for chart in charts
        for key in ("all_columns", "groupby", "columns")
        for value in chart["params"].get(key) or []
        if isinstance(value, str)
    } | {chart["params"].get("x_axis") for chart in charts}
    assert not laid_out & {"indicator_code", "committee", "cluster_code", "furthest_stage", "park_id", "unit"}


# codes the marts carry next to a Chinese name (dbt seed display_labels, committees, dim_cluster, dim_region)
CODE_COLUMNS = {
    "committee": "committee_name_cn",
    "channel": "channel_cn",
    "match_type": "match_type_cn",
    "cluster_code": "cluster_name_cn",
    "cluster_name_en": "cluster_name_cn",
    "cluster_tier": "cluster_tier_cn",
    "is_declared_cluster": "declared_cn",
    "stage": "stage_cn",
    "furthest_stage": "furthest_stage_cn",
    "lost_reason": "lost_reason_cn",
    "direction": "direction_cn",
    "origin_region": "origin_region_cn",
    "destination_region": "destination_region_cn",
    "indicator_code": "indicator_name_cn",
    "intake_status": "intake_status_cn",
    "outcome": "outcome_cn",
    "level": "level_cn",
    "geocode_quality": "geocode_quality_cn",
    "zone_type": "zone_type_cn",
    "zone_type_en": "zone_type_cn",
    "source": "source_cn",
    "expectation": "expectation_cn",
    "severity": "severity_cn",
    "success": "result_cn",
}


def test_no_dashboard_shows_or_filters_by_a_code_that_has_a_name() -> None:
    """Where a mart carries a code and its Chinese name, every dashboard's charts lay out (columns, groups, axes,
    Sankey ends) and its native filters offer the name, never the code."""
    import yaml

    files = _assets_io().read_bundle()
    found = []
    for slug in DASHBOARD_SLUGS:
        for chart in _dashboard_charts(slug):
            params = chart["params"]
            laid_out = [params.get(key) for key in ("x_axis", "source", "target", "series", "entity")]
            laid_out += [value for key in ("all_columns", "groupby", "columns") for value in params.get(key) or []]
            found += [(slug, chart["slice_name"], c) for c in laid_out if isinstance(c, str) and c in CODE_COLUMNS]
    for name, text in files.items():
        if name.startswith("dashboards/"):
            dashboard = yaml.safe_load(text)
            for native_filter in dashboard["metadata"]["native_filter_configuration"]:
                for target in native_filter["targets"]:
                    column = (target.get("column") or {}).get("name")
                    if column in CODE_COLUMNS:
                        found.append((dashboard["slug"], native_filter["name"], column))
                assert re.search(r"[\u4e00-\u9fff]", native_filter["name"]), (dashboard["slug"], native_filter["name"])
            assert re.search(r"[\u4e00-\u9fff]", dashboard["dashboard_title"]), dashboard["dashboard_title"]
    assert found == []


def _notes_under(slug: str) -> dict[str, str]:
    """The markdown note under each chart of a dashboard that has one (the chart and the note in one column), by
    the chart's bundle name."""
    import yaml

    files = _assets_io().read_bundle()
    dashboard = next(
        content
        for name, text in files.items()
        if name.startswith("dashboards/") and (content := yaml.safe_load(text))["slug"] == slug
    )
    position = dashboard["position"]
    notes = {}
    for node in position.values():
        if isinstance(node, dict) and node.get("type") == "COLUMN":
            kinds = {position[child]["type"]: position[child] for child in node["children"]}
            if "CHART" in kinds and "MARKDOWN" in kinds:
                chart, note = kinds["CHART"], kinds["MARKDOWN"]
                assert node["children"].index(chart["id"]) < node["children"].index(note["id"]), node["id"]
                notes[chart["id"].removeprefix("CHART-")] = note["meta"]["code"]
    return notes


def test_rates_by_cohort_count_only_mature_cohorts_and_say_so_under_the_chart() -> None:
    """Issue 18: a recent cohort's rate is not drawn as a collapse. Each rate of the Investment flows and Matchmaking
    dashboards counts only the cohorts mature for its stage (the flags fct_investment_project and fct_match compute,
    macros/maturity.sql) in its numerator and its denominator, each cycle time only the cohorts mature for its later
    stage; the rule is written under each of these charts."""
    stage_of = {"到位率": "paid_in", "开工率": "start", "投产转化率": "production"}
    (rates,) = [c for c in _dashboard_charts("investment-flows") if c["uuid"] == _bundle_chart("flows_rates")["uuid"]]
    for metric in rates["params"]["metrics"]:
        flag = f"is_cohort_mature_for_{stage_of[metric['label']]}"
        assert metric["sqlExpression"].count(f"CASE WHEN {flag} THEN") == 2, metric
    conversion = _bundle_chart("match_conversion")["params"]["metrics"]
    assert conversion[0]["sqlExpression"] == "SUM(recommended_matches)"  # how many were recommended: every cohort
    for metric in conversion[1:]:
        numerator = re.search(r"THEN (\w+)_matches END", metric["sqlExpression"]).group(1)
        assert metric["sqlExpression"].count(f"CASE WHEN is_cohort_mature_for_{numerator} THEN") == 2, metric
    for metric in _bundle_chart("match_cycle_times")["params"]["metrics"]:
        later = re.search(r"days_\w+_to_(\w+)", metric["sqlExpression"]).group(1)
        assert f"CASE WHEN is_cohort_mature_for_{later} THEN" in metric["sqlExpression"], metric
    assert "未成熟" in _notes_under("investment-flows")["flows_rates"]
    notes = _notes_under("matchmaking-outcomes")
    assert "已成熟" in notes["match_conversion"] and "已成熟" in notes["match_cycle_times"]


def test_rankings_have_a_minimum_size_and_empty_comparisons_are_hidden() -> None:
    """Every table of the five dashboards ranked by a ratio (a location quotient, a share, a rate) lists only the rows
    of at least 10 enterprises (mart_cluster_park_year.meets_ranking_minimum, its unit test) and says so under it;
    the growth table lists only rows with a year before and says so; the corridors' Sankey names 10 corridors."""
    ratios = re.compile(r"location_quotient|_share$|_rate$|_ratio$")
    ranked = []
    for slug in DASHBOARD_SLUGS:
        notes = _notes_under(slug)
        for chart in _dashboard_charts(slug):
            params = chart["params"]
            order = [json.loads(column)[0] for column in params.get("order_by_cols") or []]
            if chart["viz_type"] == "table" and any(ratios.search(column) for column in order):
                name = next(key for key in notes if _bundle_chart(key)["uuid"] == chart["uuid"])
                filters = [f["sqlExpression"] for f in params["adhoc_filters"]]
                assert "meets_ranking_minimum" in filters and "至少 10 家企业" in notes[name], chart["slice_name"]
                ranked.append(name)
    assert ranked == ["clusters_lq_ranking"]
    growth = _bundle_chart("clusters_growth")["params"]
    assert [f["sqlExpression"] for f in growth["adhoc_filters"]] == ["has_prior_year"]
    assert "上一年" in _notes_under("industrial-clusters")["clusters_growth"]
    corridors = _bundle_chart("flows_corridors")["params"]
    assert (corridors["source"], corridors["target"]) == ("origin_region_cn", "corridor_target_cn")
    assert "10 条走廊" in _notes_under("investment-flows")["flows_corridors"]


def test_open_deals_lead_with_park_parties_stage_and_days_not_the_match_id() -> None:
    """A leader reads the open deals by park, who is looking for whom, stage and days without news; the match id is
    there for the analyst, last."""
    columns = _bundle_chart("match_stalled")["params"]["all_columns"]
    assert columns[:5] == ["zone_name", "demand_party", "supply_party", "furthest_stage_cn", "days_since_last_event"]
    assert columns[-1] == "match_id"


def test_every_chart_of_every_dashboard_returns_rows(superset: Superset, admin: httpx.Client) -> None:
    """In Chinese and in English (the English charts read the marts' English twins of the Chinese columns)."""
    dashboards = _dashboards(admin)
    assert set(DASHBOARD_SLUGS + ENGLISH_SLUGS) <= set(dashboards)
    # the quality tables are in the published warehouse: their charts too must return rows
    assert {"quality_validation_results", "mart_quarantine_batches"} <= _tables(superset.serving)
    growth = {  # the growth table and its English twin
        _chart_of(admin, dashboards["industrial-clusters"], "clusters_growth")["id"],
        _chart_of(admin, dashboards["industrial-clusters-en"], "clusters_growth", english=True)["id"],
    }
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        (comparable,) = con.sql("select count(*) from main.mart_cluster_park_year where has_prior_year").fetchone()
    checked = 0
    for slug in DASHBOARD_SLUGS + ENGLISH_SLUGS:
        charts = _charts(admin, dashboards[slug])
        assert len(charts) >= 4, slug
        for chart in charts:
            response = _chart_data(admin, chart["id"])
            assert response.status_code == 200, (slug, chart["slice_name"], response.text[:500])
            result = response.json()["result"][0]
            assert result.get("error") is None, (chart["slice_name"], result.get("error"))
            if chart["id"] in growth:
                # empty until a year before exists (the tiny build has one year): exactly the rows that have one
                assert result["rowcount"] == min(comparable, 50), (comparable, result.get("query"))
            else:
                assert result["rowcount"] > 0, (slug, chart["slice_name"], result.get("query"))
            checked += 1
    assert checked >= 2 * 23


def test_ranking_rates_and_corridors_show_what_their_rules_allow(superset: Superset, admin: httpx.Client) -> None:
    """Through the chart data API on the tiny build: the location-quotient ranking lists only park-cluster rows of at
    least 10 enterprises, and all of them up to its limit; the rates by signing month are drawn for the mature
    months only (开工率 for exactly the months mature for construction); the Sankey's right ends are the destinations
    of the 10 largest corridors and 其他目的地."""
    dashboards = _dashboards(admin)
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        (rankable,) = con.sql("select count(*) from main.mart_cluster_park_year where enterprises >= 10").fetchone()
        mature_months = {
            row[0]
            for row in con.sql(
                "select distinct signed_month from main.mart_investment_flows_month where is_cohort_mature_for_start"
            ).fetchall()
        }
        months = {
            row[0] for row in con.sql("select distinct signed_month from main.mart_investment_flows_month").fetchall()
        }
        top = {
            row[0]
            for row in con.sql(
                "select destination_region_cn from main.mart_investment_flows_month where corridor_rank <= 10"
            ).fetchall()
        }
    ranking = _chart_of(admin, dashboards["industrial-clusters"], "clusters_lq_ranking")
    rows = _chart_data(admin, ranking["id"]).json()["result"][0]["data"]
    assert 0 < len(rows) == min(rankable, 50) and min(row["enterprises"] for row in rows) >= 10
    rates = _chart_of(admin, dashboards["investment-flows"], "flows_rates")
    rows = _chart_data(admin, rates["id"]).json()["result"][0]["data"]
    drawn = {_chart_date(row["signed_month"]) for row in rows if row["开工率"] is not None}
    assert drawn == mature_months and 0 < len(mature_months) < len(months)
    sankey = _chart_of(admin, dashboards["investment-flows"], "flows_corridors")
    rows = _chart_data(admin, sankey["id"]).json()["result"][0]["data"]
    targets = {row["corridor_target_cn"] for row in rows}
    assert targets <= top | {"其他目的地"} and len(targets - {"其他目的地"}) <= 10


def _first_column(con: duckdb.DuckDBPyConnection, sql: str) -> list:
    """The first column of a query's rows, in their order."""
    return [row[0] for row in con.sql(sql).fetchall()]


def test_member_map_top_corridors_and_regions_show_what_their_marts_allow(
    superset: Superset, admin: httpx.Client
) -> None:
    """Through the chart data API on the tiny build: the members' map draws every member park whose geocode is
    neither suspect nor missing, and no other; the corridors' table names this year's 10 largest inbound corridors
    in rank order; the committees' table has each of the six committees once, for the latest complete year."""
    dashboards = _dashboards(admin)
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        mappable = set(_first_column(con, "select zone_name from main.mart_alliance_members where is_mappable"))
        left_out = set(
            _first_column(
                con,
                "select zone_name from main.dim_park where is_alliance_member "
                "and geocode_quality in ('suspect', 'missing')",
            )
        )
        corridors = _first_column(
            con,
            "select corridor_name_cn from main.mart_investment_corridors_year "
            "where is_latest_year and corridor_rank <= 10 order by corridor_rank",
        )
    assert mappable and left_out and corridors
    chart = _chart_of(admin, dashboards["alliance-members"], "alliance_member_map")
    drawn = {row["zone_name"] for row in _chart_data(admin, chart["id"]).json()["result"][0]["data"]}
    assert drawn == mappable and not drawn & (left_out - mappable)
    chart = _chart_of(admin, dashboards["investment-flows"], "flows_top_corridors")
    rows = _chart_data(admin, chart["id"]).json()["result"][0]["data"]
    assert [row["corridor_name_cn"] for row in rows] == corridors and len(rows) <= 10
    chart = _chart_of(admin, dashboards["regional-indicators"], "regional_committees")
    rows = _chart_data(admin, chart["id"]).json()["result"][0]["data"]
    assert (
        len(rows) == 6 and len({row["region_name_cn"] for row in rows}) == 6 and len({row["year"] for row in rows}) == 1
    )


def test_leadership_tiles_and_top_parks_agree_with_the_weekly_report(superset: Superset, admin: httpx.Client) -> None:
    """What the leadership dashboard shows for the latest week is what the weekly report of that week says: each
    tile's value (in its Chinese unit) and its week-over-week and year-over-year changes, and the top parks."""
    from report.data import IsoWeek, read_report_data

    with duckdb.connect(str(superset.serving), read_only=True) as con:
        (week,) = con.sql("select latest_week_label from main.mart_serving_status").fetchone()
    report = read_report_data(superset.serving, IsoWeek.parse(week))
    dashboard = _dashboards(admin)["leadership-weekly"]
    scales = {row["indicator_code"]: float(row["unit_cn_scale"]) for row in _weekly_indicators()}
    for indicator in report.indicators:
        tile = _chart_of(admin, dashboard, f"weekly_kpi_{indicator.code}")
        rows = _chart_data(admin, tile["id"]).json()["result"][0]["data"]
        latest = max(rows, key=lambda row: row["week_start"])
        assert _chart_date(latest["week_start"]) == report.week.monday, indicator.code
        shown = next(value for key, value in latest.items() if key != "week_start")
        assert shown == pytest.approx((indicator.value or 0) / scales[indicator.code]), indicator.code
        changes = _chart_of(admin, dashboard, f"weekly_kpi_{indicator.code}_changes")
        (row,) = _chart_data(admin, changes["id"]).json()["result"][0]["data"]
        assert row["week_over_week_change"] == pytest.approx(indicator.week_over_week_change), indicator.code
        assert row["year_over_year_change"] == pytest.approx(indicator.year_over_year_change), indicator.code
    top = _chart_of(admin, dashboard, "weekly_top_parks")
    rows = _chart_data(admin, top["id"]).json()["result"][0]["data"]
    assert [(row["zone_name"], row["province_name"]) for row in rows] == [
        (park["park_name"], park["province_name"]) for park in report.top_parks
    ]
    assert [row["contracted_100m_cny"] for row in rows] == pytest.approx(
        [park["contracted_cny"] / 1e8 for park in report.top_parks]
    )


def _filtered_chart_data(client: httpx.Client, chart_id: int, filters: dict[str, str]) -> list[dict]:
    """The chart's rows as the dashboard asks for them with its native filters set to ``filters`` (column: value):
    the chart's saved query with the filters added, as a native filter adds them."""
    chart = client.get(f"/api/v1/chart/{chart_id}")
    chart.raise_for_status()
    query_context = json.loads(chart.json()["result"]["query_context"])
    for query in query_context["queries"]:
        query["filters"] = [
            *query.get("filters", []),
            *({"col": c, "op": "IN", "val": [v]} for c, v in filters.items()),
        ]
    query_context.update(force=True, result_format="json", result_type="full")
    answer = client.post(
        "/api/v1/chart/data", content=json.dumps(query_context), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["result"][0]["data"]


def test_the_committee_and_province_filters_reach_the_weekly_figures(superset: Superset, admin: httpx.Client) -> None:
    """With 委员会 and 省份 chosen, the leadership tiles of new matches and of the conversion rate, and their week-over-
    week changes, are those of that committee's matches in that province's parks, counted here from the CRM facts
    (fct_match_event and fct_match), not from the weekly marts: a ratio of the area's own counts."""
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        (monday,) = con.sql("select max(week_start) from main.mart_weekly_indicators").fetchone()
        # the area with the most recommendations over the latest two weeks, so that the comparison has numbers
        committee, province = con.execute(
            "select m.committee_name_cn, m.province_name from main.fct_match_event as e "
            "join main.fct_match as m using (match_id) where e.stage = 'recommended' "
            "and e.event_date between ? - 7 and ? + 6 and m.province_name is not null "
            "group by all order by count(distinct e.match_id) desc, 1, 2 limit 1",
            [monday, monday],
        ).fetchone()
        counts = dict(
            con.execute(
                "select e.stage || (e.event_date >= ?), count(distinct e.match_id) from main.fct_match_event as e "
                "join main.fct_match as m using (match_id) where m.committee_name_cn = ? and m.province_name = ? "
                "and e.stage in ('recommended', 'signed') and e.event_date between ? - 7 and ? + 6 group by all",
                [monday, committee, province, monday, monday],
            ).fetchall()
        )
    this_week, week_before = counts.get("recommendedtrue", 0), counts.get("recommendedfalse", 0)
    rate, rate_before = counts.get("signedtrue", 0) / this_week, counts.get("signedfalse", 0) / week_before
    chosen = {"committee_name_cn": committee, "province_name": province}
    dashboard = _dashboards(admin)["leadership-weekly"]

    def latest(name: str) -> dict:
        rows = _filtered_chart_data(admin, _chart_of(admin, dashboard, name)["id"], chosen)
        return max(rows, key=lambda row: row.get("week_start") or 0)

    assert _chart_date(latest("weekly_kpi_new_matches")["week_start"]) == monday
    assert latest("weekly_kpi_new_matches")["value_in_unit_cn"] == this_week
    assert latest("weekly_kpi_new_matches_changes")["week_over_week_change"] == pytest.approx(
        this_week / week_before - 1
    )
    assert latest("weekly_kpi_match_conversion_rate")["value_in_unit_cn"] == pytest.approx(100 * rate)
    # no change where the week before converted none (as mart_weekly_indicators has it)
    change = rate / rate_before - 1 if rate_before else None
    assert latest("weekly_kpi_match_conversion_rate_changes")["week_over_week_change"] == pytest.approx(change)
    # and the alliance's figure is not the area's: the filter changed what the tile shows
    everyone = _chart_data(admin, _chart_of(admin, dashboard, "weekly_kpi_new_matches")["id"]).json()["result"][0]
    assert max(everyone["data"], key=lambda row: row["week_start"])["value_in_unit_cn"] > this_week


def test_superset_serves_each_published_table_as_its_dbt_yaml_describes_it(
    superset: Superset, admin: httpx.Client, manifest: dict
) -> None:
    """What the set-up imported: every dataset Superset holds is physical, on a table of the published
    warehouse with the columns and types the bundle gives it, and described as the dbt YAML describes
    the table and its columns (filled in at import: the bundle holds no description)."""
    published = _published(manifest)
    listed = admin.get("/api/v1/dataset/", params={"q": "(page_size:100)"})
    listed.raise_for_status()
    held = {row["table_name"]: row["id"] for row in listed.json()["result"]}
    assert sorted(held) == sorted(published)
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        for table, dataset_id in sorted(held.items()):
            dataset = admin.get(f"/api/v1/dataset/{dataset_id}").json()["result"]
            assert dataset["sql"] is None and dataset["schema"] == "main", table
            assert dataset["description"] == _one_line(published[table]["description"]), table
            columns = {c["column_name"]: (c["type"], c["description"]) for c in dataset["columns"]}
            built = {name: kind for name, kind, *_ in con.sql(f"describe main.{table}").fetchall()}
            assert {name: kind for name, (kind, _) in columns.items()} == built, table
            assert {name: text for name, (_, text) in columns.items()} == {
                name: _one_line(spec["description"]) for name, spec in published[table]["columns"].items()
            }, table


def _snapshot(admin: httpx.Client) -> dict:
    """What an import could change: each dashboard's layout, metadata and charts, the datasets and charts."""
    dashboards = _dashboards(admin)
    state: dict = {}
    for slug, dashboard_id in sorted(dashboards.items()):
        detail = admin.get(f"/api/v1/dashboard/{dashboard_id}").json()["result"]
        charts = sorted(
            (c["id"], c["slice_name"], c["form_data"].get("viz_type")) for c in _charts(admin, dashboard_id)
        )
        state[slug] = (dashboard_id, detail["position_json"], detail["json_metadata"], charts)
    datasets = admin.get("/api/v1/dataset/", params={"q": "(page_size:100)"}).json()
    state["datasets"] = sorted((d["id"], d["table_name"], d["schema"], d["sql"]) for d in datasets["result"])
    state["charts"] = admin.get("/api/v1/chart/", params={"q": "(page_size:100)"}).json()["count"]
    return state


def test_importing_the_bundle_twice_changes_nothing(superset: Superset, admin: httpx.Client) -> None:
    """The set-up imported the bundle once; Superset's import API (the same ImportAssetsCommand, matched by
    UUID, overwrite) imports it again: nothing changes. (``bootstrap.py import``, i.e. ``make
    superset-import``, is exercised twice by the export test.)"""
    assets_io = _assets_io()
    archive = assets_io.bundle_zip(f"duckdb:///{superset.serving}")
    before = _snapshot(admin)
    response = admin.post(
        "/api/v1/assets/import/",
        files={"bundle": ("bundle.zip", archive, "application/zip")},
        data={"passwords": "{}"},
    )
    assert response.status_code == 200, response.text[:500]
    assert _snapshot(admin) == before


def _cache_files_the_server_does_not_own(superset: Superset) -> dict[str, int]:
    """The files of the server's chart-data cache owned by another account than the server's, with their owner."""
    account = services.service_account()
    owner = account.uid if account else os.geteuid()
    cache = superset.data_dir / "superset" / "cache" / "data"
    assert cache.is_dir()
    return {path.name: path.stat().st_uid for path in cache.iterdir() if path.stat().st_uid != owner}


def test_export_writes_ui_edits_back_into_the_bundle(superset: Superset, admin: httpx.Client, tmp_path: Path) -> None:
    """make superset-export: an edit made through the API (as the UI does) reaches the bundle's YAML, under
    the bundle's own file names and with the connection's placeholder, and nothing else changes (the
    bundle is what Superset exports, the descriptions left to the dbt YAML); importing that bundle twice
    changes nothing."""
    import yaml

    assets_io = _assets_io()
    chart_uuid = yaml.safe_load((SUPERSET_DIR / "assets" / "charts" / "quality_latest_results.yaml").read_text())[
        "uuid"
    ]
    chart_id, title = next(
        (c["id"], c["slice_name"]) for c in _all_charts(admin, "id,uuid,slice_name") if c["uuid"] == chart_uuid
    )
    edited = f"{title} (edited in the UI)"
    target = tmp_path / "assets"
    shutil.copytree(SUPERSET_DIR / "assets", target)
    try:
        assert admin.put(f"/api/v1/chart/{chart_id}", json={"slice_name": edited}).status_code == 200
        subprocess.run(
            [
                str(SUPERSET_DIR / ".venv" / "bin" / "python"),
                str(SUPERSET_DIR / "export_assets.py"),
                "--url",
                superset.base_url,
                "--target",
                str(target),
            ],
            env=superset.env,
            check=True,
            capture_output=True,
        )
        exported, repo = assets_io.read_bundle(target), assets_io.read_bundle()
        assert set(exported) == set(repo)  # same files under the same names: the diff shows edits, not renames
        assert {name for name in repo if exported[name] != repo[name]} == {"charts/quality_latest_results.yaml"}
        chart = yaml.safe_load(exported["charts/quality_latest_results.yaml"])
        assert chart["uuid"] == chart_uuid and chart["slice_name"] == edited
        assert chart == {**yaml.safe_load(repo["charts/quality_latest_results.yaml"]), "slice_name": edited}
        database = yaml.safe_load(exported["databases/Park_warehouse.yaml"])
        assert database["sqlalchemy_uri"] == assets_io.URI_PLACEHOLDER
        assert str(superset.data_dir) not in "".join(exported.values())

        before = _snapshot(admin)
        superset.bootstrap("import", "--assets", str(target), "--times", "2")
        after = _snapshot(admin)
        # the Chinese version as it was; the English one derived again from it, so its twin of the chart now
        # carries the edit (untranslated: tests/test_dashboard_translations.py would ask for its English)
        assert {k: v for k, v in after.items() if k not in ENGLISH_SLUGS} == {
            k: v for k, v in before.items() if k not in ENGLISH_SLUGS
        }
        assert {slug for slug in ENGLISH_SLUGS if after[slug] != before[slug]} == {"data-quality-en"}
        assert edited in {chart[1] for chart in after["data-quality-en"][3]}
        superset.bootstrap("import", "--assets", str(target))
        assert _snapshot(admin) == after
        # bootstrap.py ran as root (as in CI and `make up`) while the server ran: it left nothing in the server's
        # chart-data cache the server's account does not own (superset_config.py: cachelib's entry count, 0600,
        # owned by root made the server retry every cache write for 10 s: a role's first chart took 50 s)
        assert _cache_files_the_server_does_not_own(superset) == {}
    finally:
        admin.put(f"/api/v1/chart/{chart_id}", json={"slice_name": title}).raise_for_status()
        superset.bootstrap("import")  # the English twin derived from the chart as it is in git again


def test_leadership_reads_dashboards_but_has_no_sql_lab(superset: Superset, admin: httpx.Client) -> None:
    database_id = admin.get("/api/v1/database/").json()["result"][0]["id"]
    with superset.client("leader", USERS["leader"][0]) as leader:
        dashboards = _dashboards(leader)
        assert set(ROLE_DASHBOARDS["leader"]) <= set(dashboards)
        chart = _chart_of(leader, dashboards["leadership-weekly"], "weekly_this_week")
        assert _chart_data(leader, chart["id"]).status_code == 200
        response = leader.post(
            "/api/v1/sqllab/execute/",
            json={"database_id": database_id, "sql": "select 1", "schema": "main", "runAsync": False},
        )
        assert response.status_code == 403, response.text


def _execute(client: httpx.Client, database_id: int, sql: str) -> httpx.Response:
    """SQL Lab's run button: a synchronous query on the warehouse."""
    return client.post(
        "/api/v1/sqllab/execute/",
        json={"database_id": database_id, "sql": sql, "schema": "main", "runAsync": False, "select_as_cta": False},
    )


def test_analyst_runs_sql_lab_on_the_marts_only(superset: Superset, admin: httpx.Client) -> None:
    database_id = admin.get("/api/v1/database/").json()["result"][0]["id"]

    def execute(client: httpx.Client, sql: str) -> httpx.Response:
        return _execute(client, database_id, sql)

    quarantined = superset.data_dir / "landing" / "crm_projects" / "batch_date=2026-11-23" / "quarantined.parquet"
    with superset.client("analyst", USERS["analyst"][0]) as analyst:
        ok = execute(analyst, "select indicator_code, sum(value) as v from main.mart_weekly_indicators group by 1")
        assert ok.status_code == 200, ok.text
        assert len(ok.json()["data"]) == 7
        # every published table, through the physical dataset the bundle has for it (no schema access)
        for table in sorted(_tables(superset.serving) - {"mart_quarantine_batches"}):
            response = execute(analyst, f"select count(*) as n from main.{table}")
            assert response.status_code == 200, (table, response.text[:300])
        unqualified = execute(analyst, "select count(*) as n from mart_regional_indicators")
        assert unqualified.status_code == 200, unqualified.text[:300]
        table_refused = ("TABLE_SECURITY_ACCESS_ERROR",)
        # DuckDB's table functions would read around the table check: refused by it, else as disallowed functions
        function_refused = ("TABLE_SECURITY_ACCESS_ERROR", "which is not allowed")
        for forbidden, refusal in (
            ("select * from raw.park_registry limit 1", table_refused),
            ("select * from staging.stg_landing__batches limit 1", table_refused),
            ("select * from main.mart_quarantine_batches limit 1", table_refused),
            ("select * from mart_quarantine_batches limit 1", table_refused),
            (
                "select w.* from main.mart_weekly_indicators w join main.mart_quarantine_batches q on true limit 1",
                table_refused,
            ),
            ("select * from query_table('raw.park_registry') limit 1", function_refused),
            (f"select * from read_parquet('{quarantined}') limit 1", function_refused),
        ):
            response = execute(analyst, forbidden)
            assert response.status_code == 403 and any(r in response.text for r in refusal), (
                forbidden,
                response.status_code,
                response.text[:300],
            )
        # nor the data-quality dashboard's quarantine chart
        dashboards = _dashboards(admin)
        quarantine_charts = [
            _chart_of(admin, dashboards["data-quality"], name)
            for name in ("quality_quarantine_over_time", "quality_quarantine_reasons")
        ]
        for chart in quarantine_charts:
            assert _chart_data(analyst, chart["id"]).status_code in (401, 403, 404), chart["slice_name"]


def _files(*folders: Path) -> set[Path]:
    return {path for folder in folders for path in folder.rglob("*")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _superset_static_folder() -> Path:
    """Superset's static assets folder, served at /static/ without a login."""
    (site_packages,) = (SUPERSET_DIR / ".venv" / "lib").glob("python3*/site-packages")
    return site_packages / "superset" / "static"


def test_sql_lab_refuses_every_statement_that_is_not_a_read_and_writes_nothing(
    superset: Superset, admin: httpx.Client
) -> None:
    """As the Analyst: statements that would write or read a file, attach a database, load an extension,
    change a setting or change data are each refused with 403 (422 when the parser cannot read them) and a
    message saying what is not allowed; afterwards no file exists that was not there before, in a folder
    anyone may write to or in Superset's static folder, and the warehouse has the same bytes."""
    database_id = admin.get("/api/v1/database/").json()["result"][0]["id"]
    probe = superset.data_dir / "sql-lab-probe"
    probe.mkdir(exist_ok=True)
    probe.chmod(0o777)  # writable by the service account: only Superset's own rules may stop a write here
    secret = probe / "secret.csv"
    secret.write_text("who,what\nnobody,nothing\n")
    static = _superset_static_folder()
    before_files, before_warehouse = _files(probe, static), _sha256(superset.serving)
    statements = [
        f"COPY main.mart_weekly_indicators TO '{probe}/weekly.csv'",
        f"COPY (SELECT * FROM main.dim_park) TO '{static}/assets/parks.csv'",
        f"COPY raw.park_registry TO '{probe}/raw.parquet' (FORMAT parquet)",
        f"EXPORT DATABASE '{probe}/export'",
        f"ATTACH '{probe}/other.duckdb' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA database_list",
        f"SET temp_directory = '{probe}/spill'",
        "SET enable_external_access = true",
        "CALL pragma_database_list()",
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM read_parquet('{probe}/*.parquet')",
        f"SELECT * FROM glob('{probe}/*')",
        "CREATE TABLE main.made_in_sql_lab AS SELECT 1 AS a",
        "INSERT INTO main.dim_cluster SELECT * FROM main.dim_cluster",
        "DROP TABLE main.dim_cluster",
        f"SELECT count(*) AS n FROM main.dim_park; COPY main.dim_park TO '{probe}/hidden.csv'",
        f"WITH p AS (SELECT 1 AS a) SELECT * FROM p; ATTACH '{probe}/hidden.duckdb'",
    ]
    answers = {}
    with superset.client("analyst", USERS["analyst"][0]) as analyst:
        for sql in statements:
            response = _execute(analyst, database_id, sql)
            answers[sql] = (response.status_code, response.json().get("errors", [{}])[0].get("message", ""))
        still_reads = _execute(analyst, database_id, "SELECT count(*) AS n FROM main.dim_park")
    not_refused = {sql: answer for sql, answer in answers.items() if answer[0] not in (403, 422)}
    assert not not_refused, not_refused
    for sql, (status, message) in answers.items():
        said = "which is not allowed. Nothing was run." if status == 403 else "could not be parsed"
        assert said in message, (sql, status, message)
    assert answers[statements[0]][1].startswith("SQL Lab runs read-only queries only (SELECT, or WITH ... SELECT")
    assert "statement 1 is COPY" in answers[statements[0]][1]
    assert "statement 1 calls read_csv" in answers[statements[11]][1]
    assert "statement 2 is COPY" in answers[statements[-2]][1]
    assert "statement 2 is ATTACH" in answers[statements[-1]][1]
    assert _files(probe, static) == before_files
    assert _sha256(superset.serving) == before_warehouse
    assert still_reads.status_code == 200 and still_reads.json()["data"][0]["n"] > 0


_DIRECT_PROBE = """
import json, sys
from superset.app import create_app
app = create_app()
with app.app_context():
    from superset import db
    from superset.models.core import Database
    database = db.session.query(Database).filter_by(database_name="Park warehouse").one()
    outcomes = {}
    with database.get_sqla_engine() as engine, engine.connect() as connection:
        for sql in json.loads(sys.argv[1]):
            try:
                connection.exec_driver_sql(sql).fetchall()
                outcomes[sql] = "ran"
            except Exception as error:
                outcomes[sql] = str(error).splitlines()[0]
    print(json.dumps(outcomes))
"""


def test_the_warehouse_connection_itself_cannot_write_read_files_or_change_settings(superset: Superset) -> None:
    """Below SQL Lab's check, on the connection every Superset query uses (charts, datasets, SQL Lab): DuckDB
    opened read-only, external access disabled and the configuration locked, whatever the SQL."""

    probe = superset.data_dir / "connection-probe"
    probe.mkdir(exist_ok=True)
    probe.chmod(0o777)
    (probe / "secret.csv").write_text("a\n1\n")
    statements = [
        f"COPY main.dim_park TO '{probe}/parks.csv'",
        f"ATTACH '{probe}/other.duckdb' AS other",
        f"SELECT * FROM read_csv('{probe}/secret.csv')",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "CREATE TABLE main.made_here AS SELECT 1 AS a",
    ]
    result = subprocess.run(
        [str(SUPERSET_DIR / ".venv" / "bin" / "python"), "-c", _DIRECT_PROBE, json.dumps(statements)],
        env=superset.env,
        capture_output=True,
        text=True,
        check=True,
    )
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert [sql for sql, outcome in outcomes.items() if outcome == "ran"] == []
    for sql, outcome in outcomes.items():
        assert any(
            reason in outcome
            for reason in (
                "disabled by configuration",
                "disabled through configuration",
                "configuration has been locked",
                "read-only mode",
            )
        ), (sql, outcome)
    assert sorted(path.name for path in probe.iterdir()) == ["secret.csv"]
    # the probe, a Superset of this configuration run as root beside the server, left the server's cache alone
    assert _cache_files_the_server_does_not_own(superset) == {}


def test_superset_does_not_run_as_root(superset: Superset) -> None:
    """Every process of Superset's process group runs as an account other than root (started by root, as
    in CI, it is the service account ``park-svc``)."""
    group = services.running_pid(superset.data_dir, "superset")
    assert group is not None
    uids = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:  # the process group
                uid_line = next(line for line in (status.parent / "status").read_text().splitlines()
                                if line.startswith("Uid:"))  # fmt: skip
                uids[status.parent.name] = {int(uid) for uid in uid_line.split()[1:]}
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    assert len(uids) >= 2  # gunicorn's arbiter and its worker
    assert all(0 not in ids for ids in uids.values()), uids
    if os.geteuid() == 0:
        import pwd

        assert {pwd.getpwuid(min(ids)).pw_name for ids in uids.values()} == {"park-svc"}
        # it owns its own folder and nothing of the warehouse
        assert (superset.data_dir / "superset").stat().st_uid == min(next(iter(uids.values())))
        assert superset.serving.stat().st_uid == 0


def test_park_staff_see_only_their_own_park(superset: Superset, admin: httpx.Client) -> None:
    dashboards = _dashboards(admin)
    dataset_id = admin.get(
        "/api/v1/dataset/", params={"q": "(filters:!((col:table_name,opr:eq,value:mart_cluster_park_year)))"}
    ).json()["result"][0]["id"]

    def parks_behind_the_ranking(client: httpx.Client) -> list[str]:
        """The parks of every row of the ranking's dataset (the ranking itself lists the rows of 10 enterprises or
        more only, all of one park in the tiny build), as the client may read them."""
        body = {
            "datasource": {"id": dataset_id, "type": "table"},
            "queries": [{"columns": ["zone_name"], "metrics": [], "orderby": [], "row_limit": 100000}],
            "result_format": "json",
            "result_type": "full",
        }
        answer = client.post("/api/v1/chart/data", json=body)
        assert answer.status_code == 200, answer.text[:300]
        return [row["zone_name"] for row in answer.json()["result"][0]["data"]]

    with superset.client("park_staff", "park-pw") as park:
        chart = _chart_of(park, dashboards["industrial-clusters"], "clusters_lq_ranking")
        own_rows = _chart_data(park, chart["id"]).json()["result"][0]["data"]
        park_names = {row["zone_name"] for row in own_rows}
        assert own_rows and len(park_names) == 1
        everyone, theirs = parks_behind_the_ranking(admin), parks_behind_the_ranking(park)
        assert len(set(everyone)) > 1 and len(theirs) < len(everyone)
        with duckdb.connect(str(superset.serving), read_only=True) as con:
            name = con.sql(f"select zone_name from main.dim_park where park_id = '{superset.park_id}'").fetchone()[0]
        assert park_names == set(theirs) == {name}
        # the weekly (alliance-wide) dashboard's data is not theirs to read
        weekly = _chart_of(admin, dashboards["leadership-weekly"], "weekly_this_week")
        assert _chart_data(park, weekly["id"]).status_code in (401, 403, 404)
        # the CSV download of their chart holds their park only
        csv = park.get(f"/api/v1/chart/{chart['id']}/data/", params={"format": "csv", "type": "full"})
        assert csv.status_code == 200 and name in csv.text
        assert {line.split(",")[0] for line in csv.text.strip().splitlines()[1:]} <= {name, f'"{name}"'}


def test_each_role_is_listed_exactly_the_dashboards_it_may_read_and_each_chart_answers(
    superset: Superset, admin: httpx.Client
) -> None:
    """DASHBOARD_RBAC: each role's dashboard list is exactly its dashboards of ROLE_DASHBOARDS in both languages,
    every chart of them answers the role through the chart-data API without an error, and a dashboard not
    listed does not open. The park's own view holds the park staff's park only, to the row."""
    for username, slugs in ROLE_DASHBOARDS.items():
        with superset.client(username, PASSWORDS[username]) as client:
            listed = _dashboards(client)
            assert sorted(listed) == sorted(slugs + [f"{slug}-en" for slug in slugs]), username
            for slug, dashboard_id in listed.items():
                charts = _charts(client, dashboard_id)
                assert len(charts) >= 4, (username, slug)
                for chart in charts:
                    response = _chart_data(client, chart["id"], force=False)
                    assert response.status_code == 200, (username, slug, chart["slice_name"], response.text[:300])
                    assert response.json()["result"][0].get("error") is None, (username, slug, chart["slice_name"])
            for slug in set(DASHBOARD_SLUGS) - set(slugs):
                assert client.get(f"/api/v1/dashboard/{slug}").status_code in (403, 404), (username, slug)

    dashboards = _dashboards(admin)
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        (name,) = con.sql(
            "select zone_name from main.dim_park where park_id = $1", params=[superset.park_id]
        ).fetchone()
        (enterprises,) = con.sql(
            "select count(*) from main.dim_enterprise where park_id = $1", params=[superset.park_id]
        ).fetchone()
        shares = {
            cluster: (round(own, 9), round(province, 9))
            for cluster, own, province in con.sql(
                "select cluster_name_cn, employment_share, province_employment_share from main.mart_cluster_park_year"
                " where park_id = $1 and is_latest_year",
                params=[superset.park_id],
            ).fetchall()
        }
    assert enterprises > 0 and shares
    with superset.client("park_staff", PASSWORDS["park_staff"]) as park:

        def rows(chart_name: str) -> list[dict]:
            chart = _chart_of(park, dashboards["my-park"], chart_name)
            return _chart_data(park, chart["id"]).json()["result"][0]["data"]

        assert [row["zone_name"] for row in rows("park_profile")] == [name]
        assert list(rows("park_enterprises")[0].values()) == [enterprises]
        drawn = {
            row["cluster_name_cn"]: (round(row["本园区"], 9), round(row["全省园区"], 9))
            for row in rows("park_clusters_vs_province")
        }
        assert drawn == shares


def _browser_session(superset: Superset, username: str, password: str) -> httpx.Client:
    """A client logged in through the login form, as a browser is (the legacy views take no API token)."""
    import re

    client = httpx.Client(base_url=superset.base_url, timeout=60, headers={"Referer": superset.base_url})
    page = client.get("/login/").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert token, "no CSRF token on the login page"
    login = client.post("/login/", data={"username": username, "password": password, "csrf_token": token.group(1)})
    assert login.status_code == 302 and login.headers["location"] == "/", login.text[:300]
    client.headers["X-CSRFToken"] = client.get("/api/v1/security/csrf_token/").json()["result"]
    return client


def test_the_legacy_explore_json_endpoint_refuses_clearly(superset: Superset, admin: httpx.Client) -> None:
    """The deprecated /superset/explore_json/ (and its CSV export) answered 500 for every chart of the bundle;
    it is switched off: 403 with a message naming the chart data API, for the admin and a park user alike."""

    dashboards = _dashboards(admin)
    charts = _charts(admin, dashboards["industrial-clusters"]) + _charts(admin, dashboards["leadership-weekly"])
    for username, password in (ADMIN, ("park_staff", "park-pw")):
        session = _browser_session(superset, username, password)
        try:
            for chart in charts:
                for export in ("csv", "xlsx", "json"):
                    response = session.post(
                        "/superset/explore_json/",
                        params={export: "true"},
                        data={"form_data": json.dumps({"slice_id": chart["id"]})},
                    )
                    assert response.status_code == 403, (username, chart["slice_name"], export, response.text[:200])
                    assert "/api/v1/chart/<chart id>/data/" in response.json()["error"]
        finally:
            session.close()


# what the English dashboards may show in Chinese: proper names that no mart carries an English name for (the
# registry names parks in Chinese only, the CRM a match's two parties, enterprises, in Chinese only: the open
# deals' table lists them); and on the data-quality dashboard, what it quotes as the parks' offices
# sent it and as the pipeline wrote it (file names, the park as sent, the reasons), and the member parks'
# provinces as the intake status lists them. table -> columns
ENGLISH_PROPER_NAMES = {
    "all": {
        "dim_park": ["zone_name"],
        "fct_match": ["demand_party", "supply_party"],
        "fct_investment_project": ["project_name", "investor_name"],
    },
    "data-quality": {
        "dim_park": ["zone_name"],
        "mart_intake_status": ["park_name", "province_name"],
        "fct_intake_receipt": ["original_name", "park_as_sent", "outcome_reason"],
        "mart_quarantine_batches": ["reason"],
        "quality_validation_results": ["expected", "observed"],
    },
}


def _proper_names_without_english(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The values of ENGLISH_PROPER_NAMES in the serving warehouse, longest first (a name holding another
    is removed whole)."""
    found = {}
    for scope, tables in ENGLISH_PROPER_NAMES.items():
        values = {
            value
            for table, columns in tables.items()
            for column in columns
            for (value,) in con.sql(f"select distinct cast({column} as varchar) from main.{table}").fetchall()
            if value
        }
        found[scope] = sorted(values, key=len, reverse=True)
    return found


@contextmanager
def _chromium_page(superset: Superset, username: str, password: str) -> Iterator:
    """A headless Chromium page logged in through Superset's login form as the user."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_page(viewport={"width": 1600, "height": 1400})
        page.goto(f"{superset.base_url}/login/")
        page.fill("input[name='username'], #username", username)
        page.fill("input[name='password'], #password", password)
        page.keyboard.press("Enter")
        page.wait_for_url("**/superset/welcome/**", timeout=60_000)
        try:
            yield page
        finally:
            browser.close()


def _render(page, superset: Superset, slug: str, expected: int, screenshot: Path) -> str:
    """The dashboard rendered in the page: asserts its ``expected`` charts rendered without an error, saves a
    screenshot, and returns the page's text."""
    page.goto(f"{superset.base_url}/superset/dashboard/{slug}/")
    page.wait_for_selector(".dashboard-chart, .chart-container", timeout=60_000)
    # every chart rendered and nothing loading, four polls in a row (0.75 s), and still so after the screenshot:
    # on a busy machine the grid was seen rendered in full, then empty a moment later (the dashboard rendering
    # again once its native filters were restored into the URL), so a count taken after a fixed pause could read 0
    deadline, settled, rendered, errors = time.monotonic() + 120, 0, 0, []
    while time.monotonic() < deadline:
        loading = page.locator(".loading, [data-test='loading-indicator']").count()
        rendered = page.locator(".chart-container").count()
        settled = settled + 1 if loading == 0 and rendered >= expected else 0
        if settled >= 4:
            page.screenshot(path=str(screenshot), full_page=True)
            errors = page.locator("[data-test='error-message'], .ant-alert-error, .alert-danger").all_inner_texts()
            rendered = page.locator(".chart-container").count()
            if rendered >= expected:
                break
            settled = 0
        page.wait_for_timeout(250)
    assert rendered >= expected, (slug, rendered, expected)
    assert not errors, (slug, errors)
    return page.locator("#app").inner_text()


@pytest.fixture(scope="module")
def rendered(superset: Superset, admin: httpx.Client) -> dict[tuple[str, str], str]:
    """Each role's dashboards (ROLE_DASHBOARDS), each in Chinese and in English, rendered once in headless Chromium
    as the role's user, logged in through the login form: (user, slug) -> the page's text. :func:`_render` asserts
    that every chart rendered without an error; screenshots in test-artifacts/superset/<user>-<slug>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dashboards = _dashboards(admin)
    seen = {}
    for username, slugs in ROLE_DASHBOARDS.items():
        with _chromium_page(superset, username, PASSWORDS[username]) as page:
            for slug in [*slugs, *(f"{slug}-en" for slug in slugs)]:
                screenshot = ARTIFACTS / f"{username}-{slug}.png"
                seen[username, slug] = _render(page, superset, slug, len(_charts(admin, dashboards[slug])), screenshot)
    return seen


def test_dashboards_render_in_chromium_without_chart_errors(
    superset: Superset, rendered: dict[tuple[str, str], str]
) -> None:
    """Each dashboard in Chinese and in English, as rendered for a role that reads it (every dashboard is some
    role's): every chart rendered without an error, the banner, no code and no long decimal; in English no
    Chinese but the proper names the marts have no English for."""
    seen = {}
    for (_, slug), text in rendered.items():
        seen.setdefault(slug, text)
    assert sorted(seen) == sorted(DASHBOARD_SLUGS + ENGLISH_SLUGS)  # each dashboard is rendered for some role
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        as_of, notice, notice_en = con.sql(
            "select as_of_date, data_notice_cn, data_notice_en from main.mart_serving_status"
        ).fetchone()
        proper_names = _proper_names_without_english(con)
    for slug in DASHBOARD_SLUGS:
        # every dashboard says which data are generated and the serving warehouse's as-of date, in its language,
        # and links its other version
        assert notice.startswith("演示数据") and notice in seen[slug], (slug, notice)
        assert f"数据截至 {as_of:%Y-%m-%d}" in seen[slug], slug
        assert notice_en in seen[f"{slug}-en"] and f"Data as of {as_of:%Y-%m-%d}" in seen[f"{slug}-en"], slug
        assert "中文 | English" in seen[slug] and "中文 | English" in seen[f"{slug}-en"], slug
    # in English, Chinese only in the proper names no mart has an English name for (ENGLISH_PROPER_NAMES) and
    # the language switch's 中文; the titles, labels, filter names and every other value are English
    for slug in ENGLISH_SLUGS:
        text = seen[slug].replace("中文 | English", "")
        for name in proper_names["all" if slug != "data-quality-en" else "data-quality"]:
            text = text.replace(name, "")
        assert re.findall(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+", text) == [], slug
    for indicator in _weekly_indicators():
        assert indicator["indicator_name_en"] in seen["leadership-weekly-en"], indicator
    # the leadership overview: each weekly indicator's tile by its Chinese name
    leadership = seen["leadership-weekly"]
    for indicator in _weekly_indicators():
        assert f"{indicator['indicator_name_cn']}（{indicator['unit_cn']}）" in leadership, indicator
    # no code and no long decimal on the dashboards leaders and analysts read (the data-quality dashboard quotes
    # the rejected rows' reasons and the expectations' arguments as the pipeline wrote them)
    # (in English, a code that is also an English word, such as domestic or recommended, may be prose)
    english_codes = [code for code in RAW_CODES if "_" in code or code.isupper() or code in ("True", "False")]
    for slug, text in seen.items():
        if slug not in ("data-quality", "data-quality-en"):
            codes = english_codes if slug in ENGLISH_SLUGS else RAW_CODES
            assert [code for code in codes if re.search(rf"\b{code}\b", text)] == [], slug
            assert re.findall(LONG_DECIMAL, text) == [], slug
    # the data-quality dashboard names its rules, severities, results and sources: no rule id, no True/False, no
    # source code (a suite such as raw.crm_projects keeps its table's name)
    quality = seen["data-quality"]
    assert [match.group(0) for match in re.finditer(QUALITY_CODES, quality)] == []
    assert "通过" in quality and "取值不为空" in quality and "园区企业报送" in quality
    # the rules are written under the charts they govern
    for slug, notes in NOTES_SHOWN.items():
        assert [note for note in notes if note not in seen[slug]] == [], slug


def test_each_role_sees_its_dashboards_render_in_chromium(
    superset: Superset, rendered: dict[tuple[str, str], str]
) -> None:
    """As each role's user in headless Chromium, each of its dashboards in Chinese and in English: every chart and
    filter renders without an error (no "requires datasource", no failed filter), no code and no long decimal;
    park staff's own view names their park. Screenshots in test-artifacts/superset/<user>-<slug>.png."""
    with duckdb.connect(str(superset.serving), read_only=True) as con:
        (park_name,) = con.sql(
            "select zone_name from main.dim_park where park_id = $1", params=[superset.park_id]
        ).fetchone()
    english_codes = [code for code in RAW_CODES if "_" in code or code.isupper() or code in ("True", "False")]
    assert sorted(rendered) == sorted(
        (username, slug)
        for username, slugs in ROLE_DASHBOARDS.items()
        for base in slugs
        for slug in (base, f"{base}-en")
    )
    for (username, slug), text in rendered.items():
        if slug.removesuffix("-en") != "data-quality":
            codes = english_codes if slug.endswith("-en") else RAW_CODES
            assert [code for code in codes if re.search(rf"\b{code}\b", text)] == [], (username, slug)
            assert re.findall(LONG_DECIMAL, text) == [], (username, slug)
        if username == "park_staff" and slug.startswith("my-park"):
            assert park_name in text, slug


def _new_matches(response: httpx.Response) -> float:
    """The leadership overview's 新增对接 this week, from the data of its weekly_this_week chart."""
    assert response.status_code == 200, response.text[:300]
    rows = response.json()["result"][0]["data"]
    return next(row["value_in_unit_cn"] for row in rows if row["indicator_name_cn"] == "新增对接")


def _as_of(response: httpx.Response) -> date:
    """The banner chart's as-of date."""
    assert response.status_code == 200, response.text[:300]
    (row,) = response.json()["result"][0]["data"]
    return _chart_date(row["as_of_date"])


def _is_cached(response: httpx.Response) -> bool:
    """Whether Superset answered from its data cache (every query of the chart)."""
    return all(result["is_cached"] for result in response.json()["result"])


def _changed_build(serving: Path, added_matches: int) -> Path:
    """A build beside serving that differs from it by ``added_matches`` more 新增对接 this week and an as-of date
    a week later, ready to be renamed over serving as parkplatform.publish does."""
    build = serving.with_name("build.duckdb")
    shutil.copyfile(serving, build)
    with duckdb.connect(str(build)) as con:
        con.execute(
            f"update main.mart_weekly_indicators set value = value + {added_matches}, "
            f"value_in_unit_cn = value_in_unit_cn + {added_matches} where indicator_code = 'new_matches'"
        )
        # the dashboard adds the areas up (one area's count grows by as much)
        con.execute(
            f"update main.mart_weekly_indicators_by_area set numerator = numerator + {added_matches} "
            "where rowid = (select min(rowid) from main.mart_weekly_indicators_by_area "
            "where indicator_code = 'new_matches' and is_latest_week)"
        )
        con.execute("update main.mart_serving_status set as_of_date = as_of_date + 7")
    return build


def test_a_publish_is_served_at_once_through_the_warm_data_cache(superset: Superset, admin: httpx.Client) -> None:
    """Chart data is cached (a second identical request is answered from the cache, kept under
    $SUPERSET_HOME/cache/data), and a publish (the build renamed over serving) shows at once all the same, in
    the figures and in the banner's as-of date, without a restart or a failed query."""
    dashboards = _dashboards(admin)
    chart = _chart_of(admin, dashboards["leadership-weekly"], "weekly_this_week")
    banner = _chart_of(admin, dashboards["leadership-weekly"], "status_banner")
    for chart_id in (chart["id"], banner["id"]):
        _chart_data(admin, chart_id, force=False)
    warm, warm_banner = (_chart_data(admin, chart_id, force=False) for chart_id in (chart["id"], banner["id"]))
    assert _is_cached(warm) and _is_cached(warm_banner)
    assert any((superset.data_dir / "superset" / "cache" / "data").iterdir())
    before, as_of_before = _new_matches(warm), _as_of(warm_banner)
    build = _changed_build(superset.serving, 1000)

    failures: list[str] = []
    seen: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        with superset.client(*ADMIN) as client:
            while not stop.is_set():
                response = _chart_data(client, chart["id"], force=False)
                try:
                    seen.append(_new_matches(response))
                except AssertionError as exc:
                    failures.append(str(exc))

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(2)
    os.replace(build, superset.serving)  # what parkplatform.publish does
    time.sleep(3)
    stop.set()
    poller.join(timeout=60)
    assert not failures, failures[:3]
    assert before in seen and before + 1000 in seen
    assert seen == [before] * seen.count(before) + [before + 1000] * seen.count(before + 1000)  # never back
    after = _chart_data(admin, chart["id"], force=False)
    assert _new_matches(after) == before + 1000
    assert _is_cached(after)  # the poller's requests after the publish filled the cache anew
    assert after.json()["result"][0]["cache_key"] != warm.json()["result"][0]["cache_key"]
    # the banner's as-of date is the published warehouse's, not one written when the dashboards were imported
    assert _as_of(_chart_data(admin, banner["id"], force=False)) == as_of_before + timedelta(days=7)


def _redis_keys(url: str, pattern: str, *, delete: bool = False) -> list[str]:
    """The keys of the Redis at ``url`` that match ``pattern`` (deleted when asked), through the redis client
    of Superset's environment."""
    script = (
        "import redis, sys\n"
        "client = redis.Redis.from_url(sys.argv[1])\n"
        "keys = list(client.scan_iter(match=sys.argv[2]))\n"
        "if keys and sys.argv[3] == 'delete':\n"
        "    client.delete(*keys)\n"
        "print('\\n'.join(key.decode() for key in keys))\n"
    )
    answer = subprocess.run(
        [str(SUPERSET_DIR / ".venv" / "bin" / "python"), "-c", script, url, pattern, "delete" if delete else "keep"],
        capture_output=True,
        text=True,
        check=True,
    )
    return answer.stdout.split()


@contextmanager
def _superset_on_redis(superset: Superset, redis_url: str) -> Iterator[tuple[Superset, str]]:
    """A second Superset (gunicorn as make up starts it) on the same home, metadata and serving warehouse,
    with every cache in Redis under a key prefix of its own (removed afterwards)."""
    port = _free_port()
    prefix = f"park_test_{os.urandom(4).hex()}_"
    env = {**superset.env, "SUPERSET_PORT": str(port), "SUPERSET_REDIS_URL": redis_url,
           "SUPERSET_CACHE_KEY_PREFIX": prefix}  # fmt: skip
    service = dataclasses.replace(services.superset_service(superset.data_dir, port), env=env)
    run_folder = Path(tempfile.mkdtemp(prefix="park-superset-redis-"))  # its pid file and log
    try:
        services.start(service, run_folder)
        services.wait_healthy(service, timeout=180)
        yield dataclasses.replace(superset, base_url=f"http://127.0.0.1:{port}", env=env), prefix
    finally:
        services.stop(run_folder, service.name)
        shutil.rmtree(run_folder, ignore_errors=True)
        _redis_keys(redis_url, f"{prefix}*", delete=True)


def test_on_redis_the_data_cache_serves_warm_and_a_publish_still_shows_at_once(
    superset: Superset, redis_url: str
) -> None:
    """With SUPERSET_REDIS_URL (as in production) chart data is cached in Redis: the second identical request
    is answered from it; after a publish the next request runs the query on the new warehouse, the one after
    is answered from the cache again, with the new figures."""
    with _superset_on_redis(superset, redis_url) as (server, prefix), server.client(*ADMIN) as client:
        chart = _chart_of(client, _dashboards(client)["leadership-weekly"], "weekly_this_week")
        _chart_data(client, chart["id"], force=False)
        warm = _chart_data(client, chart["id"], force=False)
        assert _is_cached(warm)
        assert _redis_keys(redis_url, f"{prefix}data_*")
        before = _new_matches(warm)
        os.replace(_changed_build(superset.serving, 500), superset.serving)
        first, second = (_chart_data(client, chart["id"], force=False) for _ in range(2))
        assert (_new_matches(first), _is_cached(first)) == (before + 500, False)
        assert (_new_matches(second), _is_cached(second)) == (before + 500, True)


FORMULA_PREFIXES = ("=", "+", "-", "@")


def test_csv_and_excel_downloads_neutralise_text_that_starts_like_a_formula(
    superset: Superset, admin: httpx.Client, tmp_path: Path
) -> None:
    """Issue 16: names land as sent, so an enterprise named ``=HYPERLINK(...)`` reaches the marts verbatim;
    what an analyst downloads from a chart (CSV or Excel) must open as text in a spreadsheet, never as a formula.
    The values are built in the chart query from dim_enterprise's real names, each behind one prefix."""
    import csv
    import io

    import fastexcel

    response = admin.get(
        "/api/v1/dataset/",
        params={"q": "(filters:!((col:table_name,opr:eq,value:dim_enterprise)))"},
    )
    dataset_id = response.json()["result"][0]["id"]
    labels = {f"name_{index}": prefix for index, prefix in enumerate(FORMULA_PREFIXES)}
    columns = [
        {"label": label, "expressionType": "SQL", "sqlExpression": f"'{prefix}' || enterprise_name"}
        for label, prefix in labels.items()
    ]
    columns.append({"label": "hyperlink", "expressionType": "SQL",
                    "sqlExpression": "'=HYPERLINK(\"https://example.invalid/\"' || ', \"' || enterprise_name || '\")'"})  # fmt: skip
    labels["hyperlink"] = "="

    def download(result_format: str) -> bytes:
        body = {
            "datasource": {"id": dataset_id, "type": "table"},
            "queries": [{"columns": columns, "metrics": [], "orderby": [], "row_limit": 5}],
            "result_format": result_format,
            "result_type": "full",
        }
        answer = admin.post(
            "/api/v1/chart/data", content=json.dumps(body), headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 200, answer.text[:300]
        return answer.content

    rows = list(csv.DictReader(io.StringIO(download("csv").decode("utf-8-sig")), escapechar="\\"))
    workbook = tmp_path / "download.xlsx"
    workbook.write_bytes(download("xlsx"))
    sheet = fastexcel.read_excel(workbook).load_sheet(0).to_polars()
    for values in ([row for row in rows], sheet.to_dicts()):
        assert len(values) == 5
        for row in values:
            for label, prefix in labels.items():
                assert row[label].startswith("'" + prefix), (label, row[label])
