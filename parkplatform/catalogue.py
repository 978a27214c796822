"""The development-zone catalogue every source keys on: the 2018 China Development Zone Audit Catalogue
(2,543 zones), as read from the reference folder, with the lookups that go with it (provinces, zone
types). Shared by the sources (the park registry lands it; park submissions, alliance members and the
CRM check park codes against it), so it lives in the shared layer, not in a source.

The catalogue is read from ``parks/development_zones_2018.csv`` under ``PARK_REFERENCE_DIR`` (an offline
mirror, or the folder ``park reference fetch`` assembles from the public upstream: ``park/reference.py``). A generated reference folder (written by
``python -m simulators.reference``: demonstration zones in the catalogue's layout, with a
``generated.json``) is read the same way and labelled ``generated`` in ``data_origin``; the real one
``catalogue_2018``. Without ``PARK_REFERENCE_DIR`` the extractor fails and says what to set.

Reading keeps the catalogue's values as text under English column names; typing and enrichment
happen in :mod:`parkplatform.registry_enrichment`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from parkplatform.config import REPO_ROOT, Settings
from parkplatform.landing import REJECT_REASON, first_reject_reason, read_text_csv
from parkplatform.origin import ORIGIN_GENERATED, is_generated

# the source that lands the catalogue (extractors.park_registry); its rows carry this as _source
SOURCE = "park_registry"
CATALOGUE_FILE = Path("parks") / "development_zones_2018.csv"
ORIGIN_CATALOGUE = "catalogue_2018"

CATALOGUE_COLUMNS = {
    "序号": "catalogue_seq",
    "代码": "zone_code",
    "开发区名称": "zone_name",
    "省份": "province_name",
    "城市/区县": "city_district",
    "批准级别": "approval_level",
    "开发区类型": "zone_type_cn",
    "批准时间": "approval_date_raw",
    "核准面积_公顷": "approved_area_ha_raw",
    "主导产业": "leading_industries",
    "经度_WGS84": "longitude_raw",
    "纬度_WGS84": "latitude_raw",
    "格式化地址": "formatted_address",
    "状态": "geocode_status",
}
APPROVAL_LEVELS = ("国务院", "省政府")
ZONE_CODE_PATTERN = r"^[GS]\d{6}$"
APPROVAL_DATE_PATTERN = r"^\d{4}\.\d{2}(/\d{4}\.\d{2})?$"
NUMBER_PATTERN = r"^-?\d+(\.\d+)?$"

VALIDATION_RULES: list[tuple[str, pl.Expr]] = [
    ("zone_code (代码) is missing", pl.col("zone_code").is_null()),
    (
        "zone_code (代码) is not G or S followed by 6 digits",
        ~pl.col("zone_code").str.contains(ZONE_CODE_PATTERN),
    ),
    ("zone_name (开发区名称) is missing", pl.col("zone_name").is_null()),
    ("province_name (省份) is missing", pl.col("province_name").is_null()),
    (
        "approval_level (批准级别) is not 国务院 or 省政府",
        ~pl.col("approval_level").is_in(APPROVAL_LEVELS),
    ),
    (
        "approval_date_raw (批准时间) is not YYYY.MM or YYYY.MM/YYYY.MM",
        pl.col("approval_date_raw").is_not_null() & ~pl.col("approval_date_raw").str.contains(APPROVAL_DATE_PATTERN),
    ),
    (
        "approved_area_ha_raw (核准面积_公顷) is not a non-negative number",
        pl.col("approved_area_ha_raw").is_not_null()
        & (
            ~pl.col("approved_area_ha_raw").str.contains(NUMBER_PATTERN)
            | pl.col("approved_area_ha_raw").str.starts_with("-")
        ),
    ),
]


def read_catalogue(reference_dir: Path) -> pl.DataFrame:
    """The catalogue as text, trimmed, with blank cells as null and each row's place in the file;
    ``data_origin`` is ``generated`` for a generated reference folder, else ``catalogue_2018``."""
    path = reference_dir / CATALOGUE_FILE
    origin = ORIGIN_GENERATED if is_generated(reference_dir) else ORIGIN_CATALOGUE
    return read_text_csv(path, CATALOGUE_COLUMNS).with_columns(pl.lit(origin).alias("data_origin"))


def provinces() -> pl.DataFrame:
    return pl.read_csv(REPO_ROOT / "dbt_project" / "seeds" / "province_names.csv", infer_schema=False)


def zone_types() -> pl.DataFrame:
    return pl.read_csv(REPO_ROOT / "dbt_project" / "seeds" / "zone_types.csv", infer_schema=False)


def read_registry(settings: Settings) -> pl.DataFrame:
    """The registry as received from the configured reference folder (real or generated)."""
    if settings.reference_dir is None:
        raise FileNotFoundError(
            f"{SOURCE}: PARK_REFERENCE_DIR is not set; the catalogue is read from <reference>/{CATALOGUE_FILE} "
            "(point it at the real reference data, fetched with `park reference fetch` into "
            f"{settings.upstream_reference_dir}, or at a generated folder: python -m simulators.reference "
            "--target DIR --parks N --seed S)"
        )
    return read_catalogue(settings.reference_dir)


def validate(received: pl.DataFrame) -> pl.DataFrame:
    return received.with_columns(first_reject_reason(VALIDATION_RULES))


def valid_registry(settings: Settings) -> pl.DataFrame:
    """The registry's rows that pass its validation rules (the catalogue other sources check codes against)."""
    return validate(read_registry(settings)).filter(pl.col(REJECT_REASON).is_null()).drop(REJECT_REASON)


def catalogue_codes(settings: Settings) -> list[str]:
    """Zone codes of the park registry (the catalogue of PARK_REFERENCE_DIR, real or generated)."""
    return sorted(valid_registry(settings)["zone_code"].unique().to_list())
