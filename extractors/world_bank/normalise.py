"""World Development Indicators typed for the warehouse: one row per indicator, country and year."""

from __future__ import annotations

import polars as pl

from parkplatform.landing import LINEAGE_COLUMNS


def normalise_world_bank(landed: pl.DataFrame) -> pl.DataFrame:
    """WDI observations, long: one row per indicator x country (or aggregate) x year; ``value``
    Float64 (null where the API has no observation), ``year`` Int32, ``decimals`` Int32."""
    return landed.select(
        "indicator_id",
        "indicator_name",
        "country_id",
        "country_iso3",
        "country_name",
        pl.col("year").cast(pl.Int32),
        pl.col("value").cast(pl.Float64),
        "unit",
        "obs_status",
        pl.col("decimal").cast(pl.Int32, strict=False).alias("decimals"),
        *LINEAGE_COLUMNS,
    )
