"""World Bank WDI client and landing, against a loopback mirror serving the real WDI extracts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import polars as pl
import pytest

from extractors.world_bank import contract as world_bank_contract
from extractors.world_bank import extract as world_bank
from extractors.world_bank.extract import RetryPolicy, WdiClient, WdiError
from parkplatform.config import ConfigurationError, get_settings
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE, batch_dir, read_report
from simulators.wdi_api import WdiMirror, read_wdi_csv

LOGICAL_DATE = date(2026, 11, 23)
# fast enough for tests, still exponential: waits of 0.01, 0.02, 0.04 s
FAST = RetryPolicy(attempts=4, wait_initial=0.01, wait_max=0.05, timeout=5.0)


@pytest.fixture
def mirror(reference_dir: Path):
    with WdiMirror(reference_dir) as running:
        yield running


@pytest.fixture
def wdi_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, reference_dir: Path, mirror: WdiMirror) -> WdiMirror:
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    monkeypatch.setenv("PARK_WDI_BASE_URL", mirror.base_url)
    return mirror


def _csv_rows_between(reference_dir: Path, code: str, first: int, last: int) -> pl.DataFrame:
    frame = read_wdi_csv(reference_dir, code)
    return frame.filter(pl.col("Year").cast(pl.Int32).is_between(first, last))


def test_extract_lands_every_indicator_with_exact_real_values(wdi_env, reference_dir):
    report = world_bank.extract(get_settings(), LOGICAL_DATE, first_year=2000, last_year=2023, policy=FAST)

    expected = {
        code: _csv_rows_between(reference_dir, code, 2000, 2023).height for code in world_bank_contract.INDICATORS
    }
    # counted by hand in the CSVs (rows with Year in 2000..2023)
    assert expected == {
        "BX.KLT.DINV.CD.WD": 5810,
        "NY.GDP.MKTP.CD": 6170,
        "NY.GDP.MKTP.KD.ZG": 6096,
        "NY.GDP.PCAP.CD": 6170,
        "SP.POP.TOTL": 6336,
        "PA.NUS.FCRF": 4972,
    }
    assert (report.received, report.landed, report.quarantined) == (35554, 35554, 0)
    assert report.received == sum(counts.received for counts in report.files)

    folder = batch_dir(get_settings().landing_dir, "world_bank", LOGICAL_DATE)
    landed = pl.read_parquet(folder / LANDED_FILE)
    assert landed.group_by("indicator_id").len().sort("indicator_id").rows() == sorted(expected.items())
    assert set(landed.columns) >= {
        "indicator_id",
        "country_iso3",
        "country_name",
        "year",
        "value",
        "_source",
        "_batch_id",
        "_loaded_at",
        "_source_file",
        "_source_row",
    }

    def value(code: str, iso3: str, year: str) -> str:
        row = landed.filter(
            (pl.col("indicator_id") == code) & (pl.col("country_iso3") == iso3) & (pl.col("year") == year)
        )
        assert row.height == 1, (code, iso3, year)
        return row["value"].item()

    # checked by hand in world/wdi/*.csv: China,CHN,2023,...
    assert float(value("NY.GDP.MKTP.CD", "CHN", "2023")) == 18270356654533.2
    assert value("SP.POP.TOTL", "CHN", "2023") == "1410710000"
    assert float(value("PA.NUS.FCRF", "CHN", "2023")) == 7.08399842343631
    assert float(value("BX.KLT.DINV.CD.WD", "CHN", "2022")) == 190203789092.51
    # aggregates come mixed with countries and are kept
    assert landed.filter(pl.col("country_iso3") == "WLD").height > 0
    assert landed.filter(pl.col("country_iso3") == "CHN")["country_name"].unique().to_list() == ["China"]

    # every page is a file of the batch, and each one reconciles
    on_disk = read_report(folder)
    assert len(on_disk.files) == sum(-(-n // world_bank.PER_PAGE) for n in expected.values())
    assert all(f.received == f.landed + f.quarantined for f in on_disk.files)
    assert all("date=2000:2023" in f.source_file and "format=json" in f.source_file for f in on_disk.files)
    assert pl.read_parquet(folder / QUARANTINED_FILE).height == 0


def test_paging_collects_every_row_of_the_date_range(mirror, reference_dir):
    expected = _csv_rows_between(reference_dir, "SP.POP.TOTL", 2010, 2020)
    with WdiClient(mirror.base_url, policy=FAST, per_page=250) as client:
        rows = client.fetch_indicator("SP.POP.TOTL", 2010, 2020)
    assert rows.height == expected.height == 2904
    pages = -(-expected.height // 250)
    assert len(mirror.requests) == pages
    assert rows["_source_file"].n_unique() == pages
    assert (
        rows.select("country_iso3", "year")
        .sort(pl.all())
        .equals(
            expected.select(pl.col("Country Code").alias("country_iso3"), pl.col("Year").alias("year")).sort(pl.all())
        )
    )
    assert rows["year"].cast(pl.Int32).is_between(2010, 2020).all()


@pytest.mark.parametrize("status", ["429", "500"])
def test_transient_http_errors_are_retried_then_succeed(mirror, status):
    mirror.fault(status, times=2)
    with WdiClient(mirror.base_url, policy=FAST, per_page=5000) as client:
        rows = client.fetch_indicator("NY.GDP.MKTP.CD", 2022, 2023)
    assert rows.height > 0
    assert len(mirror.requests) == 3, "two faulty answers, then the page"


def test_a_timeout_is_retried(mirror):
    mirror.fault("slow", times=1, delay=4.0)
    policy = RetryPolicy(attempts=3, wait_initial=0.01, wait_max=0.05, timeout=1.0)
    with WdiClient(mirror.base_url, policy=policy, per_page=5000) as client:
        rows = client.fetch_indicator("NY.GDP.MKTP.CD", 2022, 2023)
    assert rows.height > 0
    assert len(mirror.requests) == 2


def test_a_source_that_stays_down_fails_after_its_retries_naming_indicator_and_url(wdi_env):
    wdi_env.fault("500", times=None)
    with pytest.raises(WdiError) as failure:
        world_bank.extract(get_settings(), LOGICAL_DATE, policy=FAST)
    message = str(failure.value)
    assert "BX.KLT.DINV.CD.WD" in message
    assert f"{wdi_env.base_url}/country/all/indicator/BX.KLT.DINV.CD.WD?format=json" in message
    assert "giving up after 4 attempt(s)" in message and "HTTP 500" in message
    assert len(wdi_env.requests) == FAST.attempts
    assert not batch_dir(get_settings().landing_dir, "world_bank", LOGICAL_DATE).exists(), "nothing lands"


def test_the_invalid_value_message_is_an_error_not_an_empty_load(wdi_env):
    wdi_env.fault("invalid")
    with pytest.raises(WdiError, match=r"rejected .*120 Invalid value: The provided parameter value is not valid"):
        world_bank.extract(get_settings(), LOGICAL_DATE, policy=FAST)
    assert len(wdi_env.requests) == 1, "a refusal is not retried"
    assert not batch_dir(get_settings().landing_dir, "world_bank", LOGICAL_DATE).exists()


def test_an_unknown_indicator_is_refused_by_the_api(mirror):
    with WdiClient(mirror.base_url, policy=FAST) as client, pytest.raises(WdiError, match="XX.NOT.REAL.*Invalid value"):
        client.fetch_indicator("XX.NOT.REAL", 2000, 2023)


@pytest.mark.parametrize(("mode", "says"), [("malformed", "is not JSON"), ("not_wdi", "is not \\[meta, rows\\]")])
def test_a_malformed_payload_raises_naming_the_url(mirror, mode, says):
    mirror.fault(mode)
    with WdiClient(mirror.base_url, policy=FAST) as client, pytest.raises(WdiError, match=says) as failure:
        client.fetch_indicator("SP.POP.TOTL", 2000, 2023)
    assert f"{mirror.base_url}/country/all/indicator/SP.POP.TOTL?format=json" in str(failure.value)


def test_a_client_error_is_not_retried(mirror):
    with WdiClient(mirror.base_url + "/missing", policy=FAST) as client, pytest.raises(WdiError, match="HTTP 404"):
        client.fetch_indicator("SP.POP.TOTL", 2000, 2023)
    assert len(mirror.requests) == 1


def _mock_client(pages: dict[int, object]) -> WdiClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps(pages[int(request.url.params["page"])]).encode())

    return WdiClient("http://wdi.invalid/v2", policy=FAST, transport=httpx.MockTransport(answer))


def _api_row(**overrides) -> dict:
    row = {
        "indicator": {"id": "SP.POP.TOTL", "value": "Population, total"},
        "country": {"id": "1A", "value": "Arab World"},
        "countryiso3code": "ARB",
        "date": "2023",
        "value": 482105781,
        "unit": "",
        "obs_status": "",
        "decimal": 0,
    }
    return {**row, **overrides}


def test_meta_that_disagrees_with_the_rows_received_raises():
    meta = {"page": 1, "pages": 1, "per_page": 50, "total": 3}
    client = _mock_client({1: [meta, [_api_row(), _api_row(date="2022")]]})
    with client, pytest.raises(WdiError, match="announced 3 rows over 1 page\\(s\\), received 2"):
        client.fetch_indicator("SP.POP.TOTL", 2000, 2023)


def test_each_row_rule_quarantines_with_its_reason():
    rows = [
        _api_row(),
        _api_row(value=None, date="2022"),  # no observation: landed as null
        _api_row(countryiso3code=""),
        _api_row(countryiso3code="A1"),
        _api_row(date="20X3"),
        _api_row(date=None),
        _api_row(date="1999"),
        _api_row(value="n/a"),
        _api_row(indicator={"id": "NY.GDP.MKTP.CD", "value": "GDP"}),
        _api_row(value=1.5e-7, date="2021"),
    ]
    meta = {"page": 1, "pages": 1, "per_page": 50, "total": len(rows)}
    with _mock_client({1: [meta, rows]}) as client:
        received = client.fetch_indicator("SP.POP.TOTL", 2000, 2023)
    checked = world_bank.validate(received, 2000, 2023)
    assert checked["_reject_reason"].to_list() == [
        None,
        None,
        "country_iso3 (countryiso3code) is missing",
        "country_iso3 (countryiso3code) is not 3 upper-case letters or digits",
        "year (date) is not a 4-digit year",
        "year (date) is missing",
        "year (date) is outside the requested range 2000:2023",
        "value is not a number",
        "indicator_id (indicator.id) is not the requested indicator",
        None,
    ]
    assert checked["value"].to_list()[:2] == ["482105781", None]
    assert checked["value"][9] == "1.5e-07"
    assert checked["_source_row"].to_list() == list(range(1, 11))


def test_an_empty_answer_is_an_empty_frame_not_an_error():
    with _mock_client({1: [{"page": 1, "pages": 0, "per_page": 50, "total": 0}, None]}) as client:
        rows = client.fetch_indicator("SP.POP.TOTL", 2030, 2031)
    assert rows.height == 0
    assert "country_iso3" in rows.columns


def test_base_url_comes_from_the_environment(monkeypatch, data_dir):
    monkeypatch.delenv("PARK_WDI_BASE_URL", raising=False)
    assert get_settings().wdi_base_url == "https://api.worldbank.org/v2"
    monkeypatch.setenv("PARK_WDI_BASE_URL", "http://127.0.0.1:8080/v2/")
    assert get_settings().wdi_base_url == "http://127.0.0.1:8080/v2"
    monkeypatch.setenv("PARK_WDI_BASE_URL", "api.worldbank.org")
    with pytest.raises(ConfigurationError, match="PARK_WDI_BASE_URL"):
        get_settings()
