"""The generated reference folder (simulators.reference): written deterministically, atomically and
idempotently, in the real files' layouts, so that every reference extractor lands all of it through
the same code as the real data (no real reference data needed here)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from extractors.crm import contract as crm
from extractors.nbs_province_gdp import extract as nbs_province_gdp
from extractors.park_registry import extract as park_registry
from extractors.reference_tables import extract as reference_tables
from extractors.world_bank import contract as world_bank_contract
from extractors.world_bank import extract as world_bank
from extractors.world_bank.extract import RetryPolicy
from parkplatform import catalogue
from parkplatform.config import REPO_ROOT, get_settings
from parkplatform.landing import LANDED_FILE, batch_dir
from parkplatform.origin import GENERATED_MARKER, is_generated
from parkplatform.registry_enrichment import flag_suspect_geocodes, registry_frame
from simulators import crm as crm_generator
from simulators import submissions as generator
from simulators.reference import write_generated_reference
from simulators.wdi_api import WdiMirror

DAY = date(2026, 11, 23)
PARKS, SEED, LAST_YEAR = 20, 20180101, 2026
FAST = RetryPolicy(attempts=2, wait_initial=0.01, wait_max=0.02, timeout=10.0)
YEARS = list(range(2000, LAST_YEAR + 1))
# 27 provinces x 3 cities and the 4 municipalities' 市辖区; 3 county-level units per city, 6 districts per 市辖区
PROVINCES, CITIES, COUNTIES = 31, 27 * 3 + 4, 27 * 3 * 3 + 4 * 6
SEEDS = REPO_ROOT / "dbt_project" / "seeds"
# GB/T 4754-2017: the first division of each section (01-05 A, 06-12 B, 13-43 C, ...)
SECTION_STARTS = {"A": 1, "B": 6, "C": 13, "D": 44, "E": 47, "F": 51, "G": 53, "H": 61, "I": 63, "J": 66, "K": 70}
SECTION_STARTS |= {"L": 71, "M": 73, "N": 76, "O": 80, "P": 83, "Q": 84, "R": 86, "S": 91, "T": 97}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _countries_the_generators_use() -> set[str]:
    return (
        {iso3 for members in crm_generator.COMMITTEE_COUNTRIES.values() for iso3 in members}
        | set(crm_generator.COUNTRY_CURRENCY)
        | set(generator.FOREIGN_ORIGINS)
        | set(generator.HK_MACAO_ORIGINS)
        | {"CHN"}
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_generated_reference(
        tmp_path_factory.mktemp("generated") / "reference", PARKS, SEED, last_year=LAST_YEAR
    )


@pytest.fixture
def generated_env(monkeypatch, data_dir, folder) -> Path:
    monkeypatch.setenv("PARK_SCALE", "tiny")
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(folder))
    for variable in ("PARK_SEED", "PARK_BAD_ROW_RATE", "PARK_WDI_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    return folder


def test_the_folder_is_marked_generated_and_says_so(folder):
    assert is_generated(folder)
    assert sorted(_files(folder)) == [
        "PROVENANCE.md",
        "admin_divisions/adcode_centroids.csv",
        "admin_divisions/areas.csv",
        "admin_divisions/cities.csv",
        "admin_divisions/provinces.csv",
        "china/province_gdp_annual.xlsx",
        GENERATED_MARKER,
        "industry/gbt4754_2017.csv",
        "industry/gbt4754_2017_isic4_crosswalk.csv",
        "parks/development_zones_2018.csv",
        "world/country_codes.csv",
        *(f"world/wdi/{code.lower()}.csv" for code in sorted(world_bank_contract.INDICATORS)),
    ]
    assert "GENERATED demonstration data" in (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    marker = (folder / GENERATED_MARKER).read_text(encoding="utf-8")
    assert all(f'"{key}": {value}' in marker for key, value in (("parks", 20), ("seed", SEED), ("format_version", 1)))


def test_writes_are_deterministic_and_idempotent(tmp_path, folder):
    again = write_generated_reference(tmp_path / "again", PARKS, SEED, last_year=LAST_YEAR)
    assert _files(again) == _files(folder), "the same (parks, seed) must give byte-identical files"
    other = _files(write_generated_reference(tmp_path / "other", PARKS, SEED + 1, last_year=LAST_YEAR))
    assert other.keys() == _files(folder).keys()
    changed = {name for name, content in other.items() if content != _files(folder)[name]}
    assert {
        "parks/development_zones_2018.csv",
        "china/province_gdp_annual.xlsx",
        "world/wdi/pa.nus.fcrf.csv",
    } <= changed

    # a second call with the same parameters leaves every file as it is
    mtimes = {path: path.stat().st_mtime_ns for path in again.rglob("*")}
    assert write_generated_reference(again, PARKS, SEED, last_year=LAST_YEAR) == again
    assert {path: path.stat().st_mtime_ns for path in again.rglob("*")} == mtimes
    # other parameters replace the folder, and no temporary sibling is left behind
    write_generated_reference(again, 7, SEED, last_year=LAST_YEAR)
    assert len((again / catalogue.CATALOGUE_FILE).read_text(encoding="utf-8").splitlines()) == 1 + 7
    assert sorted(path.name for path in tmp_path.iterdir()) == ["again", "other"]


def test_a_folder_that_is_not_generated_is_never_replaced(tmp_path):
    real_looking = tmp_path / "reference"
    (real_looking / "parks").mkdir(parents=True)
    (real_looking / catalogue.CATALOGUE_FILE).write_text("序号,代码\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match=GENERATED_MARKER):
        write_generated_reference(real_looking, PARKS, SEED, last_year=LAST_YEAR)
    assert (real_looking / catalogue.CATALOGUE_FILE).read_text(encoding="utf-8") == "序号,代码\n"


def test_the_registry_lands_every_generated_zone_labelled_generated(generated_env):
    report = park_registry.extract(get_settings(), DAY)
    assert (report.received, report.landed, report.quarantined) == (PARKS, PARKS, 0)
    # every zone declares industries the cluster keyword seed maps
    assert (report.details["zones"], report.details["zones_with_cluster"], report.details["unmapped_terms"]) == (
        PARKS,
        PARKS,
        [],
    )
    landed = pl.read_parquet(batch_dir(get_settings().landing_dir, "park_registry", DAY) / LANDED_FILE)
    assert set(landed["data_origin"]) == {"generated"}
    assert landed["zone_code"].n_unique() == PARKS

    # codes carry the province; 城市/区县 and the address name a generated division of that province
    provinces = catalogue.provinces().select(
        pl.col("province_name_cn").alias("province_name"), pl.col("province_adcode").str.slice(0, 2).alias("code2")
    )
    zones = landed.join(provinces, on="province_name", how="left")
    assert zones["code2"].null_count() == 0
    assert (zones["zone_code"].str.slice(1, 2) == zones["code2"]).all()
    cities = pl.read_csv(generated_env / reference_tables.CITIES_FILE, infer_schema=False)
    areas = pl.read_csv(generated_env / reference_tables.AREAS_FILE, infer_schema=False)
    for code2, province, place, address in zones.select(
        "code2", "province_name", "city_district", "formatted_address"
    ).rows():
        names = [
            *cities.filter(pl.col("provinceCode") == code2)["name"],
            *areas.filter(pl.col("provinceCode") == code2)["name"],
        ]
        assert any(name.startswith(place) for name in names), (province, place)
        assert address.startswith(province) and any(name in address for name in names if name != "市辖区")

    # good points: every geocode passes the enrichment's checks
    flagged = flag_suspect_geocodes(registry_frame(catalogue.read_registry(get_settings())))
    assert flagged["geocode_quality"].to_list() == ["ok"] * PARKS


def test_reference_tables_land_every_row_of_the_six_files(generated_env):
    report = reference_tables.extract(get_settings(), DAY)
    classes = pl.read_csv(SEEDS / "cluster_industry_classes.csv", infer_schema=False)["industry_code"].unique()
    groups, divisions = classes.str.slice(0, 3).unique(), classes.str.slice(0, 2).unique()
    sections = {max((first, s) for s, first in SECTION_STARTS.items() if int(d) >= first)[1] for d in divisions}
    industry_lines = len(sections) + divisions.len() + groups.len() + classes.len()
    countries = _countries_the_generators_use()
    assert len(countries) == 77
    files = {Path(f.source_file).name: (f.received, f.landed, f.quarantined) for f in report.files}
    assert files == {
        "provinces.csv": (PROVINCES, PROVINCES, 0),
        "cities.csv": (CITIES, CITIES, 0),
        "areas.csv": (COUNTIES, COUNTIES, 0),
        "gbt4754_2017.csv": (industry_lines, industry_lines, 0),
        "gbt4754_2017_isic4_crosswalk.csv": (classes.len(), classes.len(), 0),
        "country_codes.csv": (77, 77, 0),
    }
    assert (report.received, report.quarantined) == (PROVINCES + CITIES + COUNTIES + industry_lines + 86 + 77, 0)
    assert classes.len() == 86

    landed = pl.read_parquet(batch_dir(get_settings().landing_dir, "reference_tables", DAY) / LANDED_FILE)
    country = landed.filter(pl.col("reference_table") == "iso3166_countries")
    assert set(country["code"]) == countries
    # the committees' UN M49 areas (DESIGN.md section 4) hold exactly the generators' committee countries
    committees = pl.read_csv(SEEDS / "committees.csv", infer_schema=False).filter(pl.col("m49_level") != "list")
    for committee, level, area in committees.select("committee_code", "m49_level", "m49_name").rows():
        column = {"region": "un_region", "sub-region": "un_sub_region"}[level]
        members = set(country.filter(pl.col(column) == area)["code"])
        assert members == set(crm_generator.COMMITTEE_COUNTRIES[committee]), committee
    arab = set(pl.read_csv(SEEDS / "arab_league_members.csv", infer_schema=False)["country_iso3"])
    assert set(crm_generator.COMMITTEE_COUNTRIES["arab_states"]) <= arab & set(country["code"])
    assert set(country.filter(pl.col("code").is_in(list(crm_generator.COUNTRY_CURRENCY)))["currency_codes"]) <= set(
        crm.CURRENCIES
    )


def test_nbs_export_lands_31_provinces_by_20_years(generated_env):
    report = nbs_province_gdp.extract(get_settings(), DAY)
    assert (report.received, report.landed, report.quarantined) == (31 * 20, 620, 0)
    assert [Path(f.source_file).name for f in report.files] == ["province_gdp_annual.xlsx"]
    landed = pl.read_parquet(batch_dir(get_settings().landing_dir, "nbs_province_gdp", DAY) / LANDED_FILE)
    assert landed["province_adcode"].n_unique() == 31
    assert landed["year"].unique().sort().to_list() == [str(year) for year in range(LAST_YEAR - 20, LAST_YEAR)]
    # metadata on lines 1-3, the header on line 4: the first province on line 5, the 31st on line 35
    assert landed["_source_row"].min() == 5 and landed["_source_row"].max() == 35


def test_nbs_without_either_workbook_names_both(generated_env, tmp_path, monkeypatch):
    copy = tmp_path / "reference"
    shutil.copytree(generated_env, copy)
    (copy / nbs_province_gdp.WORKBOOK_XLSX).unlink()
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(copy))
    with pytest.raises(FileNotFoundError, match=r"province_gdp_annual\.xls and .*province_gdp_annual\.xlsx"):
        nbs_province_gdp.extract(get_settings(), DAY)


def test_wdi_lands_every_row_and_rates_cover_every_crm_currency_and_year(generated_env, monkeypatch):
    with WdiMirror(generated_env) as mirror:
        monkeypatch.setenv("PARK_WDI_BASE_URL", mirror.base_url)
        report = world_bank.extract(get_settings(), DAY, policy=FAST)
    # 77 countries and the aggregates EMU and WLD, 2000-2026: five indicators for all 79, the exchange
    # rate for the 77 countries and EMU (WLD has no currency)
    assert (report.received, report.landed, report.quarantined) == (12771, 12771, 0)
    assert 12771 == len(YEARS) * (79 * 5 + 78)

    landed = pl.read_parquet(batch_dir(get_settings().landing_dir, "world_bank", DAY) / LANDED_FILE)
    per_indicator = dict(landed.group_by("indicator_id").len().rows())
    assert per_indicator == {
        code: len(YEARS) * (78 if code == "PA.NUS.FCRF" else 79) for code in world_bank_contract.INDICATORS
    }
    assert set(landed["country_iso3"]) == _countries_the_generators_use() | {"EMU", "WLD"}

    rates = landed.filter(pl.col("indicator_id") == "PA.NUS.FCRF").select(
        "country_iso3", pl.col("year").cast(pl.Int32), pl.col("value").cast(pl.Float64)
    )
    economies = pl.read_csv(SEEDS / "currency_economies.csv", infer_schema=False)
    assert set(economies["currency_code"]) == set(crm.CURRENCIES)
    covered = economies.join(rates, left_on="wdi_economy_code", right_on="country_iso3").filter(pl.col("value") > 0)
    assert covered.group_by("currency_code").agg(pl.col("year").sort()).sort("currency_code").rows() == [
        (currency, YEARS) for currency in sorted(crm.CURRENCIES)
    ]
    # consistent with the CRM generator: its rates in 2025 (units per US$ = CNY per US$ / CNY per unit),
    # a small drift around them in the other years, the US$ always 1, the euro the same for its users
    units_2025 = dict(covered.filter(pl.col("year") == 2025).select("currency_code", "value").rows())
    cny_per_unit = crm_generator.CNY_PER_UNIT
    assert units_2025 == pytest.approx({c: cny_per_unit["USD"] / cny_per_unit[c] for c in crm.CURRENCIES}, rel=1e-6)
    drift = (
        covered.join(
            pl.DataFrame({"currency_code": list(units_2025), "anchor": list(units_2025.values())}), on="currency_code"
        )
        .select((pl.col("value") / pl.col("anchor") - 1).abs().max())
        .item()
    )
    assert 0 < drift < 0.5
    assert set(covered.filter(pl.col("currency_code") == "USD")["value"]) == {1.0}
    euro = (
        rates.filter(pl.col("country_iso3").is_in(["EMU", "DEU", "FRA"]))
        .group_by("year")
        .agg(pl.col("value").n_unique())
    )
    assert set(euro["value"]) == {1}
