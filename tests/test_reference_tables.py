"""GB/T 2260 divisions, GB/T 4754-2017 with its ISIC Rev.4 crosswalk and the ISO 3166-1 countries (UN M49
regions, ISO 4217 currencies), landed as reference tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from extractors.reference_tables import extract as reference_tables
from parkplatform.config import get_settings
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE, batch_dir

LOGICAL_DATE = date(2026, 11, 23)


def test_real_reference_tables_land_with_exact_counts(monkeypatch, data_dir, reference_dir):
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    report = reference_tables.extract(get_settings(), LOGICAL_DATE)

    per_file = {Path(f.source_file).name: (f.received, f.landed, f.quarantined) for f in report.files}
    assert per_file == {
        "provinces.csv": (31, 31, 0),
        "cities.csv": (342, 342, 0),
        "areas.csv": (2978, 2978, 0),
        "gbt4754_2017.csv": (1971, 1971, 0),
        # the real crosswalk repeats 7 (class, ISIC class) pairs verbatim
        "gbt4754_2017_isic4_crosswalk.csv": (1480, 1473, 7),
        "country_codes.csv": (249, 249, 0),
    }
    assert (report.received, report.landed, report.quarantined) == (7051, 7044, 7)
    assert report.quarantine_reasons == {
        "(GB/T 4754-2017 (code), ISIC Rev.4 (code)) pair repeats an earlier row of the crosswalk": 7
    }

    folder = batch_dir(get_settings().landing_dir, "reference_tables", LOGICAL_DATE)
    landed = pl.read_parquet(folder / LANDED_FILE)
    levels = landed.group_by("reference_table", "level").len().sort("reference_table", "level").rows()
    assert levels == [
        ("gbt2260_admin_divisions", "county", 2978),
        ("gbt2260_admin_divisions", "prefecture", 342),
        ("gbt2260_admin_divisions", "province", 31),
        ("gbt4754_2017", "class", 1381),
        ("gbt4754_2017", "division", 97),
        ("gbt4754_2017", "group", 473),
        ("gbt4754_2017", "section", 20),
        ("gbt4754_2017_isic4", "class", 1473),
        ("iso3166_countries", "country", 249),
    ]

    def row(table: str, code: str) -> dict:
        found = landed.filter((pl.col("reference_table") == table) & (pl.col("code") == code))
        assert found.height == 1, (table, code)
        return found.row(0, named=True)

    assert row("gbt2260_admin_divisions", "110101")["name"] == "东城区"
    assert row("gbt2260_admin_divisions", "110101")["parent_code"] == "1101"
    assert row("gbt2260_admin_divisions", "1301")["name"] == "石家庄市"
    assert row("gbt2260_admin_divisions", "1301")["parent_code"] == "13"
    # manufacturing: section C holds divisions 13-43, its first division sits below the C line
    assert row("gbt4754_2017", "13")["parent_code"] == "C"
    assert landed.filter((pl.col("level") == "division") & (pl.col("parent_code") == "C")).height == 31
    assert row("gbt4754_2017", "0111")["parent_code"] == "011"
    rice = landed.filter((pl.col("reference_table") == "gbt4754_2017_isic4") & (pl.col("code") == "0111"))
    assert rice.select("name", "isic_code").rows() == [("稻谷种植", "0112")]

    country_columns = ["name", "name_cn", "m49_code", "un_region", "un_sub_region", "un_intermediate_region"]
    egypt = row("iso3166_countries", "EGY")
    assert [egypt[column] for column in country_columns] == ["Egypt", "埃及", "818", "Africa", "Northern Africa", None]
    assert egypt["currency_codes"] == "EGP" and egypt["level"] == "country" and egypt["parent_code"] is None
    assert row("iso3166_countries", "PSE")["name"] == "State of Palestine"
    assert row("iso3166_countries", "AGO")["un_intermediate_region"] == "Middle Africa"
    assert row("iso3166_countries", "MEX")["un_sub_region"] == "Latin America and the Caribbean"
    # as published: M49 without leading zeros (normalisation pads it), several legal tenders comma-separated,
    # Antarctica in no M49 region and without a currency, Palestine without a currency code
    assert row("iso3166_countries", "AFG")["m49_code"] == "4"
    assert row("iso3166_countries", "BTN")["currency_codes"] == "INR,BTN"
    antarctica = row("iso3166_countries", "ATA")
    assert (antarctica["un_region"], antarctica["currency_codes"]) == (None, None)
    assert row("iso3166_countries", "PSE")["currency_codes"] is None
    countries = landed.filter(pl.col("reference_table") == "iso3166_countries")
    assert countries["un_region"].value_counts().sort("un_region").rows() == [
        (None, 1),
        ("Africa", 60),
        ("Americas", 57),
        ("Asia", 51),
        ("Europe", 51),
        ("Oceania", 29),
    ]
    assert countries.filter(pl.col("currency_codes").str.contains(",")).height == 8

    quarantined = pl.read_parquet(folder / QUARANTINED_FILE)
    assert quarantined.sort("_source_row").select("code", "isic_code").head(1).rows() == [("2929", "2220")]
    assert set(landed.columns) >= {"_source", "_batch_id", "_loaded_at", "_source_file", "_source_row"}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def broken_reference(tmp_path: Path) -> Path:
    root = tmp_path / "reference"
    _write(root / "admin_divisions/provinces.csv", 'code,name\n11,"北京市"\n1,"坏省"\n13,"河北省"\n13,"重复"\n')
    _write(
        root / "admin_divisions/cities.csv",
        'code,name,provinceCode\n1101,"市辖区",11\n1201,"天津无省",12\n1302,"前缀错",11\n130,"三位",13\n1301,,13\n',
    )
    _write(
        root / "admin_divisions/areas.csv",
        "code,name,cityCode,provinceCode\n"
        '110101,"东城区",1101,11\n'
        '120101,"和平区",1201,12\n'
        '110102,"西城区",1101,12\n'
        '11010,"五位",1101,11\n',
    )
    _write(
        root / "industry/gbt4754_2017.csv",
        "code,name\n01,无门类\nA,农、林、牧、渔业\n02,林业\n021,林木育种和育苗\n0211,林木育种\n0299,无小类\nU,越界门类\n",
    )
    _write(
        root / "industry/gbt4754_2017_isic4_crosswalk.csv",
        "GB/T 4754-2017 (code),GB/T 4754-2017 (desc),ISIC Rev.4 (code),ISIC Rev.4 (desc)\n"
        "0211,林木育种,0210,造林和其他林业活动\n"
        "0211,林木育种,0210,造林和其他林业活动\n"
        "0299,无小类,0210,造林和其他林业活动\n"
        "0211,林木育种,21,两位\n",
    )
    _write(
        root / "world/country_codes.csv",
        "ISO3166-1-Alpha-3,official_name_en,official_name_cn,M49,Region Name,Sub-region Name,"
        "Intermediate Region Name,ISO4217-currency_alphabetic_code\n"
        "EGY,Egypt,埃及,818,Africa,Northern Africa,,EGP\n"
        ",Nowhere,无处,999,Africa,Northern Africa,,EGP\n"
        "XYZ,,无名,998,Africa,Northern Africa,,EGP\n"
        "ABC,Alpha,,1,Europe,Western Europe,,EUR\n"
        "Eg,Lower case,小写,2,Africa,Northern Africa,,EGP\n"
        "MMM,No M49,无代码,,Europe,Western Europe,,EUR\n"
        "NNN,Long M49,长代码,1234,Europe,Western Europe,,EUR\n"
        "RRR,Atlantis,亚特兰蒂斯,5,Atlantis,,,\n"
        "SSS,Orphan,孤儿,6,,Northern Africa,,EGP\n"
        "III,Gap,缺口,7,Africa,,Western Africa,XOF\n"
        "CCC,Money,钱,8,Europe,Western Europe,,EURO\n"
        "EGY,Egypt again,埃及,818,Africa,Northern Africa,,EGP\n"
        "ATA,Antarctica,南极洲,10,,,,\n"
        'BTN,Bhutan,不丹,64,Asia,Southern Asia,,"INR,BTN"\n',
    )
    return root


def test_each_rule_quarantines_with_its_reason(broken_reference):
    frame = reference_tables.read_reference_tables(broken_reference)
    reasons = {
        (Path(file).name, line): reason
        for file, line, reason in frame.select("_source_file", "_source_row", "_reject_reason").iter_rows()
    }
    assert reasons == {
        ("provinces.csv", 2): None,
        ("provinces.csv", 3): "code (province) is not 2 digits",
        ("provinces.csv", 4): None,
        ("provinces.csv", 5): "code (province) repeats an earlier row of the same file",
        ("cities.csv", 2): None,
        ("cities.csv", 3): "parent_code (provinceCode) is not a landed province of provinces.csv",
        ("cities.csv", 4): "code (prefecture) does not start with its parent_code (provinceCode)",
        ("cities.csv", 5): "code (prefecture) is not 4 digits",
        ("cities.csv", 6): "name (prefecture) is missing",
        ("areas.csv", 2): None,
        # its city was quarantined, so the county cannot land either
        ("areas.csv", 3): "parent_code (cityCode) is not a landed prefecture of cities.csv",
        ("areas.csv", 4): "province_code (provinceCode) is not the first 2 digits of the code",
        ("areas.csv", 5): "code (county) is not 6 digits",
        ("gbt4754_2017.csv", 2): "parent_code (GB/T 4754) of a division is missing: no section line above it",
        ("gbt4754_2017.csv", 3): None,
        ("gbt4754_2017.csv", 4): None,
        ("gbt4754_2017.csv", 5): None,
        ("gbt4754_2017.csv", 6): None,
        ("gbt4754_2017.csv", 7): "parent_code (GB/T 4754) is not a code of the level above in gbt4754_2017.csv",
        (
            "gbt4754_2017.csv",
            8,
        ): "code (GB/T 4754) is not a section letter A-T or a 2-, 3- or 4-digit division, group or class",
        ("gbt4754_2017_isic4_crosswalk.csv", 2): None,
        (
            "gbt4754_2017_isic4_crosswalk.csv",
            3,
        ): "(GB/T 4754-2017 (code), ISIC Rev.4 (code)) pair repeats an earlier row of the crosswalk",
        (
            "gbt4754_2017_isic4_crosswalk.csv",
            4,
        ): "code (GB/T 4754-2017 (code)) is not a landed class of gbt4754_2017.csv",
        ("gbt4754_2017_isic4_crosswalk.csv", 5): "isic_code (ISIC Rev.4 (code)) is not a 4-digit ISIC class",
        ("country_codes.csv", 2): None,
        ("country_codes.csv", 3): "code (country) is missing",
        ("country_codes.csv", 4): "name (country) is missing",
        ("country_codes.csv", 5): "name_cn (official_name_cn) is missing",
        ("country_codes.csv", 6): "code (country) is not 3 capital letters (ISO 3166-1 alpha-3)",
        ("country_codes.csv", 7): "m49_code (M49) is missing",
        ("country_codes.csv", 8): "m49_code (M49) is not a 1- to 3-digit UN M49 code",
        (
            "country_codes.csv",
            9,
        ): "un_region (Region Name) is not one of the M49 regions Africa, Americas, Asia, Europe, Oceania",
        ("country_codes.csv", 10): "un_region (Region Name) is missing while un_sub_region (Sub-region Name) is given",
        (
            "country_codes.csv",
            11,
        ): "un_sub_region (Sub-region Name) is missing while an un_intermediate_region is given",
        (
            "country_codes.csv",
            12,
        ): "currency_codes (ISO4217-currency_alphabetic_code) is not a comma-separated list of 3-letter codes",
        ("country_codes.csv", 13): "code (country) repeats an earlier row of the same file",
        # no M49 region (Antarctica) and several legal tenders are real and land
        ("country_codes.csv", 14): None,
        ("country_codes.csv", 15): None,
    }
    parents = dict(frame.filter(pl.col("reference_table") == "gbt4754_2017").select("code", "parent_code").iter_rows())
    assert parents == {"01": None, "A": None, "02": "A", "021": "02", "0211": "021", "0299": "029", "U": None}


def test_batch_reconciles_with_the_quarantine(monkeypatch, data_dir, broken_reference):
    # PARK_REFERENCE_DIR must hold parks/ (config checks it); the tables themselves come from broken_reference
    (broken_reference / "parks").mkdir()
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(broken_reference))
    report = reference_tables.extract(get_settings(), LOGICAL_DATE)
    assert (report.received, report.landed, report.quarantined) == (38, 12, 26)
    folder = batch_dir(get_settings().landing_dir, "reference_tables", LOGICAL_DATE)
    assert pl.read_parquet(folder / QUARANTINED_FILE)["_reject_reason"].null_count() == 0
    assert pl.read_parquet(folder / LANDED_FILE).height == 12


def test_without_reference_dir_extract_says_what_it_needs(monkeypatch, data_dir):
    monkeypatch.delenv("PARK_REFERENCE_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="PARK_REFERENCE_DIR"):
        reference_tables.extract(get_settings(), LOGICAL_DATE)


def test_without_the_country_file_extract_names_it(monkeypatch, data_dir, broken_reference):
    (broken_reference / "parks").mkdir()
    (broken_reference / "world/country_codes.csv").unlink()
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(broken_reference))
    with pytest.raises(FileNotFoundError, match="country_codes.csv"):
        reference_tables.extract(get_settings(), LOGICAL_DATE)
