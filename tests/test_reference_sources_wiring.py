"""The WDI, NBS and reference-table sources wired into the platform: their SourceSpecs, their
normalisers, the empty tables of a run without a reference folder, and the demo's WDI mirror."""

from __future__ import annotations

import os
from datetime import date

import httpx
import polars as pl
import pytest

from extractors.nbs_province_gdp import extract as nbs_province_gdp
from extractors.reference_tables import extract as reference_tables
from extractors.world_bank import extract as world_bank
from extractors.world_bank.extract import RetryPolicy
from park.runs import wdi_served_from_reference
from parkplatform import pipeline
from parkplatform.config import get_settings
from parkplatform.landing import batch_dir
from parkplatform.normalise import normalise_batch, normalise_empty
from parkplatform.sources import runnable_sources, skipped_sources, source_spec
from simulators.reference import write_generated_reference
from simulators.sources import write_sources

DAY = date(2026, 11, 23)
FAST = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.02, timeout=10.0)
REFERENCE_SOURCES = {"world_bank", "nbs_province_gdp", "reference_tables"}


def test_the_three_sources_are_specified_with_their_cadence_and_need_the_reference_folder():
    assert {name: source_spec(name).schedule for name in REFERENCE_SOURCES} == {
        "world_bank": "@weekly",
        "nbs_province_gdp": "@monthly",
        "reference_tables": "@monthly",
    }
    assert {name: source_spec(name).extract for name in REFERENCE_SOURCES} == {
        "world_bank": "extractors.world_bank.extract:extract",
        "nbs_province_gdp": "extractors.nbs_province_gdp.extract:extract",
        "reference_tables": "extractors.reference_tables.extract:extract",
    }
    assert {spec.name for spec in skipped_sources(has_reference=False)} == REFERENCE_SOURCES
    assert {spec.name for spec in runnable_sources(has_reference=False)} == {
        "park_registry",
        "park_submissions",
        "alliance_members",
        "intake_receipts",
        "crm_projects",
        "crm_match_events",
        "crm_payments",
    }
    assert skipped_sources(has_reference=True) == ()


def test_demo_mirror_serves_wdi_from_the_reference_folder_only_for_the_run(monkeypatch, data_dir, reference_dir):
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    monkeypatch.delenv("PARK_WDI_BASE_URL", raising=False)
    with wdi_served_from_reference() as base_url:
        assert base_url is not None and base_url.startswith("http://127.0.0.1:")
        assert os.environ["PARK_WDI_BASE_URL"] == base_url == get_settings().wdi_base_url
        answer = httpx.get(f"{base_url}/country/all/indicator/SP.POP.TOTL?format=json&per_page=5&page=1&date=2023:2023")
        meta, rows = answer.json()
        assert meta["total"] > 200 and len(rows) == 5
    assert "PARK_WDI_BASE_URL" not in os.environ
    with pytest.raises(httpx.TransportError):  # the mirror is stopped
        httpx.get(f"{base_url}/country/all/indicator/SP.POP.TOTL?format=json", timeout=2.0)


def test_demo_mirror_is_not_started_with_an_explicit_url_or_without_a_reference_folder(monkeypatch, reference_dir):
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    monkeypatch.setenv("PARK_WDI_BASE_URL", "https://api.worldbank.org/v2")
    with wdi_served_from_reference() as base_url:
        assert base_url is None and os.environ["PARK_WDI_BASE_URL"] == "https://api.worldbank.org/v2"
    monkeypatch.delenv("PARK_WDI_BASE_URL")
    monkeypatch.delenv("PARK_REFERENCE_DIR")
    with wdi_served_from_reference() as base_url:
        assert base_url is None and "PARK_WDI_BASE_URL" not in os.environ


