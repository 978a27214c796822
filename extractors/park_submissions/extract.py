"""Park submissions: each park office's spreadsheet of the enterprises in its park, per period.

No public data exists, so the period's files are generated (labelled as generated) from the park
registry, one file per park in that office's own style (CSV or XLSX, UTF-8 or GBK, Chinese or
English headers, money in 元/万元/亿元, a 合计 row), and then read back exactly as real submissions
would be (extractors.spreadsheets): every row is validated, a failing row is quarantined with the
rule it broke, a file rejected whole (a required column missing) has every line quarantined with
that error while the other files land, and an enterprise reported twice keeps one row (newest
period, then file and row order) while the other is quarantined as superseded.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from extractors import generator, park_registry, registry_enrichment, spreadsheets
from parkplatform.config import Settings
from parkplatform.landing import BatchReport, land_batch

log = logging.getLogger(__name__)

SOURCE = "park_submissions"
SubmissionFileError = spreadsheets.SubmissionFileError


def registry_parks(settings: Settings) -> pl.DataFrame:
    """Zones of the registry with their province's 2-digit code, whether their code is shared and
    the clusters their declared leading industries map to (``clusters``, sorted)."""
    registry = park_registry.validate(park_registry.read_registry(settings)).filter(pl.col("_reject_reason").is_null())
    province_codes = park_registry.provinces().select(
        pl.col("province_name_cn").alias("province_name"),
        pl.col("province_adcode").str.slice(0, 2).alias("province_adcode2"),
    )
    return (
        registry.join(province_codes, on="province_name", how="left")
        .select("zone_code", "province_adcode2", (pl.len().over("zone_code") > 1).alias("code_is_shared"))
        .unique("zone_code")
        .join(registry_enrichment.declared_clusters(registry), on="zone_code", how="left")
        .sort("zone_code")
    )


def generate(settings: Settings, logical_date: date) -> list[Path]:
    """Write the period's files as the park offices would send them (generated: no public data)."""
    parks = registry_parks(settings)
    # Park offices of zones with a shared catalogue code cannot be told apart: none is generated.
    submitting = parks.filter(~pl.col("code_is_shared") & pl.col("province_adcode2").is_not_null())
    return generator.generate_park_submissions(
        submitting,
        target=generator.submissions_dir(settings.sources_dir, logical_date),
        enterprises=settings.scale.enterprises,
        parks=settings.scale.parks,
        seed=settings.seed,
        bad_row_rate=settings.bad_row_rate,
    )


def land_files(settings: Settings, logical_date: date, files: list[Path]) -> BatchReport:
    """Read, validate and deduplicate the period's files and land them as one batch."""
    parks = registry_parks(settings)
    received = spreadsheets.read_submissions(files).with_columns(
        pl.lit(generator.submission_period(logical_date)).alias("period"),
        pl.lit(park_registry.ORIGIN_GENERATED).alias("data_origin"),
    )
    rules = spreadsheets.submission_rules(
        known_parks=parks["zone_code"].to_list(),
        shared_codes=parks.filter("code_is_shared")["zone_code"].to_list(),
        classes=spreadsheets.industry_classes(settings.reference_dir) if settings.reference_dir else None,
    )
    kept, superseded = spreadsheets.resolve_duplicates(spreadsheets.validate(received, rules))
    return land_batch(
        pl.concat([kept, superseded], how="diagonal"),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
    )


def extract(settings: Settings, logical_date: date) -> BatchReport:
    return land_files(settings, logical_date, generate(settings, logical_date))
