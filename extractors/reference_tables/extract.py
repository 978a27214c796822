"""Reference tables: GB/T 2260 divisions, GB/T 4754-2017 with its ISIC Rev.4 crosswalk, ISO 3166-1 countries.

Read from ``PARK_REFERENCE_DIR`` (an offline mirror, or the folder ``park reference fetch`` assembles from the
public upstreams: ``park/reference.py``):

- ``admin_divisions/provinces.csv`` (code, name), ``cities.csv`` (code, name, provinceCode),
  ``areas.csv`` (code, name, cityCode, provinceCode): 2-, 4- and 6-digit codes;
- ``industry/gbt4754_2017.csv`` (code, name): sections A-T, then 2-digit divisions, 3-digit groups and
  4-digit classes, in the standard's order (a division belongs to the section line above it);
- ``industry/gbt4754_2017_isic4_crosswalk.csv``: GB/T 4754-2017 class <-> ISIC Rev.4 class;
- ``world/country_codes.csv`` (datahub.io country-codes): ISO 3166-1 countries and territories with
  their UN M49 code, region / sub-region / intermediate region and ISO 4217 currency codes.

All six files land as ONE batch of one source in a common long shape: ``reference_table``,
``level``, ``code``, ``name``, ``parent_code`` and, where they apply, ``province_code`` (counties),
``isic_code`` and ``isic_name`` (crosswalk), ``name_cn``, ``m49_code``, ``un_region``,
``un_sub_region``, ``un_intermediate_region`` and ``currency_codes`` (countries); ``batch.json``
counts each file on its own.

Rules: the code format of each level, the parent exists (among the parent rows that pass their own
rules, so that nothing landed points at a quarantined parent), a code starts with its parent's code,
no duplicate code in a table, no repeated (class, ISIC class) pair in the crosswalk (the first
occurrence lands, the repeats are quarantined); a country has an ISO 3166-1 alpha-3 code, English
and Chinese names and an M49 code, its UN region is one of the five M49 regions and the hierarchy has
no gap (no sub-region without a region, no intermediate region without a sub-region), and its
currency codes are 3-letter ISO 4217 codes (several, comma-separated, where a country has several
legal tenders: ``INR,BTN`` for Bhutan).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from extractors.reference_tables.contract import (
    ADMIN_TABLE,
    COUNTRIES_TABLE,
    CROSSWALK_TABLE,
    GBT4754_TABLE,
    LANDED_COLUMNS,
)
from parkplatform.config import Settings
from parkplatform.landing import REJECT_REASON, BatchReport, first_reject_reason, land_batch, read_text_csv

SOURCE = "reference_tables"
ADMIN_DIR = Path("admin_divisions")
INDUSTRY_DIR = Path("industry")
PROVINCES_FILE = ADMIN_DIR / "provinces.csv"
CITIES_FILE = ADMIN_DIR / "cities.csv"
AREAS_FILE = ADMIN_DIR / "areas.csv"
GBT4754_FILE = INDUSTRY_DIR / "gbt4754_2017.csv"
CROSSWALK_FILE = INDUSTRY_DIR / "gbt4754_2017_isic4_crosswalk.csv"
WORLD_DIR = Path("world")
COUNTRIES_FILE = WORLD_DIR / "country_codes.csv"

CROSSWALK_COLUMNS = {
    "GB/T 4754-2017 (code)": "code",
    "GB/T 4754-2017 (desc)": "name",
    "ISIC Rev.4 (code)": "isic_code",
    "ISIC Rev.4 (desc)": "isic_name",
}
COUNTRY_COLUMNS = {
    "ISO3166-1-Alpha-3": "code",
    "official_name_en": "name",
    "official_name_cn": "name_cn",
    "M49": "m49_code",
    "Region Name": "un_region",
    "Sub-region Name": "un_sub_region",
    "Intermediate Region Name": "un_intermediate_region",
    "ISO4217-currency_alphabetic_code": "currency_codes",
}
M49_REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")
GBT4754_LEVELS = {  # level -> code pattern, in hierarchy order
    "section": r"^[A-T]$",
    "division": r"^\d{2}$",
    "group": r"^\d{3}$",
    "class": r"^\d{4}$",
}


def _valid_codes(frame: pl.DataFrame) -> list[str]:
    return frame.filter(pl.col(REJECT_REASON).is_null())["code"].to_list()


def _common_rules(label: str) -> list[tuple[str, pl.Expr]]:
    return [
        (f"code ({label}) is missing", pl.col("code").is_null()),
        (f"name ({label}) is missing", pl.col("name").is_null()),
    ]


def _duplicate_rule(label: str) -> tuple[str, pl.Expr]:
    return (f"code ({label}) repeats an earlier row of the same file", ~pl.col("code").is_first_distinct())


# --- GB/T 2260 administrative divisions -----------------------------------------------------------


def province_rules() -> list[tuple[str, pl.Expr]]:
    return [
        *_common_rules("province"),
        ("code (province) is not 2 digits", ~pl.col("code").str.contains(r"^\d{2}$")),
        _duplicate_rule("province"),
    ]


def city_rules(province_codes: list[str]) -> list[tuple[str, pl.Expr]]:
    return [
        *_common_rules("prefecture"),
        ("code (prefecture) is not 4 digits", ~pl.col("code").str.contains(r"^\d{4}$")),
        ("parent_code (provinceCode) is missing", pl.col("parent_code").is_null()),
        (
            "parent_code (provinceCode) is not a landed province of provinces.csv",
            ~pl.col("parent_code").is_in(province_codes),
        ),
        (
            "code (prefecture) does not start with its parent_code (provinceCode)",
            ~pl.col("code").str.starts_with(pl.col("parent_code")),
        ),
        _duplicate_rule("prefecture"),
    ]


def county_rules(city_codes: list[str]) -> list[tuple[str, pl.Expr]]:
    return [
        *_common_rules("county"),
        ("code (county) is not 6 digits", ~pl.col("code").str.contains(r"^\d{6}$")),
        ("parent_code (cityCode) is missing", pl.col("parent_code").is_null()),
        ("parent_code (cityCode) is not a landed prefecture of cities.csv", ~pl.col("parent_code").is_in(city_codes)),
        (
            "code (county) does not start with its parent_code (cityCode)",
            ~pl.col("code").str.starts_with(pl.col("parent_code")),
        ),
        (
            "province_code (provinceCode) is not the first 2 digits of the code",
            pl.col("province_code") != pl.col("code").str.slice(0, 2),
        ),
        _duplicate_rule("county"),
    ]


def read_admin_divisions(reference_dir: Path) -> pl.DataFrame:
    """Provinces, prefectures and counties, validated level by level, in the common shape."""
    provinces = read_text_csv(reference_dir / PROVINCES_FILE, {"code": "code", "name": "name"}).with_columns(
        pl.lit("province").alias("level"), pl.lit(None, dtype=pl.String).alias("parent_code")
    )
    provinces = provinces.with_columns(first_reject_reason(province_rules()))

    cities = read_text_csv(reference_dir / CITIES_FILE, {"code": "code", "name": "name", "provinceCode": "parent_code"})
    cities = cities.with_columns(pl.lit("prefecture").alias("level")).with_columns(
        first_reject_reason(city_rules(_valid_codes(provinces)))
    )

    areas = read_text_csv(
        reference_dir / AREAS_FILE,
        {"code": "code", "name": "name", "cityCode": "parent_code", "provinceCode": "province_code"},
    )
    areas = areas.with_columns(pl.lit("county").alias("level")).with_columns(
        first_reject_reason(county_rules(_valid_codes(cities)))
    )
    return pl.concat([provinces, cities, areas], how="diagonal").with_columns(
        pl.lit(ADMIN_TABLE).alias("reference_table")
    )


# --- GB/T 4754-2017 and its ISIC Rev.4 crosswalk ----------------------------------------------------


def gbt4754_level() -> pl.Expr:
    code = pl.col("code")
    level: pl.Expr = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(GBT4754_LEVELS.items()):
        level = pl.when(code.str.contains(pattern)).then(pl.lit(name)).otherwise(level)
    return level.alias("level")


def gbt4754_parent() -> pl.Expr:
    """The section line above a division; the code less its last digit for a group or class."""
    code, level = pl.col("code"), pl.col("level")
    section_above = pl.when(level == "section").then(code).forward_fill()
    return (
        pl.when(level == "division")
        .then(section_above)
        .when(level.is_in(["group", "class"]))
        .then(code.str.slice(0, code.str.len_chars() - 1))
        .alias("parent_code")
    )


def gbt4754_rules() -> list[tuple[str, pl.Expr]]:
    level, parent = pl.col("level"), pl.col("parent_code")
    parent_level = (
        pl.when(level == "division")
        .then(pl.lit("section"))
        .when(level == "group")
        .then(pl.lit("division"))
        .when(level == "class")
        .then(pl.lit("group"))
    )
    parent_exists = pl.struct(parent.alias("code"), parent_level.alias("level")).is_in(
        pl.struct("code", "level").implode()
    )
    return [
        *_common_rules("GB/T 4754"),
        (
            "code (GB/T 4754) is not a section letter A-T or a 2-, 3- or 4-digit division, group or class",
            level.is_null(),
        ),
        (
            "parent_code (GB/T 4754) of a division is missing: no section line above it",
            (level == "division") & parent.is_null(),
        ),
        (
            "parent_code (GB/T 4754) is not a code of the level above in gbt4754_2017.csv",
            (level != "section") & ~parent_exists,
        ),
        _duplicate_rule("GB/T 4754"),
    ]


def read_gbt4754(reference_dir: Path) -> pl.DataFrame:
    frame = read_text_csv(reference_dir / GBT4754_FILE, {"code": "code", "name": "name"})
    return (
        frame.with_columns(gbt4754_level())
        .with_columns(gbt4754_parent())
        .with_columns(first_reject_reason(gbt4754_rules()), pl.lit(GBT4754_TABLE).alias("reference_table"))
    )


def crosswalk_rules(class_codes: list[str]) -> list[tuple[str, pl.Expr]]:
    return [
        ("code (GB/T 4754-2017 (code)) is missing", pl.col("code").is_null()),
        ("code (GB/T 4754-2017 (code)) is not a 4-digit class", ~pl.col("code").str.contains(r"^\d{4}$")),
        ("code (GB/T 4754-2017 (code)) is not a landed class of gbt4754_2017.csv", ~pl.col("code").is_in(class_codes)),
        ("isic_code (ISIC Rev.4 (code)) is missing", pl.col("isic_code").is_null()),
        ("isic_code (ISIC Rev.4 (code)) is not a 4-digit ISIC class", ~pl.col("isic_code").str.contains(r"^\d{4}$")),
        (
            "(GB/T 4754-2017 (code), ISIC Rev.4 (code)) pair repeats an earlier row of the crosswalk",
            ~pl.struct("code", "isic_code").is_first_distinct(),
        ),
    ]


def read_crosswalk(reference_dir: Path, gbt4754: pl.DataFrame) -> pl.DataFrame:
    class_codes = gbt4754.filter((pl.col("level") == "class") & pl.col(REJECT_REASON).is_null())["code"].to_list()
    frame = read_text_csv(reference_dir / CROSSWALK_FILE, CROSSWALK_COLUMNS)
    return frame.with_columns(
        pl.lit("class").alias("level"),
        first_reject_reason(crosswalk_rules(class_codes)),
        pl.lit(CROSSWALK_TABLE).alias("reference_table"),
    )


# --- ISO 3166-1 countries with UN M49 regions and ISO 4217 currencies ---------------------------------


def country_rules() -> list[tuple[str, pl.Expr]]:
    region, sub_region = pl.col("un_region"), pl.col("un_sub_region")
    currencies = pl.col("currency_codes")
    return [
        *_common_rules("country"),
        ("name_cn (official_name_cn) is missing", pl.col("name_cn").is_null()),
        ("code (country) is not 3 capital letters (ISO 3166-1 alpha-3)", ~pl.col("code").str.contains(r"^[A-Z]{3}$")),
        ("m49_code (M49) is missing", pl.col("m49_code").is_null()),
        ("m49_code (M49) is not a 1- to 3-digit UN M49 code", ~pl.col("m49_code").str.contains(r"^\d{1,3}$")),
        (
            f"un_region (Region Name) is not one of the M49 regions {', '.join(M49_REGIONS)}",
            region.is_not_null() & ~region.is_in(M49_REGIONS),
        ),
        (
            "un_region (Region Name) is missing while un_sub_region (Sub-region Name) is given",
            region.is_null() & sub_region.is_not_null(),
        ),
        (
            "un_sub_region (Sub-region Name) is missing while an un_intermediate_region is given",
            sub_region.is_null() & pl.col("un_intermediate_region").is_not_null(),
        ),
        (
            "currency_codes (ISO4217-currency_alphabetic_code) is not a comma-separated list of 3-letter codes",
            currencies.is_not_null() & ~currencies.str.contains(r"^[A-Z]{3}(,[A-Z]{3})*$"),
        ),
        _duplicate_rule("country"),
    ]


def read_countries(reference_dir: Path) -> pl.DataFrame:
    """One row per ISO 3166-1 country or territory (level ``country``), in the common shape."""
    frame = read_text_csv(reference_dir / COUNTRIES_FILE, COUNTRY_COLUMNS)
    return frame.with_columns(
        pl.lit("country").alias("level"),
        first_reject_reason(country_rules()),
        pl.lit(COUNTRIES_TABLE).alias("reference_table"),
    )


def read_reference_tables(reference_dir: Path) -> pl.DataFrame:
    """All six files, validated, in the common shape (``_reject_reason`` null for a valid row)."""
    gbt4754 = read_gbt4754(reference_dir)
    frames = [
        read_admin_divisions(reference_dir),
        gbt4754,
        read_crosswalk(reference_dir, gbt4754),
        read_countries(reference_dir),
    ]
    return pl.concat(frames, how="diagonal").select(*LANDED_COLUMNS, "_source_file", "_source_row", REJECT_REASON)


def extract(settings: Settings, logical_date: date) -> BatchReport:
    if settings.reference_dir is None:
        raise FileNotFoundError(
            f"{SOURCE}: PARK_REFERENCE_DIR is not set; the reference tables are read from "
            f"<reference>/{ADMIN_DIR}, <reference>/{INDUSTRY_DIR} and <reference>/{COUNTRIES_FILE}"
        )
    return land_batch(
        read_reference_tables(settings.reference_dir),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
    )
