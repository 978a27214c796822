"""Park registry: the 2018 China Development Zone Audit Catalogue (2,543 zones).

With ``PARK_REFERENCE_DIR`` set, the real catalogue is read from ``parks/development_zones_2018.csv``
(in production the same file is pulled from upstream). Without it, a deterministic registry of
``scale.parks`` zones is generated and labelled as generated in ``data_origin``.

Landing keeps the catalogue's values as text under English column names; typing and mapping happen
in the Polars normalisation step.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from parkplatform.config import REPO_ROOT, Settings
from parkplatform.landing import BatchReport, first_reject_reason, land_batch, read_text_csv

log = logging.getLogger(__name__)

SOURCE = "park_registry"
CATALOGUE_FILE = Path("parks") / "development_zones_2018.csv"
ORIGIN_CATALOGUE = "catalogue_2018"
ORIGIN_GENERATED = "generated"

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
    """The catalogue as text, trimmed, with blank cells as null and each row's place in the file."""
    path = reference_dir / CATALOGUE_FILE
    return read_text_csv(path, CATALOGUE_COLUMNS).with_columns(pl.lit(ORIGIN_CATALOGUE).alias("data_origin"))


def provinces() -> pl.DataFrame:
    return pl.read_csv(REPO_ROOT / "dbt_project" / "seeds" / "province_names.csv", infer_schema=False)


def zone_types() -> pl.DataFrame:
    return pl.read_csv(REPO_ROOT / "dbt_project" / "seeds" / "zone_types.csv", infer_schema=False)


GENERATED_INDUSTRIES = (
    "新材料",
    "电子信息",
    "装备制造",
    "汽车及零部件",
    "生物医药",
    "新能源",
    "节能环保",
    "化工",
    "食品",
    "纺织服装",
    "现代物流",
    "电子商务",
    "软件和信息服务",
    "文化旅游",
    "现代农业",
)


def generate_registry(parks: int, seed: int) -> pl.DataFrame:
    """A deterministic registry shaped like the catalogue, for machines without the reference data."""
    rng = np.random.default_rng(seed)
    province_table = provinces()
    type_table = zone_types()
    index = np.arange(parks)
    national = index % 4 == 0
    province_pick = rng.integers(0, province_table.height, parks)
    type_pick = rng.integers(0, type_table.height, parks)
    industries = np.array(GENERATED_INDUSTRIES)
    industry_picks = rng.integers(0, len(industries), (parks, 3))
    province_names = province_table["province_name_cn"].to_numpy()[province_pick]
    province_codes = province_table["province_adcode"].str.slice(0, 2).to_numpy()[province_pick]
    return pl.DataFrame(
        {
            "catalogue_seq": [str(i + 1) for i in index],
            "zone_code": [
                f"{'G' if is_national else 'S'}{code}{i:04d}"
                for i, is_national, code in zip(index, national, province_codes, strict=True)
            ],
            "zone_name": [
                f"{name[:2]}生成示范开发区{i + 1:04d}" for i, name in zip(index, province_names, strict=True)
            ],
            "province_name": province_names,
            "city_district": None,
            "approval_level": np.where(national, "国务院", "省政府"),
            "zone_type_cn": type_table["zone_type_cn"].to_numpy()[type_pick],
            "approval_date_raw": [
                f"{y}.{m:02d}" for y, m in zip(rng.integers(1990, 2018, parks), rng.integers(1, 13, parks), strict=True)
            ],
            "approved_area_ha_raw": [f"{a:.2f}" for a in rng.lognormal(6.5, 1.0, parks)],
            "leading_industries": ["、".join(dict.fromkeys(row)) for row in industries[industry_picks]],
            "longitude_raw": None,
            "latitude_raw": None,
            "formatted_address": None,
            "geocode_status": None,
            "data_origin": ORIGIN_GENERATED,
            "_source_file": f"generated:{SOURCE}:seed={seed}",
            "_source_row": np.arange(1, parks + 1, dtype=np.int64),
        },
        schema_overrides={
            "city_district": pl.String,
            "longitude_raw": pl.String,
            "latitude_raw": pl.String,
            "formatted_address": pl.String,
            "geocode_status": pl.String,
        },
    )


def read_registry(settings: Settings) -> pl.DataFrame:
    """The registry as received: the real catalogue when configured, else a generated one."""
    if settings.reference_dir is not None:
        return read_catalogue(settings.reference_dir)
    log.warning("PARK_REFERENCE_DIR is not set: generating a registry of %d parks", settings.scale.parks)
    return generate_registry(settings.scale.parks, settings.seed)


def validate(received: pl.DataFrame) -> pl.DataFrame:
    return received.with_columns(first_reject_reason(VALIDATION_RULES))


def extract(settings: Settings, logical_date: date) -> BatchReport:
    """Land the registry; the batch records how well the cluster keyword seed covers its 主导产业."""
    read = read_registry(settings)
    return land_batch(
        validate(read),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
        details=cluster_coverage_details(read),
    )


def cluster_coverage_details(read: pl.DataFrame, top: int = 20) -> dict:
    """Share of the (valid) zones with at least one mapped cluster and the most frequent unmapped terms."""
    from extractors import registry_enrichment

    report = registry_enrichment.cluster_coverage(registry_enrichment.registry_frame(read))
    return {
        "zones": report.zones,
        "zones_with_cluster": report.zones_with_cluster,
        "cluster_coverage": round(report.share, 4),
        "unmapped_terms": [
            list(row) for row in report.unmapped_terms.head(top).select("industry_term", "occurrences").iter_rows()
        ],
    }
