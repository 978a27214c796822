"""Park submissions in the layouts park offices really send, read from hand-made files.

The files are in tests/fixtures/offices (their README.md says what each one is and proves); none is
written by the generator. Every assertion is on exact counts per file, exact reasons and exact landed
values, after the same validation the extractor applies (real catalogue, real GB/T 4754-2017 classes).
"""

from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path
from typing import NamedTuple

import fastexcel
import polars as pl
import pytest

from extractors.park_submissions import reader
from parkplatform.catalogue import read_catalogue
from parkplatform.landing import LANDED_FILE, REJECT_REASON, land_batch

FIXTURES = Path(__file__).parent / "fixtures" / "offices"
TIANJIN = "G121002"  # 天津经济技术开发区
TAISHANG = "G356030"  # 福州台商投资区
YUANHONG = "G356025"  # 福州元洪投资区

BLANK = reader.BLANK_ROW_REASON
TOTALS = reader.TOTALS_ROW_REASON
NOTES = reader.NOTES_ROW_REASON
REPEATED_HEADER = reader.REPEATED_HEADER_REASON
NO_FIGURES = reader.NO_FIGURES_REASON
# what a landed row is compared on (the other columns are null in these files unless a test says so)
FIGURES = ("credit_code", "enterprise_name", "park_code", "industry_code", "employees", "revenue_10k_cny")


class Registry(NamedTuple):
    names: dict[str, str]  # a zone's full name -> its code (title-line recognition)
    rules: list[tuple[str, pl.Expr]]  # the extractor's validation rules


@pytest.fixture(scope="module")
def registry(reference_dir: Path) -> Registry:
    zones = read_catalogue(reference_dir).select("zone_code", "zone_name")
    shared = zones.filter(pl.len().over("zone_code") > 1)["zone_code"].unique().to_list()
    rules = reader.submission_rules(
        known_parks=zones["zone_code"].unique().to_list(),
        shared_codes=shared,
        classes=reader.industry_classes(reference_dir),
    )
    return Registry(dict(zip(zones["zone_name"], zones["zone_code"], strict=True)), rules)


def received(registry: Registry, name: str, park: str | None) -> pl.DataFrame:
    """The file read as the extractor reads it (``park`` = its inbox folder's park, if any), validated."""
    path = FIXTURES / name
    frame = reader.read_submissions([path], park_of={path: park} if park else None, park_names=registry.names)
    return reader.validate(frame, registry.rules)


def counts(frame: pl.DataFrame) -> tuple[int, int, int]:
    """(received, landed, quarantined) of the one file of ``frame``."""
    (row,) = reader.file_counts(frame).rows()
    return row[1:]


def test_gbk_csv_names_its_park_in_the_title_line_and_has_no_park_column(registry):
    """天津经济技术开发区入驻企业统计表 above the header is the only place the park is named."""
    path = FIXTURES / "tianjin_title_gbk.csv"
    read = reader.read_spreadsheet(path, park_names=registry.names)
    assert (read.encoding, read.header_row, read.park_code, read.revenue_unit) == ("gb18030", 3, TIANJIN, "千元")
    assert read.columns["industry_code"] == "行业类别（代码）"  # the bracket is part of the name, not a unit
    assert read.unknown_headers == {}  # 序号 and 备注 are expected columns

    frame = received(registry, path.name, park=None)
    assert counts(frame) == (8, 6, 2)
    assert frame.select("_source_row", REJECT_REASON).rows()[-2:] == [(10, TOTALS), (11, NOTES)]
    assert frame.filter(pl.col(REJECT_REASON).is_null()).select(*FIGURES, "tax_10k_cny").rows() == [
        ("91120116MA05K1A001", "天津泰达汽车零部件有限公司", TIANJIN, "3670", "420", "18650", "932"),
        ("91120116MA06B2C30B", "天津滨海新能源汽车有限公司", TIANJIN, "3612", "1260", "235000", "11280.05"),
        ("91120116MA07D4E509", "天津开发区生物医药有限公司", TIANJIN, "2720", "85", "4560", None),
        ("91120116600512345R", "天津泰达精密机械有限公司", TIANJIN, "3311", "36", "880", "41"),
        ("91120116MA05L7Q80U", "天津经开区软件科技有限公司", TIANJIN, "6513", "150", "3200.05", "150"),
        ("91120116MA0691F20L", "天津滨海锂电科技有限公司", TIANJIN, "3841", "310", "9600", "410"),
    ]
    # ownership, established date and high-tech flag are not in the file: null, not guessed
    landed = frame.filter(pl.col(REJECT_REASON).is_null())
    assert landed.select("ownership", "established", "high_tech").null_count().row(0) == (6, 6, 6)

    # without the names of the catalogue nothing tells the park: the enterprises wait in quarantine
    unnamed = reader.validate(reader.read_submissions([path]), registry.rules)
    assert unnamed[REJECT_REASON].to_list() == [reader.PARK_MISSING_REASON] * 6 + [TOTALS, NOTES]


