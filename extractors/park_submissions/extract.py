"""Park submissions: each park office's spreadsheet of the enterprises in its park, per period.

An office's files for a period arrive in ``<PARK_DATA_DIR>/sources/park_submissions/period=YYYY-MM/`` (no
public data exists: the demo and the tests have a simulator write them there, as offices would, with a
``generated.json`` that labels them generated). They are read (:mod:`extractors.park_submissions.reader`:
CSV or XLSX, UTF-8 or GBK, Chinese or English headers, money in 元/万元/亿元, a 合计 row), every row is
validated, a failing row is quarantined with the rule it broke, a file rejected whole (a required column
missing) has every line quarantined with that error while the other files land, and an enterprise
reported twice keeps one row (newest period, then file and row order) while the other is quarantined as
superseded.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from extractors.park_submissions import reader
from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.landing import BatchReport, land_batch
from parkplatform.origin import GENERATED_MARKER, ORIGIN_GENERATED, is_generated

log = logging.getLogger(__name__)

SOURCE = "park_submissions"
ORIGIN_OFFICE = "park_office"
SubmissionFileError = reader.SubmissionFileError


def submission_period(logical_date: date) -> str:
    return f"{logical_date:%Y-%m}"


def submissions_dir(sources_dir: Path, logical_date: date) -> Path:
    """Where the offices' files for the period of ``logical_date`` arrive."""
    return sources_dir / SOURCE / f"period={submission_period(logical_date)}"


def registry_parks(settings: Settings) -> pl.DataFrame:
    """Zones of the registry with their province's 2-digit code, whether their code is shared and
    the clusters their declared leading industries map to (``clusters``, sorted)."""
    registry = catalogue.valid_registry(settings)
    province_codes = catalogue.provinces().select(
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


def land_files(settings: Settings, logical_date: date, files: list[Path]) -> BatchReport:
    """Read, validate and deduplicate the period's files and land them as one batch."""
    parks = registry_parks(settings)
    origin = ORIGIN_GENERATED if files and all(is_generated(path.parent) for path in files) else ORIGIN_OFFICE
    received = reader.read_submissions(files).with_columns(
        pl.lit(submission_period(logical_date)).alias("period"),
        pl.lit(origin).alias("data_origin"),
    )
    rules = reader.submission_rules(
        known_parks=parks["zone_code"].to_list(),
        shared_codes=parks.filter("code_is_shared")["zone_code"].to_list(),
        classes=reader.industry_classes(settings.reference_dir) if settings.reference_dir else None,
    )
    kept, superseded = reader.resolve_duplicates(reader.validate(received, rules))
    return land_batch(
        pl.concat([kept, superseded], how="diagonal"),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
    )


def period_files(settings: Settings, logical_date: date) -> list[Path]:
    """The files the offices sent for the period: every file of its folder but the generated marker (a file the
    reader cannot read is rejected whole, with its reason, never skipped)."""
    folder = submissions_dir(settings.sources_dir, logical_date)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{SOURCE}: no submissions for {submission_period(logical_date)}: {folder} does not exist "
            "(offices' files arrive there; the demo writes generated ones with python -m simulators.sources)"
        )
    return sorted(path for path in folder.iterdir() if path.is_file() and path.name != GENERATED_MARKER)


def extract(settings: Settings, logical_date: date) -> BatchReport:
    return land_files(settings, logical_date, period_files(settings, logical_date))
