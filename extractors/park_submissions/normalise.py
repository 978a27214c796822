"""Park submissions typed for the warehouse: money in yuan, dates as dates, flags as booleans."""

from __future__ import annotations

import polars as pl

from parkplatform.landing import LINEAGE_COLUMNS
from parkplatform.receipts import parse_period

YUAN_PER_10K = 10_000


def period_dates(periods: pl.Series) -> pl.DataFrame:
    """``period`` -> ``period_kind``, ``period_start``, ``period_end`` for each distinct label (a month, a
    quarter or a year: :func:`parkplatform.intake.parse_period`, the inbox accepts no other)."""
    parsed = [parse_period(label) for label in periods.drop_nulls().unique().sort()]
    return pl.DataFrame(
        {
            "period": [period.label for period in parsed],
            "period_kind": [period.kind for period in parsed],
            "period_start": [period.start for period in parsed],
            "period_end": [period.end for period in parsed],
        },
        schema={"period": pl.String, "period_kind": pl.String, "period_start": pl.Date, "period_end": pl.Date},
    )


def normalise_submissions(landed: pl.DataFrame) -> pl.DataFrame:
    """Enterprise rows typed, money in yuan, with the period the submission reports (a month, a quarter or
    a year, its kind and first and last day) and the inbox receipt of its file.

    Only the credit code, name, park and period are always there: an office sends the columns its own
    form has (employees or revenue at least), so every other column may be null and stays null here
    (``is_high_tech`` too: not reported is not "not high-tech"), never a default that looks reported."""
    return landed.join(period_dates(landed["period"]), on="period", how="left", maintain_order="left").select(
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
        "period_kind",
        "period_start",
        "period_end",
        # batches landed before the inbox kept receipts have none
        pl.col("receipt_id") if "receipt_id" in landed.columns else pl.lit(None, dtype=pl.String).alias("receipt_id"),
        "data_origin",
        *LINEAGE_COLUMNS,
    )