def test_office_workbook_with_title_unit_line_merges_repeated_header_sum_row_and_notes(registry):
    path = FIXTURES / "G356030_office_layout.xlsx"
    read = reader.read_spreadsheet(path, park_code=TAISHANG)
    assert (read.file_format, read.sheet, read.header_row, read.revenue_unit) == ("xlsx", "入园企业", 3, "万元")
    assert read.columns["employees"] == "从业人员期末人数"
    assert (read.columns["tax_10k_cny"], read.columns["rnd_10k_cny"]) == ("实缴税金", "研发投入")

    frame = received(registry, path.name, park=TAISHANG)
    assert counts(frame) == (14, 8, 6)
    assert frame.filter(pl.col(REJECT_REASON).is_not_null()).select("_source_row", REJECT_REASON).rows() == [
        (9, REPEATED_HEADER),
        (13, TOTALS),
        (14, BLANK),
        (15, NOTES),  # 注：1．本表由园区管委会填报… (merged across the table)
        (16, NOTES),  # 2．从业人员为期末人数… (a one-cell line of the same notes)
        (17, NOTES),  # 填表人：… 联系电话：… 填报日期：…
    ]
    landed = frame.filter(pl.col(REJECT_REASON).is_null())
    assert landed["_source_row"].to_list() == [4, 5, 6, 7, 8, 10, 11, 12]
    columns = (*FIGURES, "established", "high_tech", "tax_10k_cny", "rnd_10k_cny")
    assert landed.select(columns).rows()[:2] == [
        ("91350123MA2Y1A100E", "福州罗源湾特钢有限公司", TAISHANG, "3120", "1860", "486000", "2006-08-18", "N", "13250.6", "2100"),
        ("91350123MA2Y2B2003", "福州台商鞋业有限公司", TAISHANG, "1952", "1240", "38600.5", "2012-03-08", "N", "980", None),
    ]  # fmt: skip
    assert landed.filter(pl.col("_source_row") == 11).select(columns).row(0) == (
        "91350123MA2Y7G700A", "福州罗源湾门窗有限公司", TAISHANG, "3312", "75", "5600.8", "2021-04-01", "Y", "140", "310",
    )  # fmt: skip
    # the 合计 row's =SUM(...) cells come as their cached values, kept with the quarantined row
    assert frame.filter(pl.col("_source_row") == 13).select("employees", "revenue_10k_cny", "tax_10k_cny").row(0) == (
        "4389",
        "663651.55",
        "17548.5",
    )