@pytest.fixture(scope="module")
def landed(tmp_path_factory, reference_dir):
    """The three sources landed once from the real reference data (WDI through the demo's mirror)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(tmp_path_factory.mktemp("wiring") / "data"))
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        patch.delenv("PARK_WDI_BASE_URL", raising=False)
        with wdi_served_from_reference():
            reports = {"world_bank": world_bank.extract(get_settings(), DAY, policy=FAST)}
        reports["nbs_province_gdp"] = nbs_province_gdp.extract(get_settings(), DAY)
        reports["reference_tables"] = reference_tables.extract(get_settings(), DAY)
        yield get_settings(), reports


def _normalised(settings, source: str) -> pl.DataFrame:
    path = normalise_batch(
        source_spec(source), [batch_dir(settings.landing_dir, source, DAY)], settings.normalised_dir
    )[source]
    return pl.read_parquet(path)


def test_wdi_landed_2000_to_the_logical_year_and_normalised_typed(landed):
    settings, reports = landed
    # rows with Year in 2000..2026 of the six real CSVs: 6052 + 6648 + 6574 + 6648 + 6864 + 5324
    assert (reports["world_bank"].received, reports["world_bank"].landed, reports["world_bank"].quarantined) == (
        38110,
        38110,
        0,
    )
    frame = _normalised(settings, "world_bank")
    assert frame.height == 38110
    assert frame.schema["value"] == pl.Float64 and frame.schema["year"] == pl.Int32
    assert frame.select("indicator_id", "country_iso3", "year").is_duplicated().sum() == 0
    china = frame.filter(
        (pl.col("indicator_id") == "NY.GDP.MKTP.CD") & (pl.col("country_iso3") == "CHN") & (pl.col("year") == 2023)
    )
    assert china["value"].to_list() == [18270356654533.2]


def test_nbs_normalised_in_yuan_with_exact_published_figures(landed):
    settings, reports = landed
    assert (reports["nbs_province_gdp"].received, reports["nbs_province_gdp"].landed) == (620, 620)
    frame = _normalised(settings, "nbs_province_gdp")
    assert frame.height == 620 and frame.schema["year"] == pl.Int32 and frame.schema["gdp_cny"] == pl.Float64
    beijing = frame.filter((pl.col("province_adcode") == "110000") & (pl.col("year") == 2023)).row(0, named=True)
    assert beijing["gdp_cny"] == 4_376_070_000_000.0
    assert str(beijing["gdp_100m_cny"]) == "43760.700000"


def test_reference_tables_normalised_long_with_6_digit_adcodes(landed):
    settings, reports = landed
    assert (
        reports["reference_tables"].received,
        reports["reference_tables"].landed,
        reports["reference_tables"].quarantined,
    ) == (7051, 7044, 7)
    frame = _normalised(settings, "reference_tables")
    assert frame.height == 7044

    def division(code: str) -> tuple:
        return frame.filter(pl.col("code") == code).select("adcode", "province_code", "level").row(0)

    assert division("11") == ("110000", "11", "province")
    assert division("1301") == ("130100", "13", "prefecture")
    assert division("110101") == ("110101", "11", "county")
    industry = frame.filter(pl.col("reference_table") != "gbt2260_admin_divisions")
    assert industry["adcode"].null_count() == industry.height
    assert industry["province_code"].null_count() == industry.height

    # countries: the M49 code in its 3-digit form, the other columns as landed
    countries = frame.filter(pl.col("reference_table") == "iso3166_countries")
    assert countries.height == 249 and countries["m49_code"].str.len_chars().unique().to_list() == [3]

    def country(code: str) -> tuple:
        found = countries.filter(pl.col("code") == code)
        return found.select("m49_code", "name", "name_cn", "un_region", "un_sub_region", "currency_codes").row(0)

    assert country("AFG") == ("004", "Afghanistan", "阿富汗", "Asia", "Southern Asia", "AFN")
    assert country("EGY") == ("818", "Egypt", "埃及", "Africa", "Northern Africa", "EGP")
    assert country("CHN") == ("156", "China", "中国", "Asia", "Eastern Asia", "CNY")
    other = frame.filter(pl.col("reference_table") != "iso3166_countries")
    assert other.select("name_cn", "m49_code", "un_region", "currency_codes").null_count().row(0) == (other.height,) * 4


def test_without_a_reference_folder_the_three_load_as_empty_tables_with_their_columns(
    landed, monkeypatch, data_dir, tmp_path
):
    settings, _ = landed
    for source in REFERENCE_SOURCES:
        empty = pl.read_parquet(normalise_empty(source_spec(source), tmp_path / "empty")[source])
        assert empty.height == 0
        assert empty.schema == _normalised(settings, source).schema, source

    # The other sources landed from a generated reference folder (no registry is generated without
    # one any more); a transform without PARK_REFERENCE_DIR then loads the three as empty tables.
    monkeypatch.setenv("PARK_SCALE", "tiny")
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(write_generated_reference(tmp_path / "generated", 20, 20180101)))
    write_sources(get_settings(), DAY)
    for spec in runnable_sources(has_reference=False):
        pipeline.extract(spec.name, DAY)
    monkeypatch.delenv("PARK_REFERENCE_DIR")
    with pytest.raises(FileNotFoundError, match="PARK_REFERENCE_DIR is not set"):
        pipeline.extract("park_registry", DAY)
    counts = pipeline.load_build(DAY, pipeline.normalise(DAY))
    assert {source: counts[source] for source in REFERENCE_SOURCES} == dict.fromkeys(REFERENCE_SOURCES, 0)
    assert counts["park_registry"] == 20
