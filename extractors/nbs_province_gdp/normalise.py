"""Gross Regional Product per province and year, typed for the warehouse."""

from __future__ import annotations

import polars as pl

from parkplatform.landing import LINEAGE_COLUMNS


def normalise_nbs_province_gdp(landed: pl.DataFrame) -> pl.DataFrame:
    """Gross Regional Product per province and year: ``gdp_cny`` in yuan (Float64, converted from
    100 million yuan with exact decimals at landing), the figure as published in
    ``gdp_100m_cny`` (Decimal(38, 6), exact), ``year`` Int32, the GB/T 2260 6-digit adcode."""
    return landed.select(
        "province_adcode",
        "province_name_en",
        pl.col("year").cast(pl.Int32),
        pl.col("gdp_cny").cast(pl.Float64),
        pl.col("gdp_100m_cny").cast(pl.Decimal(38, 6)),
        *LINEAGE_COLUMNS,
    )