def test_unit_from_the_notes_sheet_and_the_visible_list_not_last_years_hidden_one(registry):
    path = FIXTURES / "G356025_notes_sheet_hidden_old.xlsx"
    workbook = fastexcel.read_excel(path)
    sheets = {name: workbook.load_sheet(name, header_row=None) for name in workbook.sheet_names}
    assert [(name, sheet.visible, sheet.height) for name, sheet in sheets.items()] == [
        ("说明", "visible", 4),
        ("2025年名录", "hidden", 11),  # the fullest list, but last year's and hidden
        ("2026年10月", "visible", 7),
        ("其中新入园", "visible", 2),  # a visible list too, with fewer rows
    ]
    read = reader.read_spreadsheet(path, park_code=YUANHONG)
    assert (read.sheet, read.header_row, read.revenue_unit) == ("2026年10月", 1, "千元")  # 说明: 金额单位：千元

    frame = received(registry, path.name, park=YUANHONG)
    assert counts(frame) == (6, 6, 0)
    assert frame.select("credit_code", "park_code", "industry_code", "revenue_10k_cny", "tax_10k_cny", "rnd_10k_cny").rows() == [
        ("91350181MA2X1N100J", YUANHONG, "1331", "12850", "312.05", "86"),
        ("91350181MA2X2P2007", YUANHONG, "1713", "4680", "121", None),
        ("91350181MA2X3Q300U", YUANHONG, "2821", "23900", "683", "512"),
        ("91350181MA2X4R400G", YUANHONG, "1351", "1825.05", "40.2", None),
        ("91350181MA2X5T5005", YUANHONG, "4411", "51200", "2140", "98.05"),
        ("91350181MA2X6U600R", YUANHONG, "1762", "930", "18.8", "7.5"),
    ]  # fmt: skip


def test_biff8_xls_with_a_header_merged_over_two_rows_and_the_unit_in_the_title(registry):
    """福州元洪投资区重点企业情况表（单位：亿元）; 序号 ... merged down rows 2-3, 主要经济指标 across."""
    path = FIXTURES / "G356025_biff8.xls"
    read = reader.read_spreadsheet(path, park_code=YUANHONG)
    assert (read.file_format, read.encoding, read.sheet, read.header_row) == ("xls", None, "重点企业", 3)
    assert read.revenue_unit == "亿元"
    assert read.columns == {
        "credit_code": "统一社会信用代码",
        "enterprise_name": "企业名称",
        "industry_code": "行业类别（代码）",
        "established": "成立时间",
        "employees": "从业人员（人）",
        "revenue_10k_cny": "营业收入",
        "tax_10k_cny": "税收总额",
    }
    frame = received(registry, path.name, park=YUANHONG)
    assert counts(frame) == (7, 6, 1)
    assert frame.select("_source_row", REJECT_REASON).row(-1) == (10, TOTALS)  # its =SUM cells have no cached value
    assert frame.select(*FIGURES, "established", "tax_10k_cny").rows()[:2] == [
        ("91350181MA32BC200X", "福州元洪国际粮油有限公司", YUANHONG, "1331", "1530", "325678", "1996-05-12", "8123"),
        ("91350181MA32CD300J", "福清元洪锦纶科技有限公司", YUANHONG, "2821", "920", "120500", "2008-10-01", "3125"),
    ]  # fmt: skip
    assert frame["revenue_10k_cny"].to_list()[2:6] == ["34000", "88800", "9000", "4567"]


def test_a_park_column_that_disagrees_with_the_folder_quarantines_that_row_naming_both(registry):
    frame = received(registry, "G356030_park_column.csv", park=TAISHANG)
    assert counts(frame) == (5, 4, 1)
    assert frame.select("park_code", "ownership", "revenue_10k_cny", REJECT_REASON).rows() == [
        (TAISHANG, "state", "125000", None),
        (TAISHANG, "hk_macao_taiwan", "38000", None),  # g356030: the same park, written in lower case
        (
            YUANHONG,
            "private",
            "56000",
            "park_code (园区代码) G356025 in the park column disagrees with G356030, the park the file was submitted for",
        ),
        (TAISHANG, "private", "3200", None),  # an empty park cell: the folder's park
        (TAISHANG, "foreign", "9100.5", None),  # full-width Ｇ３５６０３０
    ]


