"""Regions, committees, exchange rates and regional indicators in the tiny warehouse (2026-11-23 on the
real reference data), each checked against figures computed here, independently, from the reference
files themselves (country_codes.csv, the WDI extracts, the NBS export, the 2018 catalogue)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import polars as pl
import pytest

from extractors.crm import contract as crm
from parkplatform.config import REPO_ROOT

# The 22 members of the League of Arab States (Palestine as PSE), written out here, not read from the seed.
ARAB_LEAGUE = {
    "DZA", "BHR", "COM", "DJI", "EGY", "IRQ", "JOR", "KWT", "LBN", "LBY", "MRT",
    "MAR", "OMN", "PSE", "QAT", "SAU", "SOM", "SDN", "SYR", "TUN", "ARE", "YEM",
}  # fmt: skip
# committee -> (column of country_codes.csv, M49 name), as DESIGN.md section 4 defines them
M49_COMMITTEES = {
    "north_america": ("Sub-region Name", "Northern America"),
    "europe": ("Region Name", "Europe"),
    "africa": ("Region Name", "Africa"),
    "latin_america": ("Sub-region Name", "Latin America and the Caribbean"),
    "southeast_asia": ("Sub-region Name", "South-eastern Asia"),
}
LAST_WDI_YEAR = 2026  # the batch asks the WDI API for 2000 to the logical date's year


@pytest.fixture(scope="module")
def warehouse(tiny_warehouse: Path):
    connection = duckdb.connect(str(tiny_warehouse), read_only=True)
    yield connection
    connection.close()


def query(connection: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return connection.sql(sql).pl()


@pytest.fixture(scope="module")
def countries_csv(reference_dir: Path) -> pl.DataFrame:
    return pl.read_csv(reference_dir / "world" / "country_codes.csv", infer_schema=False)


@pytest.fixture(scope="module")
def committee_members(countries_csv: pl.DataFrame) -> dict[str, set[str]]:
    members = {
        committee: set(countries_csv.filter(pl.col(column) == name)["ISO3166-1-Alpha-3"])
        for committee, (column, name) in M49_COMMITTEES.items()
    }
    members["arab_states"] = ARAB_LEAGUE
    return members


def wdi(reference_dir: Path, indicator: str) -> pl.DataFrame:
    """One WDI extract as landed: Country Code, Year (2000 to the logical year), Value."""
    frame = pl.read_csv(reference_dir / "world" / "wdi" / f"{indicator.lower()}.csv")
    return frame.filter(pl.col("Year").is_between(2000, LAST_WDI_YEAR) & pl.col("Value").is_not_null())


def wdi_value(reference_dir: Path, indicator: str, iso3: str, year: int) -> float:
    found = wdi(reference_dir, indicator).filter((pl.col("Country Code") == iso3) & (pl.col("Year") == year))
    assert found.height == 1, (indicator, iso3, year)
    return found["Value"].item()


# --- countries and committees -------------------------------------------------------------------------


def test_countries_are_staged_once_each_from_the_reference_list(warehouse, countries_csv):
    staged = query(warehouse, "select * from staging.stg_reference__countries")
    assert staged.height == countries_csv.height == 249
    assert set(staged["country_iso3"]) == set(countries_csv["ISO3166-1-Alpha-3"])
    egypt = staged.filter(pl.col("country_iso3") == "EGY").row(0, named=True)
    assert {key: egypt[key] for key in ("country_name_en", "country_name_cn", "m49_code", "un_region")} == {
        "country_name_en": "Egypt",
        "country_name_cn": "埃及",
        "m49_code": "818",
        "un_region": "Africa",
    }
    assert (egypt["un_sub_region"], egypt["currency_codes"], egypt["currency_code"]) == (
        "Northern Africa",
        "EGP",
        "EGP",
    )
    bhutan = staged.filter(pl.col("country_iso3") == "BTN").row(0, named=True)
    assert (bhutan["currency_codes"], bhutan["currency_code"]) == ("INR,BTN", None)


def test_committee_membership_follows_m49_and_the_arab_league(warehouse, committee_members):
    bridge = query(warehouse, "select country_iso3, committee, matched_on from main.bridge_country_committee")
    found = {
        committee: set(bridge.filter(pl.col("committee") == committee)["country_iso3"])
        for committee in committee_members
    }
    assert found == committee_members
    assert {committee: len(members) for committee, members in found.items()} == {
        "north_america": 5,  # Bermuda, Canada, Greenland, Saint Pierre and Miquelon, United States
        "europe": 51,
        "africa": 60,
        "latin_america": 52,
        "southeast_asia": 11,
        "arab_states": 22,
    }
    assert bridge.height == 201 and set(bridge["committee"]) == set(committee_members)
    assert set(bridge.filter(pl.col("country_iso3") == "EGY")["committee"]) == {"africa", "arab_states"}
    assert {"USA", "CAN"} <= found["north_america"] and "MEX" in found["latin_america"]
    assert "PSE" in found["arab_states"] and "PSE" not in found["africa"]
    # the only countries in two committees: the Arab League members in M49 Africa
    two = bridge.group_by("country_iso3").len().filter(pl.col("len") == 2)
    assert set(two["country_iso3"]) == ARAB_LEAGUE & committee_members["africa"]
    assert set(two["country_iso3"]) == {"DZA", "COM", "DJI", "EGY", "LBY", "MRT", "MAR", "SOM", "SDN", "TUN"}
    assert dict(bridge.select("committee", "matched_on").unique().iter_rows()) == {
        "north_america": "sub-region",
        "europe": "region",
        "africa": "region",
        "latin_america": "sub-region",
        "southeast_asia": "sub-region",
        "arab_states": "list",
    }


def test_the_arab_league_seed_names_22_landed_countries(warehouse):
    seed = query(warehouse, "select * from reference.arab_league_members")
    assert set(seed["country_iso3"]) == ARAB_LEAGUE and seed.height == 22
    unknown = query(
        warehouse,
        "select country_iso3 from reference.arab_league_members"
        " where country_iso3 not in (select country_iso3 from staging.stg_reference__countries)",
    )
    assert unknown.height == 0


def test_dim_region_holds_every_province_and_every_country_once(warehouse, reference_dir, countries_csv):
    regions = query(warehouse, "select * from main.dim_region")
    provinces_csv = pl.read_csv(reference_dir / "admin_divisions" / "provinces.csv", infer_schema=False)
    expected_provinces = {f"CN-{code}0000": name for code, name in provinces_csv.iter_rows()}
    provinces = regions.filter(pl.col("region_type") == "province")
    assert dict(provinces.select("region_key", "name_cn").iter_rows()) == expected_provinces
    assert provinces.height == 31 and set(provinces["country_iso3"]) == {"CHN"}
    countries = regions.filter(pl.col("region_type") == "country")
    assert sorted(countries["region_key"]) == sorted(countries_csv["ISO3166-1-Alpha-3"])
    assert regions.height == 31 + 249 and regions["region_key"].n_unique() == regions.height
    # every region's country is a country row (the provinces' CHN included)
    assert set(regions["country_iso3"]) <= set(countries["region_key"])

    def region(key: str) -> dict:
        return regions.filter(pl.col("region_key") == key).row(0, named=True)

    beijing = region("CN-110000")
    assert (beijing["code"], beijing["name_en"], beijing["name_cn"], beijing["committees"]) == (
        "110000",
        "Beijing",
        "北京市",
        None,
    )
    egypt = region("EGY")
    assert (egypt["un_region"], egypt["un_sub_region"], egypt["committees"], egypt["committee_count"]) == (
        "Africa",
        "Northern Africa",
        "africa,arab_states",
        2,
    )
    assert (region("CHN")["name_cn"], region("CHN")["committee_count"]) == ("中国", 0)


# --- exchange rates -----------------------------------------------------------------------------------


def test_fx_covers_every_crm_currency_with_wdi_rates_and_the_latest_earlier_year(warehouse, reference_dir):
    with (REPO_ROOT / "dbt_project" / "seeds" / "currency_economies.csv").open(encoding="utf-8") as handle:
        economy_of = {row["currency_code"]: row["wdi_economy_code"] for row in csv.DictReader(handle)}
    assert set(economy_of) == set(crm.CURRENCIES)
    assert (economy_of["EUR"], economy_of["USD"], economy_of["CNY"]) == ("EMU", "USA", "CHN")

    rates = wdi(reference_dir, "PA.NUS.FCRF")
    observed = {(iso3, year): value for iso3, year, value in rates.select("Country Code", "Year", "Value").iter_rows()}

    def as_of(iso3: str, year: int) -> tuple[float, int]:
        used = max(y for (code, y) in observed if code == iso3 and y <= year)
        return observed[(iso3, used)], used

    expected = {}
    for currency, economy in economy_of.items():
        for year in range(2000, 2031):
            units, used = as_of(economy, year)
            cny, cny_used = as_of("CHN", year)
            expected[(currency, year)] = (units, cny, cny / units, used, cny_used)
    table = query(warehouse, "select * from intermediate.int_fx_rates_yearly")
    found = {
        (row[0], row[1]): row[2:]
        for row in table.select(
            "currency_code",
            "year",
            "units_per_usd",
            "cny_per_usd",
            "cny_per_unit",
            "rate_year_used",
            "cny_rate_year_used",
        ).iter_rows()
    }
    assert found == expected  # 29 currencies x 31 years, exact
    assert table.height == 29 * 31

    def rate(currency: str, year: int) -> dict:
        return table.filter((pl.col("currency_code") == currency) & (pl.col("year") == year)).row(0, named=True)

    assert rate("CNY", 2023)["cny_per_usd"] == 7.08399842343631
    assert rate("CNY", 2023)["cny_per_unit"] == 1.0 and rate("USD", 2023)["cny_per_unit"] == 7.08399842343631
    euro = rate("EUR", 2024)
    assert euro["units_per_usd"] == 0.923889546117607 == wdi_value(reference_dir, "PA.NUS.FCRF", "EMU", 2024)
    assert euro["cny_per_usd"] == 7.19749110789917
    assert euro["cny_per_unit"] == 7.19749110789917 / 0.923889546117607 == pytest.approx(7.7904238, rel=1e-8)
    # the last WDI year is 2025 (RUB and VND: 2024); later years carry it and say so
    assert (rate("CNY", 2030)["cny_per_usd"], rate("CNY", 2030)["rate_year_used"]) == (7.18984737402171, 2025)
    rouble = rate("RUB", 2025)
    assert (rouble["units_per_usd"], rouble["rate_year_used"], rouble["cny_rate_year_used"]) == (92.5524, 2024, 2025)


# --- regional indicators ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mart(warehouse) -> pl.DataFrame:
    return query(warehouse, "select * from main.mart_regional_indicators")


def row_of(mart: pl.DataFrame, key: str, year: int) -> dict:
    found = mart.filter((pl.col("region_key") == key) & (pl.col("year") == year))
    assert found.height == 1, (key, year)
    return found.row(0, named=True)


def test_mart_has_one_row_per_region_and_year(mart, reference_dir, countries_csv):
    assert mart.select("region_key", "year").is_duplicated().sum() == 0
    shape = {
        region_type: (group.height, group["region_key"].n_unique(), group["year"].min(), group["year"].max())
        for (region_type,), group in mart.group_by("region_type")
    }
    assert shape["province"] == (31 * 20, 31, 2004, 2023)
    assert shape["committee"] == (6 * 26, 6, 2000, 2025)
    assert shape["country"][1:] == (215, 2000, 2025)
    # a country's rows: the years in which WDI observes its GDP, growth, FDI or population
    observed = pl.concat(
        [
            wdi(reference_dir, indicator).select("Country Code", "Year")
            for indicator in ("NY.GDP.MKTP.CD", "NY.GDP.MKTP.KD.ZG", "BX.KLT.DINV.CD.WD", "SP.POP.TOTL")
        ]
    ).unique()
    observed = observed.filter(pl.col("Country Code").is_in(countries_csv["ISO3166-1-Alpha-3"].implode()))
    countries = mart.filter(pl.col("region_type") == "country")
    assert set(countries.select("region_key", "year").iter_rows()) == set(observed.iter_rows())
    assert countries.height == observed.height


def test_province_rows_hold_nbs_gdp_in_yuan_and_dollars_and_the_catalogue_zones(mart, reference_dir):
    sheet = pl.read_excel(reference_dir / "china" / "province_gdp_annual.xls", has_header=False)
    header = sheet.filter(pl.col("column_0") == "Region").row(0)
    beijing_sheet = dict(zip(header, sheet.filter(pl.col("column_0") == "Beijing").row(0), strict=True))
    beijing = row_of(mart, "CN-110000", 2023)
    assert beijing_sheet["2023"] == "43760.7"
    assert beijing["gdp_cny"] == 4_376_070_000_000.0
    assert beijing["cny_per_usd"] == 7.08399842343631
    assert beijing["gdp_usd"] == 4_376_070_000_000.0 / 7.08399842343631
    assert beijing["gdp_growth_nominal_pct"] == pytest.approx(
        (43760.7 / float(beijing_sheet["2022"]) - 1) * 100, rel=1e-12
    )
    assert beijing["gdp_growth_nominal_pct"] == pytest.approx(5.34365, abs=1e-5)
    assert row_of(mart, "CN-110000", 2004)["gdp_growth_nominal_pct"] is None  # first year of the export
    assert (beijing["gdp_growth_real_pct"], beijing["population"], beijing["member_countries"]) == (None, None, None)

    # zones and approved area per province, from the catalogue file itself
    zones = pl.read_csv(reference_dir / "parks" / "development_zones_2018.csv", infer_schema=False)
    provinces = pl.read_csv(reference_dir / "admin_divisions" / "provinces.csv", infer_schema=False)
    key_of = {name: f"CN-{code}0000" for code, name in provinces.iter_rows()}
    zones = zones.with_columns(
        pl.col("省份").replace_strict(key_of).alias("region_key"),
        pl.col("核准面积_公顷").cast(pl.Float64).alias("area"),
        pl.col("批准时间").str.slice(0, 4).cast(pl.Int32).alias("approval_year"),
    )
    per_province = zones.group_by("region_key").agg(pl.len().alias("zones"), pl.col("area").sum())
    expected = {key: (count, area) for key, count, area in per_province.iter_rows()}
    found = {
        key: (count, area)
        for key, count, area in mart.filter((pl.col("region_type") == "province") & (pl.col("year") == 2023))
        .select("region_key", "zones", "approved_area_ha")
        .iter_rows()
    }
    assert found.keys() == expected.keys() and len(found) == 31
    for key, (count, area) in expected.items():
        assert found[key][0] == count and found[key][1] == pytest.approx(area, rel=1e-12), key
    assert (beijing["zones"], beijing["zones_approved_by_year_end"]) == (19, 19)
    assert beijing["approved_area_ha"] == pytest.approx(38842.54, rel=1e-12)
    # zones approved by the end of 2010 (批准时间 YYYY.MM, the first date where two are given)
    approved_by_2010 = dict(zones.filter(pl.col("approval_year") <= 2010).group_by("region_key").len().iter_rows())
    found_2010 = dict(
        mart.filter((pl.col("region_type") == "province") & (pl.col("year") == 2010))
        .select("region_key", "zones_approved_by_year_end")
        .iter_rows()
    )
    assert found_2010 == {key: approved_by_2010.get(key, 0) for key in expected}
    assert (
        found_2010["CN-110000"]
        == zones.filter((pl.col("region_key") == "CN-110000") & (pl.col("approval_year") <= 2010)).height
    )


def test_country_rows_hold_the_wdi_indicators(mart, reference_dir):
    egypt = row_of(mart, "EGY", 2023)
    assert egypt["gdp_usd"] == wdi_value(reference_dir, "NY.GDP.MKTP.CD", "EGY", 2023)
    assert egypt["gdp_growth_real_pct"] == wdi_value(reference_dir, "NY.GDP.MKTP.KD.ZG", "EGY", 2023)
    assert egypt["fdi_net_inflows_usd"] == wdi_value(reference_dir, "BX.KLT.DINV.CD.WD", "EGY", 2023)
    assert egypt["population"] == wdi_value(reference_dir, "SP.POP.TOTL", "EGY", 2023)
    assert egypt["gdp_cny"] == egypt["gdp_usd"] * 7.08399842343631
    assert (egypt["region_name_en"], egypt["region_name_cn"], egypt["zones"]) == ("Egypt", "埃及", None)
    china = row_of(mart, "CHN", 2023)
    assert china["gdp_usd"] == 18270356654533.2


@pytest.mark.parametrize(
    "committee", ["north_america", "europe", "africa", "latin_america", "southeast_asia", "arab_states"]
)
def test_committee_rows_sum_their_members(mart, reference_dir, committee_members, committee):
    members = committee_members[committee]

    def of_members(indicator: str) -> pl.DataFrame:
        return wdi(reference_dir, indicator).filter(pl.col("Country Code").is_in(members) & (pl.col("Year") == 2023))

    gdp = of_members("NY.GDP.MKTP.CD")
    found = row_of(mart, committee, 2023)
    assert found["gdp_usd"] == pytest.approx(gdp["Value"].sum(), rel=1e-12)
    assert found["fdi_net_inflows_usd"] == pytest.approx(of_members("BX.KLT.DINV.CD.WD")["Value"].sum(), rel=1e-12)
    assert found["population"] == of_members("SP.POP.TOTL")["Value"].sum()
    assert (found["member_countries"], found["members_reporting_gdp"]) == (len(members), gdp.height)
    growth = of_members("NY.GDP.MKTP.KD.ZG").join(gdp, on="Country Code", suffix="_gdp")
    weighted = (growth["Value"] * growth["Value_gdp"]).sum() / growth["Value_gdp"].sum()
    assert found["gdp_growth_real_pct"] == pytest.approx(weighted, rel=1e-12)
    assert found["gdp_cny"] == pytest.approx(gdp["Value"].sum() * 7.08399842343631, rel=1e-12)


def test_committee_gdp_is_the_sum_of_its_member_rows_in_the_mart(warehouse):
    check = query(
        warehouse,
        """
        select committee.region_key, committee.year, committee.gdp_usd, sum(country.gdp_usd) as members_gdp_usd
        from main.mart_regional_indicators as committee
        inner join main.bridge_country_committee as bridge on bridge.committee = committee.region_key
        inner join main.mart_regional_indicators as country
            on country.region_key = bridge.country_iso3 and country.year = committee.year
        where committee.region_type = 'committee' and committee.year = 2023
        group by all
        """,
    )
    assert check.height == 6
    for key, _, total, members in check.iter_rows():
        assert total == pytest.approx(members, rel=1e-12), key
    arab = check.filter(pl.col("region_key") == "arab_states").row(0, named=True)
    assert arab["gdp_usd"] == pytest.approx(3.584785e12, rel=1e-6)
