"""Province indicators: NBS "Annual by Province" export of Gross Regional Product (100 million yuan).

The real export (``china/province_gdp_annual.xls`` under ``PARK_REFERENCE_DIR``; NBS also offers the
same export as ``.xlsx``, read when there is no ``.xls``) is messy: metadata
lines above the header (database, indicator with its unit, year range), one row per region with
English names, one column per year, and a source line below. The header row is found (the row whose
cells after the first are all years), the unit is read from the indicator line and checked, and the
table is turned long: one row per province and year, with the province's GB/T 2260 adcode and the
value converted from 100 million yuan to yuan (exact decimal arithmetic, then Float64).

A region name that maps to no province, a missing or non-numeric value, or a header cell that is not
a year is quarantined with its reason. ``_source_row`` is the row's line in the sheet (1-based).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from parkplatform import catalogue
from parkplatform.config import Settings
from parkplatform.landing import BatchReport, first_reject_reason, land_batch

log = logging.getLogger(__name__)

SOURCE = "nbs_province_gdp"
WORKBOOK = Path("china") / "province_gdp_annual.xls"
WORKBOOK_XLSX = WORKBOOK.with_suffix(".xlsx")  # the same export in NBS's other format
INDICATOR = "Gross Regional Product"
UNIT = "100 million yuan"
YUAN_PER_UNIT = 100_000_000
YEAR_PATTERN = r"^\d{4}$"
NUMBER_PATTERN = r"^\d+(\.\d+)?$"

# NBS and other English spellings that differ from province_names.csv (compared lower-cased, single-spaced)
NAME_ALIASES = {
    "xizang": "tibet",
    "tibet autonomous region": "tibet",
    "nei mongol": "inner mongolia",
    "inner mongolia autonomous region": "inner mongolia",
    "guangxi zhuang autonomous region": "guangxi",
    "ningxia hui autonomous region": "ningxia",
    "xinjiang uygur autonomous region": "xinjiang",
    "xinjiang uyghur autonomous region": "xinjiang",
    "shensi": "shaanxi",
}

VALIDATION_RULES: list[tuple[str, pl.Expr]] = [
    ("province_name_en (Region) is missing", pl.col("province_name_en").is_null()),
    ("province_name_en (Region) does not map to a GB/T 2260 province", pl.col("province_adcode").is_null()),
    ("year (header cell) is not a 4-digit year", ~pl.col("year").str.contains(YEAR_PATTERN)),
    ("gdp_100m_cny (value) is missing", pl.col("gdp_100m_cny").is_null()),
    (
        "gdp_100m_cny (value) is not a non-negative number",
        ~pl.col("gdp_100m_cny").str.contains(NUMBER_PATTERN),
    ),
]


class NbsLayoutError(ValueError):
    """The export does not have the expected layout (no header row, another indicator or unit)."""


def _name_key(expr: pl.Expr) -> pl.Expr:
    return expr.str.strip_chars().str.to_lowercase().str.replace_all(r"\s+", " ")


def province_lookup() -> pl.DataFrame:
    """English name key -> 6-digit adcode, from the dbt seed province_names.csv."""
    return catalogue.provinces().select(
        _name_key(pl.col("province_name_en")).alias("_name_key"),
        pl.col("province_adcode"),
    )


def read_sheet(path: Path) -> pl.DataFrame:
    """Every cell as text, with the sheet's line numbers in ``_line``."""
    raw = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0)
    return raw.with_columns(pl.all().cast(pl.String).str.strip_chars().replace("", None)).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_line")
    )


def find_header(sheet: pl.DataFrame, path: Path) -> int:
    """Index of the header row: a label first, then only years (empty cells allowed), at least one."""
    value_columns = [c for c in sheet.columns if c != "_line"][1:]
    is_header = (
        pl.col(sheet.columns[0]).is_not_null()
        & pl.any_horizontal(pl.col(value_columns).is_not_null())
        & pl.all_horizontal(pl.col(value_columns).is_null() | pl.col(value_columns).str.contains(YEAR_PATTERN))
    )
    found = sheet.with_row_index("_index").filter(is_header)
    if found.is_empty():
        raise NbsLayoutError(f"{path}: no header row (a label followed by year columns) found")
    return int(found["_index"][0])


