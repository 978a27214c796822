"""The reference tables as the warehouse holds them: one long table of divisions, classes and countries."""

from __future__ import annotations

from parkplatform.contracts import Contract

ADMIN_TABLE = "gbt2260_admin_divisions"
GBT4754_TABLE = "gbt4754_2017"
CROSSWALK_TABLE = "gbt4754_2017_isic4"
COUNTRIES_TABLE = "iso3166_countries"
# the columns a batch lands (text, long layout: each reference table uses its own subset)
LANDED_COLUMNS = (
    "reference_table",
    "level",
    "code",
    "name",
    "parent_code",
    "province_code",
    "isic_code",
    "isic_name",
    "name_cn",
    "m49_code",
    "un_region",
    "un_sub_region",
    "un_intermediate_region",
    "currency_codes",
)

CONTRACTS = (
    Contract(
        "raw.reference_tables",
        "reference_table text, level text, code text, name text, parent_code text, adcode text, "
        "province_code text, isic_code text, isic_name text, name_cn text, m49_code text, un_region text, "
        "un_sub_region text, un_intermediate_region text, currency_codes text",
        key=("reference_table", "code", "isic_code"),
        required=("reference_table", "level", "code", "name"),
        domains={"reference_table": [ADMIN_TABLE, GBT4754_TABLE, CROSSWALK_TABLE, COUNTRIES_TABLE]},
        source="reference_tables",
        lineage=True,
    ),
)
