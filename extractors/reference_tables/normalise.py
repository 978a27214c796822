"""The reference tables typed for the warehouse: codes stay text, 6-digit adcodes added."""

from __future__ import annotations

import polars as pl

from extractors.reference_tables.contract import ADMIN_TABLE
from parkplatform.landing import LINEAGE_COLUMNS


def normalise_reference_tables(landed: pl.DataFrame) -> pl.DataFrame:
    """The long layout of landing kept (one raw table; dbt staging splits it into divisions,
    industry classes and the crosswalk). Codes stay text (leading zeros, section letters); added:
    ``adcode``, the 6-digit GB/T 2260 form of a division code (``11`` -> ``110000``, ``1301`` ->
    ``130100``), and ``province_code`` for every division level (the first 2 digits); a country's
    ``m49_code`` is given its 3-digit form (``4`` -> ``004``), its other columns (Chinese name, UN
    region / sub-region / intermediate region, ISO 4217 codes as published) are kept as landed."""
    is_division = pl.col("reference_table") == ADMIN_TABLE
    return landed.select(
        "reference_table",
        "level",
        "code",
        "name",
        "parent_code",
        pl.when(is_division).then(pl.col("code").str.pad_end(6, "0")).alias("adcode"),
        pl.when(is_division).then(pl.coalesce("province_code", pl.col("code").str.slice(0, 2))).alias("province_code"),
        "isic_code",
        "isic_name",
        "name_cn",
        pl.col("m49_code").str.pad_start(3, "0"),
        "un_region",
        "un_sub_region",
        "un_intermediate_region",
        "currency_codes",
        *LINEAGE_COLUMNS,
    )
