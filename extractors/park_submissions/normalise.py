"""Park submissions typed for the warehouse: money in yuan, dates as dates, flags as booleans."""

from __future__ import annotations

import polars as pl

from parkplatform.landing import LINEAGE_COLUMNS

YUAN_PER_10K = 10_000


def normalise_submissions(landed: pl.DataFrame) -> pl.DataFrame:
    """Enterprise rows typed, money in yuan, with the period (YYYY-MM) the submission reports; the
    optional columns (tax, R&D, origin, incubation stage, status) are null where a file had none."""
    return landed.select(
        pl.col("credit_code").str.to_uppercase(),
        "enterprise_name",
        "park_code",
        "industry_code",
        "ownership",
        pl.col("established").str.to_date("%Y-%m-%d", strict=False).alias("established_date"),
        pl.col("employees").cast(pl.Int64),
        (pl.col("revenue_10k_cny").cast(pl.Float64) * YUAN_PER_10K).alias("revenue_cny"),
        (pl.col("high_tech") == "Y").alias("is_high_tech"),
        (pl.col("tax_10k_cny").cast(pl.Float64) * YUAN_PER_10K).alias("tax_cny"),
        (pl.col("rnd_10k_cny").cast(pl.Float64) * YUAN_PER_10K).alias("rnd_cny"),
        pl.col("origin_country").alias("origin_country_iso3"),
        "incubation_stage",
        pl.col("status").alias("operating_status"),
        "period",
        "data_origin",
        *LINEAGE_COLUMNS,
    )