def test_a_file_with_employees_only_and_one_with_revenue_only(registry):
    employees = received(registry, "G121002_employees_only.csv", park=TIANJIN)
    assert counts(employees) == (6, 5, 1)
    assert employees.select("enterprise_name", "employees", "revenue_10k_cny", REJECT_REASON).rows() == [
        ("Tianjin TEDA Electronics Co. Ltd", "380", None, None),
        ("Tianjin Binhai Telecom Equipment Co. Ltd", "1", None, None),
        ("天津经开区节能服务有限公司", None, None, NO_FIGURES),
        ("Tianjin TEDA Semiconductor Equipment Co. Ltd", "1024", None, None),
        ("天津经开区软件科技有限公司", "150", None, None),
        ("天津滨海锂电科技有限公司", "0", None, None),  # a full-width ０
    ]
    assert reader.read_spreadsheet(FIXTURES / "G121002_employees_only.csv").unknown_headers == {}  # No. is 序号

    revenue = received(registry, "G121002_revenue_only.xlsx", park=TIANJIN)
    assert counts(revenue) == (5, 4, 1)
    assert revenue.select("credit_code", "employees", "revenue_10k_cny", REJECT_REASON).rows() == [
        ("91120116MA07HJ340X", None, "56780.5", None),
        ("91120116MA05NX610W", None, "12000", None),
        ("91120116MA06PR7201", None, None, NO_FIGURES),
        ("91120116MA05TU830T", None, "3450.75", None),
        ("91120116MA05K1A001", None, "18650", None),
    ]


def test_names_that_look_like_formulas_sql_or_hold_control_zero_width_and_emoji_land_verbatim(registry, tmp_path):
    frame = received(registry, "G356030_inert_names.csv", park=TAISHANG)
    assert counts(frame) == (10, 9, 1)
    names = [
        '=HYPERLINK("http://x","y")',
        "+86福州电讯有限公司",
        "-abc贸易有限公司",
        "@SUM(1)",
        "'; DROP TABLE x; --",
        "福州\u200b零宽\u200d科技有限公司",
        "福州\x07响铃\x1b有限公司\t分部",
        "🚀火箭科技有限公司👍",
        "福州前后空格有限公司",  # only the surrounding spaces (and the ideographic one) trimmed
    ]
    assert frame["enterprise_name"].to_list() == [*names, "福州公式人数有限公司"]
    # a formula in a number cell is text, never computed: it fails the integer rule
    assert frame.select("employees", REJECT_REASON).row(-1) == (
        "=1+1",
        "employees (从业人员) is not a non-negative integer",
    )
    report = land_batch(
        frame.with_columns(pl.lit("2026-10").alias("period")),
        source="park_submissions",
        logical_date=date(2026, 11, 23),
        landing_dir=tmp_path / "landing",
    )
    assert (report.received, report.landed, report.quarantined) == (10, 9, 1)
    assert pl.read_parquet(f"{report.path}/{LANDED_FILE}")["enterprise_name"].to_list() == names


def test_unknown_headers_are_logged_and_kept_with_their_closest_synonym(registry, caplog):
    path = FIXTURES / "G356030_unknown_headers.csv"
    with caplog.at_level(logging.WARNING, logger=reader.__name__):
        read = reader.read_spreadsheet(path, park_code=TAISHANG)
    assert read.unknown_headers == {"年末职工人数": "职工人数", "所属街道": None, "企业联系人": "企业名"}
    assert caplog.messages == [
        (
            f"{path}: header cell(s) naming no known column, not landed (closest synonym): "
            "'年末职工人数' ('职工人数'), '所属街道' (None), '企业联系人' ('企业名')"
        )
    ]
    frame = received(registry, path.name, park=TAISHANG)
    assert counts(frame) == (5, 5, 0)  # revenue is enough; the employees column is not recognised, so null
    assert frame.select("employees", "revenue_10k_cny").rows()[:2] == [(None, "48600"), (None, "3860.05")]


