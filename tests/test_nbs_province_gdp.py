"""NBS province GDP export: header found below the metadata, names mapped to adcodes, 亿元 -> yuan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from extractors.nbs_province_gdp import extract as nbs_province_gdp
from extractors.nbs_province_gdp.extract import NbsLayoutError
from parkplatform.config import get_settings
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE, batch_dir, read_report

LOGICAL_DATE = date(2026, 11, 23)


def test_real_export_lands_31_provinces_by_20_years_in_yuan(monkeypatch, data_dir, reference_dir):
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    report = nbs_province_gdp.extract(get_settings(), LOGICAL_DATE)
    assert (report.received, report.landed, report.quarantined) == (31 * 20, 620, 0)
    assert [(f.received, f.landed, f.quarantined) for f in report.files] == [(620, 620, 0)]

    folder = batch_dir(get_settings().landing_dir, "nbs_province_gdp", LOGICAL_DATE)
    landed = pl.read_parquet(folder / LANDED_FILE)
    assert landed["province_adcode"].n_unique() == 31
    assert landed["year"].unique().sort().to_list() == [str(year) for year in range(2004, 2024)]
    assert landed.group_by("province_adcode").len()["len"].unique().to_list() == [20]
    assert landed.select("province_adcode", "year").is_duplicated().sum() == 0

    def gdp(adcode: str, year: str) -> tuple[str, float]:
        row = landed.filter((pl.col("province_adcode") == adcode) & (pl.col("year") == year))
        return row["gdp_100m_cny"].item(), row["gdp_cny"].item()

    # read by hand in the sheet: Beijing 2023 = 43760.7, Guangdong 2023 = 135673.2, Tibet 2004 = 217.9 (亿元)
    assert gdp("110000", "2023") == ("43760.7", 4_376_070_000_000.0)
    assert gdp("440000", "2023") == ("135673.2", 13_567_320_000_000.0)
    assert gdp("540000", "2004") == ("217.9", 21_790_000_000.0)
    # lines 1-3 are metadata, line 4 the header: Beijing sits on line 5, Xinjiang (last) on line 35
    assert landed.filter(pl.col("province_name_en") == "Beijing")["_source_row"].unique().to_list() == [5]
    assert landed.filter(pl.col("province_adcode") == "650000")["_source_row"].unique().to_list() == [35]
    assert landed.filter(pl.col("province_adcode") == "150000")["province_name_en"].unique().to_list() == [
        "Inner Mongolia"
    ]
    assert pl.read_parquet(folder / QUARANTINED_FILE).height == 0
    assert read_report(folder).received == 620


def _sheet(rows: list[list[str | None]]) -> pl.DataFrame:
    width = max(len(row) for row in rows)
    padded = [row + [None] * (width - len(row)) for row in rows]
    frame = pl.DataFrame({f"column_{i}": [row[i] for row in padded] for i in range(width)}).cast(pl.String)
    return frame.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_line"))


METADATA = [
    ["Database：Annual by Province"],
    ["Indicators：Gross Regional Product(100 million yuan)"],
    ["Year：LATEST 2 years"],
    ["Note: a fourth metadata line the header search must skip"],
]


def test_messy_layout_aliases_and_unknown_regions_are_handled():
    sheet = _sheet(
        [
            *METADATA,
            ["Region", "2023", "2022"],
            ["Beijing", "43760.7", "41540.9"],
            ["Xizang", "2392.7", "2150.2"],
            ["  inner   mongolia ", "24627.0", None],
            ["Taiwan", "1.0", "2.0"],
            ["Hebei", "n/a", "41988.0"],
            [None, None, None],
            ["Data Sources：National Bureau of Statistics"],
        ]
    )
    checked = nbs_province_gdp.validate(nbs_province_gdp.parse_sheet(sheet, Path("x.xls")))
    assert checked.height == 5 * 2, "notes and blank lines below the table are not rows"
    result = checked.select("province_name_en", "province_adcode", "year", "gdp_cny", "_source_row", "_reject_reason")
    assert result.sort("_source_row", "year").rows() == [
        ("Beijing", "110000", "2022", 4_154_090_000_000.0, 6, None),
        ("Beijing", "110000", "2023", 4_376_070_000_000.0, 6, None),
        ("Xizang", "540000", "2022", 215_020_000_000.0, 7, None),
        ("Xizang", "540000", "2023", 239_270_000_000.0, 7, None),
        ("  inner   mongolia ", "150000", "2022", None, 8, "gdp_100m_cny (value) is missing"),
        ("  inner   mongolia ", "150000", "2023", 2_462_700_000_000.0, 8, None),
        ("Taiwan", None, "2022", 200_000_000.0, 9, "province_name_en (Region) does not map to a GB/T 2260 province"),
        ("Taiwan", None, "2023", 100_000_000.0, 9, "province_name_en (Region) does not map to a GB/T 2260 province"),
        ("Hebei", "130000", "2022", 4_198_800_000_000.0, 10, None),
        ("Hebei", "130000", "2023", None, 10, "gdp_100m_cny (value) is not a non-negative number"),
    ]


def test_another_unit_is_refused_rather_than_mis_scaled():
    sheet = _sheet(
        [["Indicators：Gross Regional Product(10 thousand yuan)"], ["Region", "2023"], ["Beijing", "437607000"]]
    )
    with pytest.raises(NbsLayoutError, match="unit is not \\(100 million yuan\\)"):
        nbs_province_gdp.parse_sheet(sheet, Path("x.xls"))


def test_a_sheet_without_a_year_header_is_refused():
    sheet = _sheet([["Indicators：Gross Regional Product(100 million yuan)"], ["Beijing", "43760.7"]])
    with pytest.raises(NbsLayoutError, match="no header row"):
        nbs_province_gdp.parse_sheet(sheet, Path("x.xls"))


def test_without_reference_dir_extract_says_where_the_file_is_read(monkeypatch, data_dir):
    monkeypatch.delenv("PARK_REFERENCE_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="PARK_REFERENCE_DIR"):
        nbs_province_gdp.extract(get_settings(), LOGICAL_DATE)
