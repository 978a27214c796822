"""Park submissions: each park office's spreadsheet of the enterprises in its park, per period.

No public data exists, so the period's files are generated (labelled as generated) from the park
registry and then read back exactly as real submissions would be: every row is validated and a
failing row is quarantined with the rule it broke.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from extractors import credit_code, generator, park_registry
from parkplatform.config import Settings
from parkplatform.landing import BatchReport, first_reject_reason, land_batch

log = logging.getLogger(__name__)

SOURCE = "park_submissions"
INTEGER_PATTERN = r"^\d+$"
AMOUNT_PATTERN = r"^\d+(\.\d+)?$"


class SubmissionFileError(ValueError):
    """A submission file that cannot be read as a whole (e.g. a required column is missing)."""


def validation_rules(known_parks: list[str], shared_codes: list[str]) -> list[tuple[str, pl.Expr]]:
    return [
        ("credit_code (统一社会信用代码) is missing", pl.col("credit_code").is_null()),
        (
            "credit_code (统一社会信用代码) fails the GB 32100-2015 format or check character",
            ~credit_code.is_valid(pl.col("credit_code")),
        ),
        ("enterprise_name (企业名称) is missing", pl.col("enterprise_name").is_null()),
        (
            "park_code (园区代码) is shared by several registry zones; the park cannot be told apart",
            pl.col("park_code").is_in(shared_codes),
        ),
        ("park_code (园区代码) is not a zone of the park registry", ~pl.col("park_code").is_in(known_parks)),
        (
            "industry_code (行业代码) is not a 4-digit GB/T 4754 class",
            ~pl.col("industry_code").str.contains(r"^\d{4}$"),
        ),
        ("employees (从业人员) is not a non-negative integer", ~pl.col("employees").str.contains(INTEGER_PATTERN)),
        (
            "revenue_10k_cny (营业收入（万元）) is not a non-negative amount",
            ~pl.col("revenue_10k_cny").str.contains(AMOUNT_PATTERN),
        ),
    ]


def read_submission(path: Path) -> pl.DataFrame:
    frame = pl.read_csv(path, infer_schema=False)
    missing = [column for column in generator.SUBMISSION_COLUMNS if column not in frame.columns]
    if missing:
        raise SubmissionFileError(f"{path}: required column(s) {', '.join(missing)} missing; file rejected whole")
    return (
        frame.select(generator.SUBMISSION_COLUMNS)
        .with_columns(
            pl.all().str.strip_chars().replace("", None),
        )
        .with_columns(
            pl.lit(str(path)).alias("_source_file"),
            (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_source_row"),
            pl.lit(park_registry.ORIGIN_GENERATED).alias("data_origin"),
        )
    )


def registry_parks(settings: Settings) -> pl.DataFrame:
    """Zones of the registry with their province's 2-digit code and whether their code is shared."""
    registry = park_registry.validate(park_registry.read_registry(settings)).filter(pl.col("_reject_reason").is_null())
    province_codes = park_registry.provinces().select(
        pl.col("province_name_cn").alias("province_name"),
        pl.col("province_adcode").str.slice(0, 2).alias("province_adcode2"),
    )
    return (
        registry.join(province_codes, on="province_name", how="left")
        .select("zone_code", "province_adcode2", (pl.len().over("zone_code") > 1).alias("code_is_shared"))
        .unique("zone_code")
        .sort("zone_code")
    )


def extract(settings: Settings, logical_date: date) -> BatchReport:
    parks = registry_parks(settings)
    # Park offices of zones with a shared catalogue code cannot be told apart: none is generated.
    submitting = parks.filter(~pl.col("code_is_shared") & pl.col("province_adcode2").is_not_null())
    target = generator.submissions_dir(settings.sources_dir, logical_date)
    files = generator.generate_park_submissions(
        submitting,
        target=target,
        enterprises=settings.scale.enterprises,
        parks=settings.scale.parks,
        seed=settings.seed,
        bad_row_rate=settings.bad_row_rate,
    )
    received = pl.concat([read_submission(path) for path in files])
    rules = validation_rules(
        known_parks=parks["zone_code"].to_list(),
        shared_codes=parks.filter("code_is_shared")["zone_code"].to_list(),
    )
    validated = received.with_columns(first_reject_reason(rules))
    return land_batch(validated, source=SOURCE, logical_date=logical_date, landing_dir=settings.landing_dir)