def check_indicator(metadata: pl.DataFrame, path: Path) -> None:
    """The lines above the header must name the indicator and its unit; another unit would mis-scale."""
    lines = metadata.select(pl.concat_str(pl.exclude("_line"), separator=" ", ignore_nulls=True)).to_series()
    if not lines.str.contains(INDICATOR, literal=True).any():
        raise NbsLayoutError(f"{path}: the metadata lines do not name {INDICATOR!r}: {lines.to_list()}")
    if not lines.str.contains(f"({UNIT})", literal=True).any():
        raise NbsLayoutError(f"{path}: the unit is not ({UNIT}); refusing to scale: {lines.to_list()}")


def workbook_path(reference_dir: Path) -> Path:
    """The export in the reference folder: ``province_gdp_annual.xls`` when present, else ``.xlsx``."""
    for name in (WORKBOOK, WORKBOOK_XLSX):
        if (reference_dir / name).is_file():
            return reference_dir / name
    raise FileNotFoundError(
        f"{SOURCE}: no NBS export in {reference_dir}: looked for <reference>/{WORKBOOK} and <reference>/{WORKBOOK_XLSX}"
    )


def read_export(path: Path) -> pl.DataFrame:
    """The export in long format, as received (not yet validated)."""
    return parse_sheet(read_sheet(path), path)


def parse_sheet(sheet: pl.DataFrame, path: Path) -> pl.DataFrame:
    """A sheet read by ``read_sheet`` (text cells plus ``_line``) turned into long format."""
    header_index = find_header(sheet, path)
    check_indicator(sheet.head(header_index), path)
    label_column = sheet.columns[0]
    header = sheet.row(header_index, named=True)
    year_columns = {c: header[c] for c in sheet.columns[1:] if c != "_line" and header[c] is not None}

    body = sheet.slice(header_index + 1)
    has_value = pl.any_horizontal(pl.col(list(year_columns)).is_not_null())
    # notes below the table (e.g. "Data Sources：National Bureau of Statistics") carry no value
    last_data = body.with_row_index("_index").filter(has_value)["_index"].max()
    table = body.head(0 if last_data is None else int(last_data) + 1)
    notes = body.slice(table.height).filter(pl.col(label_column).is_not_null())[label_column].to_list()
    if notes:
        log.info("%s: %d note line(s) below the table: %s", path, len(notes), notes)

    lookup = province_lookup()
    return (
        table.select(
            pl.col(label_column).alias("province_name_en"), pl.col("_line"), *[pl.col(c) for c in year_columns]
        )
        .rename(year_columns)
        .unpivot(index=["province_name_en", "_line"], variable_name="year", value_name="gdp_100m_cny")
        .with_columns(_name_key(pl.col("province_name_en")).replace(NAME_ALIASES).alias("_name_key"))
        .join(lookup, on="_name_key", how="left", maintain_order="left")
        .with_columns(
            (pl.col("gdp_100m_cny").cast(pl.Decimal(38, 6), strict=False) * pl.lit(YUAN_PER_UNIT, dtype=pl.Int64))
            .cast(pl.Float64)
            .alias("gdp_cny"),
            pl.lit(str(path)).alias("_source_file"),
        )
        .select(
            "province_adcode",
            "province_name_en",
            "year",
            "gdp_cny",
            "gdp_100m_cny",
            "_source_file",
            pl.col("_line").alias("_source_row"),
        )
    )


def validate(received: pl.DataFrame) -> pl.DataFrame:
    return received.with_columns(first_reject_reason(VALIDATION_RULES))


def extract(settings: Settings, logical_date: date) -> BatchReport:
    if settings.reference_dir is None:
        raise FileNotFoundError(
            f"{SOURCE}: PARK_REFERENCE_DIR is not set; the NBS export is read from <reference>/{WORKBOOK} "
            f"(or <reference>/{WORKBOOK_XLSX})"
        )
    return land_batch(
        validate(read_export(workbook_path(settings.reference_dir))),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
    )
