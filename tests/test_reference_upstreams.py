"""`park reference fetch`: the reference data from its real upstreams, against loopback servers.

The files server serves hand-made files in the UPSTREAM layouts (tests/fixtures/reference_upstreams/<host>/<path>:
an enriched.csv with the catalogue extract's 47 columns, modood's dist/*.csv, chinaview's GB/T 4754 files,
datahub's country-codes.csv, an NBS .xls export), the WDI mirror of simulators.wdi_api the World Bank API's JSON
made of small hand-made extracts (fixtures/reference_upstreams/wdi). The fetched folder is read by the
platform's own readers; the cache, the checksums, the retries and the command line are checked on it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import unquote, urlsplit

import polars as pl
import pytest
from rich.console import Console

from extractors.nbs_province_gdp import extract as nbs_province_gdp
from extractors.reference_tables import extract as reference_tables
from extractors.world_bank import extract as world_bank
from park import demo
from park.reference import (
    MANIFEST,
    PROVENANCE_FILE,
    UPSTREAMS,
    ChecksumMismatchError,
    ReferenceFetchError,
    Trust,
    UpstreamFile,
    fetch_reference,
)
from parkplatform import catalogue
from parkplatform.config import REPO_ROOT, ConfigurationError, get_settings
from parkplatform.http import RetryPolicy
from parkplatform.landing import REJECT_REASON
from simulators.loopback import LoopbackServer
from simulators.wdi_api import WdiMirror, read_wdi_csv

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "reference_upstreams"
FAST = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.02, timeout=5.0)
# the declaration with the real pinned digests taken off: the hand-made files are not the real ones
UNPINNED = tuple(replace(one, sha256=None) if isinstance(one, UpstreamFile) else one for one in UPSTREAMS)
FILES = [one for one in UPSTREAMS if isinstance(one, UpstreamFile)]
CATALOGUE_UPSTREAM = next(one for one in FILES if one.target == catalogue.CATALOGUE_FILE)
PROVINCES_UPSTREAM = next(one for one in FILES if one.target == reference_tables.PROVINCES_FILE)
PARK = Path(sys.executable).parent / "park"


def _path_of(upstream: UpstreamFile) -> str:
    """The request path of a file on the mirror: /<host>/<path> of its public address."""
    parts = urlsplit(upstream.url)
    return f"/{parts.netloc}{unquote(parts.path)}"


def _fixture(upstream: UpstreamFile) -> bytes:
    return (FIXTURES / _path_of(upstream).lstrip("/")).read_bytes()


@dataclass
class _FilesState:
    files: dict[str, bytes]
    requests: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses answered, one per request, before serving
    lock: threading.Lock = field(default_factory=threading.Lock)


class _FilesHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        state = self.server.state
        path = unquote(urlsplit(self.path).path)
        with state.lock:
            state.requests.append(path)
            status = state.failures.pop(0) if state.failures else None
            body = state.files.get(path)
        if status is None and body is None:
            status = 404
        payload = body if status is None else f"HTTP {status}".encode()
        self.send_response(status or 200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FilesMirror(LoopbackServer):
    """A loopback mirror of the upstream files: GET /<host>/<path> answers the bytes given for that path."""

    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__(_FilesHandler, _FilesState(files), "reference-files-mirror")

    @property
    def base_url(self) -> str:
        return self.address

    def fail(self, status: int, times: int) -> None:
        with self.state.lock:
            self.state.failures.extend([status] * times)


@pytest.fixture
def upstreams(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Iterator[tuple[FilesMirror, WdiMirror]]:
    """The hand-made upstream files and WDI extracts on loopback, the settings pointed at them."""
    with FilesMirror({_path_of(one): _fixture(one) for one in FILES}) as files, WdiMirror(FIXTURES / "wdi") as wdi:
        monkeypatch.setenv("PARK_REFERENCE_UPSTREAM_URL", files.base_url)
        monkeypatch.setenv("PARK_WDI_BASE_URL", wdi.base_url)
        monkeypatch.setenv("PARK_REFERENCE_DIR", "")  # blank is unset, and restored after the test
        yield files, wdi


def _partial_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.name.endswith(".partial") or path.name.startswith(".reference")]


def test_the_declaration_names_each_file_of_the_reference_layout_once():
    targets = [str(one.target) for one in UPSTREAMS]
    assert len(targets) == len(set(targets)) == 14
    assert "parks/development_zones_2018.csv" in targets and "china/province_gdp_annual.xls" in targets
    assert {f"world/wdi/{code.lower()}.csv" for code in world_bank.INDICATORS} <= set(targets)
    assert all(one.url.startswith("https://raw.githubusercontent.com/") for one in FILES)
    # the catalogue extract keeps 14 of its 47 columns, in the platform's order
    assert CATALOGUE_UPSTREAM.keep_columns == tuple(catalogue.CATALOGUE_COLUMNS) and CATALOGUE_UPSTREAM.sha256 is None


def test_pinned_digests_are_those_of_the_offline_mirror(reference_dir):
    """The offline mirror holds byte-identical copies of the pinned upstream files (taken at the pinned commits)."""
    pinned = [one for one in FILES if one.sha256]
    assert len(pinned) == 7
    for one in pinned:
        assert hashlib.sha256((reference_dir / one.target).read_bytes()).hexdigest() == one.sha256, one.target


def test_fetch_assembles_a_folder_the_readers_accept_with_exact_rows(upstreams):
    settings = get_settings()
    report = fetch_reference(settings, upstreams=UNPINNED, policy=FAST)
    folder = settings.upstream_reference_dir
    assert report.reference_dir == folder and report.downloaded == 14
    assert {one.trust for one in report.files} == {Trust.first_use, Trust.live_api}

    # the catalogue: the 14 kept columns in order, values as sent (a quoted comma stays quoted), 3 rows
    text = (folder / catalogue.CATALOGUE_FILE).read_text(encoding="utf-8").splitlines()
    assert text[0] == ",".join(catalogue.CATALOGUE_COLUMNS)
    assert text[1] == (
        '7,G121002,测试经济技术开发区,天津市,测试,国务院,经济技术开发区,1984.12,3300.5,"电子信息,装备制造",'
        "117.7,39.01,天津市滨海新区测试经济技术开发区,ok"
    )
    registry = catalogue.validate(catalogue.read_catalogue(folder))
    assert registry.select("zone_code", "approval_date_raw", "longitude_raw", "data_origin", REJECT_REASON).rows() == [
        ("G121002", "1984.12", "117.7", "catalogue_2018", None),
        ("S127001", "2000.04/2002.12", None, "catalogue_2018", None),
        ("X1", "1992.1", "116.39", "catalogue_2018", "zone_code (代码) is not G or S followed by 6 digits"),
    ]

    # GB/T 2260, GB/T 4754 with its crosswalk, ISO 3166: the files as sent, through the source's rules
    for one in FILES[1:7]:
        assert (folder / one.target).read_bytes() == _fixture(one), one.target
    tables = reference_tables.read_reference_tables(folder)
    rejected = tables.filter(pl.col(REJECT_REASON).is_not_null())
    assert rejected.select("reference_table", "code", REJECT_REASON).sort("code").rows() == [
        (
            "gbt4754_2017_isic4",
            "0111",
            "(GB/T 4754-2017 (code), ISIC Rev.4 (code)) pair repeats an earlier row of the crosswalk",
        ),
        ("gbt2260_admin_divisions", "120199", "province_code (provinceCode) is not the first 2 digits of the code"),
        ("gbt2260_admin_divisions", "1302", "parent_code (provinceCode) is not a landed province of provinces.csv"),
    ]
    landed = tables.filter(pl.col(REJECT_REASON).is_null()).group_by("reference_table").len()
    assert dict(landed.rows()) == {
        "gbt2260_admin_divisions": 6,  # 2 provinces, 2 prefectures, 2 counties
        "gbt4754_2017": 7,
        "gbt4754_2017_isic4": 2,
        "iso3166_countries": 3,
    }
    countries = tables.filter(pl.col("reference_table") == "iso3166_countries")
    assert countries.select("code", "name_cn", "m49_code", "currency_codes").rows() == [
        ("CHN", "中国", "156", "CNY"),
        ("DEU", "德国", "276", "EUR"),
        ("BTN", "不丹", "64", "INR,BTN"),
    ]

    # the NBS export (BIFF .xls, as sent): 100 million yuan to yuan, an unknown region quarantined
    gdp = nbs_province_gdp.validate(nbs_province_gdp.read_export(nbs_province_gdp.workbook_path(folder)))
    assert gdp.select("province_name_en", "year", "gdp_cny", REJECT_REASON).rows() == [
        ("Beijing", "2023", 4_376_070_000_000.0, None),
        ("Tianjin", "2023", 1_673_730_000_000.0, None),
        ("Atlantis", "2023", 150_000_000.0, "province_name_en (Region) does not map to a GB/T 2260 province"),
        ("Beijing", "2022", 4_154_090_000_000.0, None),
        ("Tianjin", "2022", 1_613_220_000_000.0, None),
        ("Atlantis", "2022", None, "province_name_en (Region) does not map to a GB/T 2260 province"),
    ]

    # WDI: from the API's JSON to the mirror's long layout, then served and landed by the world_bank source
    population = read_wdi_csv(folder, "SP.POP.TOTL")
    assert population.rows() == [
        ("China", "CHN", "2023", "1410710000"),
        ("China", "CHN", "1960", "667070000"),
        ("Germany", "DEU", "2023", "84482267"),
    ]
    with WdiMirror(folder) as served:
        indicators = world_bank.validate(
            world_bank.read_indicators(served.base_url, 1960, 2024, policy=FAST), 1960, 2024
        )
    assert indicators.height == 16 and indicators[REJECT_REASON].null_count() == 16
    fdi = indicators.filter((pl.col("indicator_id") == "BX.KLT.DINV.CD.WD") & (pl.col("country_iso3") == "DEU"))
    assert fdi.select("year", "value").rows() == [("2023", "36700000000.5")]

    # where each file came from, beside the files
    provenance = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    assert provenance["parks/development_zones_2018.csv"]["url"] == CATALOGUE_UPSTREAM.source_url(settings)
    assert provenance["parks/development_zones_2018.csv"]["trust"] == "first use"
    assert provenance["world/wdi/sp.pop.totl.csv"]["trust"] == "live API"


def test_a_second_fetch_downloads_nothing_and_a_lost_file_alone_is_fetched_again(upstreams):
    files, wdi = upstreams
    settings = get_settings()
    fetch_reference(settings, upstreams=UNPINNED, policy=FAST)
    before = {path: path.read_bytes() for path in settings.upstream_reference_dir.rglob("*") if path.is_file()}
    files_requests, wdi_requests = len(files.requests), len(wdi.requests)
    assert files_requests == 8 and wdi_requests == 6  # one request per file, one page per indicator

    again = fetch_reference(settings, upstreams=UNPINNED, policy=FAST)
    assert (len(files.requests), len(wdi.requests)) == (files_requests, wdi_requests), "nothing downloaded"
    assert again.downloaded == 0 and {one.status for one in again.files} == {"cached"}
    after = {path: path.read_bytes() for path in settings.upstream_reference_dir.rglob("*") if path.is_file()}
    assert {path: data for path, data in after.items() if path.name != PROVENANCE_FILE} == {
        path: data for path, data in before.items() if path.name != PROVENANCE_FILE
    }

    # a cached file that went missing, or was damaged, is fetched again, and only it
    (settings.reference_cache_dir / PROVINCES_UPSTREAM.cache_key).unlink()
    (settings.reference_cache_dir / CATALOGUE_UPSTREAM.cache_key).write_bytes(b"damaged")
    third = fetch_reference(settings, upstreams=UNPINNED, policy=FAST)
    assert [str(one.target) for one in third.files if one.status == "downloaded"] == [
        "parks/development_zones_2018.csv",
        "admin_divisions/provinces.csv",
    ]
    assert files.requests[files_requests:] == [_path_of(CATALOGUE_UPSTREAM), _path_of(PROVINCES_UPSTREAM)]


def test_a_pinned_checksum_mismatch_fails_naming_file_url_and_digests_and_writes_nothing(upstreams):
    settings = get_settings()
    wrong = "0" * 64
    declaration = tuple(
        replace(one, sha256=wrong) if one == replace(PROVINCES_UPSTREAM, sha256=None) else one for one in UNPINNED
    )
    with pytest.raises(ChecksumMismatchError) as failure:
        fetch_reference(settings, upstreams=declaration, policy=FAST)
    actual = hashlib.sha256(_fixture(PROVINCES_UPSTREAM)).hexdigest()
    message = str(failure.value)
    assert message.startswith("admin_divisions/provinces.csv: the download of ")
    assert PROVINCES_UPSTREAM.source_url(settings) in message
    assert f"has SHA-256 {actual}, expected {wrong} (pinned)" in message
    assert not (settings.reference_cache_dir / PROVINCES_UPSTREAM.cache_key).exists()
    assert not settings.upstream_reference_dir.exists(), "no reference folder from a failed fetch"
    assert _partial_files(settings.data_dir) == []


def test_a_changed_upstream_is_refused_against_the_digest_recorded_on_first_use(upstreams):
    files, _ = upstreams
    settings = get_settings()
    fetch_reference(settings, upstreams=UNPINNED, policy=FAST)
    manifest = json.loads((settings.reference_cache_dir / MANIFEST).read_text(encoding="utf-8"))["files"]
    recorded = manifest[CATALOGUE_UPSTREAM.cache_key]
    assert (
        recorded["trust"] == "first use"
        and recorded["sha256"] == hashlib.sha256(_fixture(CATALOGUE_UPSTREAM)).hexdigest()
    )
    kept = (settings.upstream_reference_dir / catalogue.CATALOGUE_FILE).read_bytes()

    files.state.files[_path_of(CATALOGUE_UPSTREAM)] = _fixture(CATALOGUE_UPSTREAM).replace(b"3300.5", b"9999.9")
    with pytest.raises(ChecksumMismatchError, match=f"expected {recorded['sha256']} \\(first use\\)"):
        fetch_reference(settings, upstreams=UNPINNED, policy=FAST, refresh=True)
    assert (settings.reference_cache_dir / CATALOGUE_UPSTREAM.cache_key).read_bytes() == _fixture(CATALOGUE_UPSTREAM)
    assert (settings.upstream_reference_dir / catalogue.CATALOGUE_FILE).read_bytes() == kept, "previous folder kept"
    assert _partial_files(settings.data_dir) == []


def test_a_server_error_is_retried_then_reported_with_the_url(upstreams):
    files, _ = upstreams
    settings = get_settings()
    files.fail(500, times=2)
    report = fetch_reference(settings, upstreams=UNPINNED, policy=FAST)
    assert report.downloaded == 14
    assert files.requests[:3] == [_path_of(CATALOGUE_UPSTREAM)] * 3, "two HTTP 500, then the file"

    files.fail(503, times=FAST.attempts)
    with pytest.raises(ReferenceFetchError) as failure:
        fetch_reference(settings, upstreams=UNPINNED, policy=FAST, refresh=True)
    message = str(failure.value)
    url = CATALOGUE_UPSTREAM.source_url(settings)
    assert message.startswith(f"parks/development_zones_2018.csv: could not fetch {url}: giving up after 3 attempt(s)")
    assert "HTTP 503" in message
    assert _partial_files(settings.data_dir) == []


def test_an_upstream_without_a_kept_column_is_refused_naming_it(upstreams):
    files, _ = upstreams
    files.state.files[_path_of(CATALOGUE_UPSTREAM)] = _fixture(CATALOGUE_UPSTREAM).replace(
        b"\xe7\x8a\xb6\xe6\x80\x81", b"status"
    )
    with pytest.raises(ReferenceFetchError, match=r"lacks the column\(s\) 状态 \(found: 序号, 代码,"):
        fetch_reference(get_settings(), upstreams=UNPINNED, policy=FAST)


def _park(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", **env}
    return subprocess.run([str(PARK), *args], capture_output=True, text=True, timeout=300, check=False, env=environment)


def test_the_command_fetches_with_the_real_declaration_then_reuses_its_cache(reference_dir, tmp_path):
    """`park reference fetch` with the pinned digests: the mirror serves the real pinned files (read from the
    offline mirror at test time), the hand-made catalogue extract and WDI extracts."""
    served = {_path_of(one): (reference_dir / one.target).read_bytes() for one in FILES if one.sha256}
    served[_path_of(CATALOGUE_UPSTREAM)] = _fixture(CATALOGUE_UPSTREAM)
    with FilesMirror(served) as files, WdiMirror(FIXTURES / "wdi") as wdi:
        env = {
            "PARK_DATA_DIR": str(tmp_path / "data"),
            "PARK_REFERENCE_UPSTREAM_URL": files.base_url,
            "PARK_WDI_BASE_URL": wdi.base_url,
        }
        first = _park("reference", "fetch", **env)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "14 of 14 file(s) downloaded" in first.stdout
        assert "admin_divisions/areas.csv" in first.stdout and "pinned" in first.stdout
        assert f"PARK_REFERENCE_DIR={tmp_path / 'data' / 'reference-upstream'}" in first.stdout
        second = _park("reference", "fetch", **env)
        assert second.returncode == 0 and "0 of 14 file(s) downloaded" in second.stdout
        assert len(files.requests) == 8 and len(wdi.requests) == 6
    areas = tmp_path / "data" / "reference-upstream" / reference_tables.AREAS_FILE
    assert areas.read_bytes() == (reference_dir / reference_tables.AREAS_FILE).read_bytes()


def test_the_command_reports_a_refused_file_and_exits_non_zero(tmp_path):
    """The hand-made files are not the pinned real ones: the first pinned file is refused, by name and digest."""
    with FilesMirror({_path_of(one): _fixture(one) for one in FILES}) as files:
        result = _park(
            "reference",
            "fetch",
            PARK_DATA_DIR=str(tmp_path / "data"),
            PARK_REFERENCE_UPSTREAM_URL=files.base_url,
            PARK_WDI_BASE_URL=f"{files.base_url}/no-wdi-here",  # never the real API from a test
        )
    assert result.returncode == 1
    output = " ".join((result.stdout + result.stderr).split())  # rich wraps long lines
    assert "reference fetch failed" in output and "Traceback" not in output
    assert "admin_divisions/provinces.csv: the download of" in output
    assert f"expected {PROVINCES_UPSTREAM.sha256} (pinned)" in output
    assert not (tmp_path / "data" / "reference-upstream").exists()


def test_the_help_says_where_files_go_and_how_to_mirror_them():
    result = _park("reference", "fetch", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "cache/reference/" in text and "reference-upstream/" in text and "PARK_REFERENCE_UPSTREAM_URL" in text


def test_python_m_park_reference_takes_the_same_subcommand():
    module = [sys.executable, "-m", "park.reference", "--help"]
    result = subprocess.run(module, capture_output=True, text=True, timeout=120, check=False, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    assert "Usage: python -m park.reference [OPTIONS] COMMAND [ARGS]" in result.stdout and "fetch" in result.stdout


def test_the_mirror_setting_must_be_a_url(monkeypatch):
    monkeypatch.setenv("PARK_REFERENCE_UPSTREAM_URL", "files.example.org")
    with pytest.raises(ConfigurationError, match="PARK_REFERENCE_UPSTREAM_URL='files.example.org': expected an http"):
        get_settings()


# --- the demo's choice of reference folder -------------------------------------------------------------------


def test_without_reference_dir_the_demo_fetches_the_upstreams(reference_dir, upstreams):
    files, _ = upstreams
    files.state.files.update({_path_of(one): (reference_dir / one.target).read_bytes() for one in FILES if one.sha256})
    console = Console(record=True, width=200)
    chosen = demo.ensure_reference(get_settings(), console)
    assert chosen == get_settings().upstream_reference_dir and os.environ["PARK_REFERENCE_DIR"] == str(chosen)
    assert len(files.requests) == 8 and "14 of 14 file(s) downloaded" in console.export_text()
    assert get_settings().reference_dir == chosen  # the run's sources read it


def test_the_demo_goes_on_with_generated_data_when_the_network_fails_and_says_what_to_do(upstreams, monkeypatch):
    files, _ = upstreams
    files.fail(503, times=1)
    monkeypatch.setenv("PARK_HTTP_ATTEMPTS", "1")
    monkeypatch.setenv("PARK_SCALE", "tiny")
    console = Console(record=True, width=400)
    chosen = demo.ensure_reference(get_settings(), console)
    output = console.export_text()
    assert chosen == get_settings().data_dir / demo.GENERATED_REFERENCE and (chosen / "generated.json").is_file()
    assert "Could not fetch the real reference data: parks/development_zones_2018.csv: could not fetch" in output
    assert "HTTP 503" in output and "PARK_REFERENCE_SOURCE=generated" in output and "`park reference fetch`" in output


def test_the_demo_refuses_a_download_that_fails_its_checksum(upstreams):
    """The hand-made provinces.csv is not the pinned real one: the demo stops instead of using it."""
    with pytest.raises(ChecksumMismatchError, match="admin_divisions/provinces.csv"):
        demo.ensure_reference(get_settings(), Console(record=True))
    assert not get_settings().upstream_reference_dir.exists()


def test_generated_reference_when_asked_tries_no_network(upstreams, monkeypatch):
    files, wdi = upstreams
    monkeypatch.setenv("PARK_REFERENCE_SOURCE", "generated")
    monkeypatch.setenv("PARK_SCALE", "tiny")
    chosen = demo.ensure_reference(get_settings(), Console(record=True))
    assert (chosen / "generated.json").is_file()
    assert files.requests == [] and wdi.requests == []