def test_a_file_without_a_credit_code_column_is_rejected_naming_file_missing_columns_and_cells_found(registry):
    """An office still on the old 9-digit organisation code (组织机构代码) sends no credit code."""
    path = FIXTURES / "G356030_old_org_code.csv"
    error = (
        "required column(s) credit_code missing; file rejected whole (header cells found in line 2: "
        "'序号', '组织机构代码' (unknown), '企业名称', '从业人员', '营业收入（万元）'; "
        "header synonyms are listed in extractors/park_submissions/reader.py HEADER_SYNONYMS)"
    )
    with pytest.raises(reader.SubmissionFileError) as raised:
        reader.read_spreadsheet(path, park_code=TAISHANG)
    assert str(raised.value) == f"{path}: {error}"

    frame = received(registry, path.name, park=TAISHANG)
    assert counts(frame) == (5, 0, 5)  # every line, title and header too, kept as sent
    assert frame["_source_row"].to_list() == [1, 2, 3, 4, 5]
    assert set(frame.select("park_code", REJECT_REASON).rows()) == {(TAISHANG, error)}
    assert frame[reader.RAW_ROW_COLUMN].to_list()[2] == "1\t61130048-8\t福州台商鞋业有限公司\t1240\t38600.5"


def test_every_office_file_of_a_period_reads_in_one_pass_and_reconciles_per_file(registry):
    paths = sorted(path for path in FIXTURES.iterdir() if path.suffix != ".md")
    # the inbox folder gives the park; the Tianjin office's file arrives without one (its title names it)
    park_of = {path: path.name[:7] for path in paths if path.name.startswith("G")}
    frame = reader.validate(reader.read_submissions(paths, park_of=park_of, park_names=registry.names), registry.rules)
    assert [(Path(name).name, *rest) for name, *rest in reader.file_counts(frame).rows()] == [
        ("G121002_employees_only.csv", 6, 5, 1),
        ("G121002_revenue_only.xlsx", 5, 4, 1),
        ("G356025_biff8.xls", 7, 6, 1),
        ("G356025_notes_sheet_hidden_old.xlsx", 6, 6, 0),
        ("G356030_inert_names.csv", 10, 9, 1),
        ("G356030_office_layout.xlsx", 14, 8, 6),
        ("G356030_old_org_code.csv", 5, 0, 5),
        ("G356030_park_column.csv", 5, 4, 1),
        ("G356030_unknown_headers.csv", 5, 5, 0),
        ("tianjin_title_gbk.csv", 8, 6, 2),
    ]
    assert frame.height == 71 and frame[REJECT_REASON].null_count() == 53


def test_a_batch_read_in_worker_processes_gives_the_same_rows_in_order_and_logs_each_files_lines(
    registry, caplog, monkeypatch
):
    """A big batch is located in worker processes (``workers``, :data:`reader.PARALLEL_FROM_FILES`); the
    rows, their order and the log lines (an unknown header, a file rejected whole) are what one process
    gives, and the lines come from the workers (their process ids), so the test fails if nothing ran there."""
    paths = sorted(path for path in FIXTURES.iterdir() if path.suffix != ".md")
    park_of = {path: path.name[:7] for path in paths if path.name.startswith("G")}
    with caplog.at_level(logging.INFO, logger=reader.__name__):
        alone = reader.read_submissions(paths, park_of=park_of, park_names=registry.names)
    in_one_process = [(record.levelname, record.getMessage()) for record in caplog.records]
    caplog.clear()

    monkeypatch.setattr(reader, "PARALLEL_FROM_FILES", 2)
    with caplog.at_level(logging.INFO, logger=reader.__name__):
        in_workers = reader.read_submissions(paths, park_of=park_of, park_names=registry.names, workers=2)
    assert in_workers.equals(alone) and in_workers.columns == alone.columns and in_workers.height == 71
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == in_one_process
    rejected = next(record for record in caplog.records if "G356030_old_org_code.csv" in record.getMessage())
    assert rejected.levelname == "ERROR" and "file rejected whole" in rejected.getMessage()
    assert os.getpid() not in {record.process for record in caplog.records}
