"""Park submissions as park offices send them: encodings, headers, units, full-width text, totals.

Every file is built on the fly; every assertion is on exact canonical text and exact reasons.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import xlsxwriter
from polars.testing import assert_frame_equal

from extractors.park_submissions import credit_code
from extractors.park_submissions import reader as spreadsheets
from extractors.park_submissions.reader import SubmissionFileError
from parkplatform.landing import land_batch

PARK = "G356030"  # 福州台商投资区, a real zone of the 2018 catalogue
OTHER_PARK = "G356025"  # 福州元洪投资区


def make_code(body: str) -> str:
    """A valid unified social credit code from its first 17 characters."""
    values = np.array([[credit_code.VALUE_OF[char] for char in body]])
    return body + credit_code.CHARSET[int(credit_code.check_values(values)[0])]


CODE_A = "91350100M000100Y43"
CODE_B = make_code("91350100M000200Y4")
CODE_C = make_code("91350103MA2XN5KQ0")
CODE_D = make_code("91350105611300488")
CODE_E = make_code("91350111MA31EF8T7")

BLANK = spreadsheets.BLANK_ROW_REASON
TOTALS = spreadsheets.TOTALS_ROW_REASON


def expected(rows: list[tuple], source_file: Path, optional: list[tuple] | None = None) -> pl.DataFrame:
    """Expected landed frame: each row is the 9 canonical values, the source row, the reason; the
    optional columns' values row by row in ``optional`` (null throughout when the file has none)."""
    columns = [*spreadsheets.CANONICAL_COLUMNS, "_source_row", "_reject_reason"]
    frame = pl.DataFrame(rows, schema=columns, orient="row", schema_overrides={"_source_row": pl.Int64})
    optional_frame = pl.DataFrame(
        optional or [(None,) * len(spreadsheets.OPTIONAL_COLUMNS)] * len(rows),
        schema=dict.fromkeys(spreadsheets.OPTIONAL_COLUMNS, pl.String),
        orient="row",
    )
    return (
        pl.concat([frame, optional_frame], how="horizontal")
        .with_columns(
            pl.col(*spreadsheets.CANONICAL_COLUMNS, "_reject_reason").cast(pl.String),
            pl.lit(str(source_file)).alias("_source_file"),
        )
        .select(*spreadsheets.LANDED_COLUMNS, "_source_file", "_source_row", "_reject_reason")
    )


def test_codes_used_here_are_valid():
    assert make_code(CODE_A[:17]) == CODE_A
    codes = pl.Series([CODE_A, CODE_B, CODE_C, CODE_D, CODE_E])
    assert codes.to_frame("c").select(credit_code.is_valid(pl.col("c")))["c"].all()


def test_utf8_bom_csv_with_chinese_headers_in_wan_yuan_keeps_blank_and_totals_rows(tmp_path):
    path = tmp_path / f"{PARK}.csv"
    path.write_text(
        "序号,统一社会信用代码,企业名称,园区代码,国民经济行业代码,所有制,成立日期,从业人员（人）,营业收入（万元）,"
        "高新技术企业（是/否）,备注\n"
        f'1,{CODE_A},福州华信科技有限公司,{PARK},3311,私营,2010/5/1,120,"1,234.5",是,\n'
        f"2,{CODE_B},福州瑞达电子有限公司,{PARK},C3974,外商投资,2015年3月8日,35,880.00,否,新入园\n"
        ",,,,,,,,,,\n"
        "\n"
        f"3,{CODE_C},福州恒创材料有限公司,{PARK},2614,国有,20180101,8,0.75,Y,\n"
        '合计,,,,,,,163,"2,115.25",,\n',
        encoding="utf-8-sig",
    )
    read = spreadsheets.read_spreadsheet(path)
    assert (read.file_format, read.encoding, read.header_row, read.revenue_unit) == ("csv", "utf-8-sig", 1, "万元")
    assert read.columns["revenue_10k_cny"] == "营业收入（万元）"
    assert_frame_equal(
        read.frame,
        expected(
            [
                (CODE_A, "福州华信科技有限公司", PARK, "3311", "private", "2010-05-01", "120", "1234.5", "Y", 2, None),
                (CODE_B, "福州瑞达电子有限公司", PARK, "3974", "foreign", "2015-03-08", "35", "880", "N", 3, None),
                (None, None, None, None, None, None, None, None, None, 4, BLANK),
                (None, None, None, None, None, None, None, None, None, 5, BLANK),
                (CODE_C, "福州恒创材料有限公司", PARK, "2614", "state", "2018-01-01", "8", "0.75", "Y", 6, None),
                (None, None, None, None, None, None, "163", "2115.25", None, 7, TOTALS),
            ],
            path,
        ),
    )
    # 7 lines = header + 6 rows received; nothing dropped
    assert (read.received, read.landed, read.quarantined) == (6, 3, 3)


def test_optional_columns_land_in_their_own_units_with_coded_values(tmp_path):
    """Tax in 元 and R&D in 亿元 beside revenue in 万元: each column is converted by its own unit;
    Chinese stages and statuses become their codes; empty optional cells stay null."""
    path = tmp_path / f"{PARK}.csv"
    path.write_text(
        "统一社会信用代码,企业名称,园区代码,行业代码,所有制,成立日期,从业人员,营业收入（万元）,是否高新技术企业,"
        "纳税总额（元）,研发经费支出（亿元）,投资来源国,孵化阶段,经营状态\n"
        f"{CODE_A},福州华信科技有限公司,{PARK},3311,外资,2010-05-01,120,1234.5,是,125000,0.0123,jpn,孵化器,存续\n"
        f"{CODE_B},福州瑞达电子有限公司,{PARK},3974,私营,2015-03-08,35,880,否,,,,无,迁出\n",
        encoding="utf-8",
    )
    read = spreadsheets.read_spreadsheet(path)
    assert read.columns["tax_10k_cny"] == "纳税总额（元）"
    assert_frame_equal(
        read.frame,
        expected(
            [
                (CODE_A, "福州华信科技有限公司", PARK, "3311", "foreign", "2010-05-01", "120", "1234.5", "Y", 2, None),
                (CODE_B, "福州瑞达电子有限公司", PARK, "3974", "private", "2015-03-08", "35", "880", "N", 3, None),
            ],
            path,
            optional=[("12.5", "123", "JPN", "incubator", "operating"), (None, None, None, "none", "moved_out")],
        ),
    )


def test_wrong_optional_values_are_quarantined_with_their_rule(tmp_path):
    path = tmp_path / f"{PARK}.csv"
    rows = [
        ("-5", "", "", "", ""),
        ("", "abc", "", "", ""),
        ("", "", "JAPAN", "", ""),
        ("", "", "", "孵化中", ""),
        ("", "", "", "", "营业"),
        ("", "", "", "", ""),
    ]
    codes = [make_code(f"913501007{i:08d}") for i in range(len(rows))]
    path.write_text(
        "credit_code,enterprise_name,park_code,industry_code,ownership,established,employees,revenue（万元）,high_tech,"
        "tax（万元）,rnd（万元）,origin_country,incubation_stage,status\n"
        + "".join(
            f"{code},甲{i},{PARK},3311,private,2010-05-01,1,1,N,{','.join(optional)}\n"
            for i, (code, optional) in enumerate(zip(codes, rows, strict=True))
        ),
        encoding="utf-8",
    )
    frame = spreadsheets.read_spreadsheet(path).frame
    validated = spreadsheets.validate(frame, spreadsheets.validation_rules(known_parks=[PARK], shared_codes=[]))
    assert validated[spreadsheets.REJECT_REASON].to_list() == [
        "tax_10k_cny (纳税总额（万元）) is not a non-negative amount",
        "rnd_10k_cny (研发经费支出（万元）) is not a non-negative amount",
        "origin_country (投资来源国) is not an ISO 3166 alpha-3 code",
        "incubation_stage (孵化阶段) is not one of incubator, accelerator, industrialisation_base, none",
        "status (经营状态) is not one of operating, suspended, closed, moved_out",
        None,
    ]


def test_gbk_csv_is_detected_and_yi_yuan_become_exact_wan_yuan(tmp_path):
    path = tmp_path / f"{OTHER_PARK}.csv"
    content = (
        "信用代码,企业名称,园区代码,行业代码,企业性质,成立时间,从业人员数,营业收入(亿元),是否高新技术企业\n"
        f"{CODE_D},福州元洪粮油食品有限公司,{OTHER_PARK},1351,民营企业,2001.07.15,2300,1.2345,否\n"
        f"{CODE_E},福州鼎盛纺织有限公司,{OTHER_PARK},1711,港澳台投资,2012-11-30,15,0.00005,是\n"
        f"{CODE_A},福州海泰机械有限公司,{OTHER_PARK},3412,国有控股,1999-1-9,400,0.3,否\n"
    )
    path.write_bytes(content.encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    read = spreadsheets.read_spreadsheet(path)
    assert (read.encoding, read.revenue_unit) == ("gb18030", "亿元")
    assert_frame_equal(
        read.frame,
        expected(
            [
                (CODE_D, "福州元洪粮油食品有限公司", OTHER_PARK, "1351", "private", "2001-07-15", "2300", "12345", "N", 2, None),
                (CODE_E, "福州鼎盛纺织有限公司", OTHER_PARK, "1711", "hk_macao_taiwan", "2012-11-30", "15", "0.5", "Y", 3, None),
                (CODE_A, "福州海泰机械有限公司", OTHER_PARK, "3412", "state", "1999-01-09", "400", "3000", "N", 4, None),
            ],
            path,
        ),
    )  # fmt: skip


def test_gb18030_csv_with_english_headers_in_yuan_and_thousands_separators(tmp_path):
    name = "福州𫟼业科技有限公司"  # 𫟼 (U+2B7FC) exists in GB18030, not in GBK
    with pytest.raises(UnicodeEncodeError):
        name.encode("gbk")
    path = tmp_path / "submission_en.csv"
    content = (
        "Credit Code,Enterprise Name,Park Code,Industry Code,Ownership,Established,Employees,Revenue (CNY),High-tech\n"
        f'{CODE_B},{name},{PARK},3911,private,2019-06-01,"1,234","12,345,600",yes\n'
        f"{CODE_C},Fuzhou Lianke Ltd,{PARK.lower()},3670,Foreign,2020/12/31,7,5,no\n"
        f"{CODE_D},福州金达实业有限公司,{PARK},2710,state,2005-02-01,60,880000,N\n"
        'Total,,,,,,"1,301","13,225,605",\n'
    )
    path.write_bytes(content.encode("gb18030"))
    read = spreadsheets.read_spreadsheet(path)
    assert (read.encoding, read.revenue_unit) == ("gb18030", "元")
    assert read.columns["revenue_10k_cny"] == "Revenue (CNY)"
    assert_frame_equal(
        read.frame,
        expected(
            [
                (CODE_B, name, PARK, "3911", "private", "2019-06-01", "1234", "1234.56", "Y", 2, None),
                (CODE_C, "Fuzhou Lianke Ltd", PARK, "3670", "foreign", "2020-12-31", "7", "0.0005", "N", 3, None),
                (CODE_D, "福州金达实业有限公司", PARK, "2710", "state", "2005-02-01", "60", "88", "N", 4, None),
                ("TOTAL", None, None, None, None, None, "1301", "1322.5605", None, 5, TOTALS),
            ],
            path,
        ),
    )


def write_xlsx_with_title(path: Path, frame: pl.DataFrame, *, title: str, first_sheet: str | None = None) -> None:
    """A workbook as offices send it: maybe an instructions sheet, a title line, the table from row 3."""
    with xlsxwriter.Workbook(path) as workbook:
        if first_sheet is not None:
            workbook.add_worksheet(first_sheet).write("A1", "填报说明：每个企业一行，金额单位见表头。")
        sheet = workbook.add_worksheet("企业名录")
        sheet.write("A1", title)
        frame.write_excel(workbook=workbook, worksheet="企业名录", position="A3", autofit=False)


def test_xlsx_in_yi_yuan_with_totals_and_blank_rows_uses_sheet_row_numbers(tmp_path):
    path = tmp_path / f"{PARK}.xlsx"
    frame = pl.DataFrame(
        {
            "序号": [1, 2, None, None, 3, None],
            "统一社会信用代码": [CODE_A, CODE_B, None, None, CODE_E, None],
            "企业名称": [
                "福州新华电子有限公司",
                "福州科联生物科技有限公司",
                None,
                None,
                "福州安信机械有限公司",
                "合  计",
            ],
            "园区代码": [PARK, PARK, None, None, PARK, None],
            "行业代码": ["3974", "2761", None, None, "3412", None],
            "所有制": ["私营", "外资", None, None, "国有", None],
            "成立日期": [date(2011, 3, 1), date(2016, 10, 20), None, None, date(1998, 1, 5), None],
            "从业人员": [250, 80, None, None, 1200, 1530],
            "营业收入(亿元)": [1.2345, 0.0012, None, None, 2.5, 3.7357],
            "高新技术企业": ["是", "否", None, None, "是", None],
        }
    )
    write_xlsx_with_title(path, frame, title="福州台商投资区入园企业名录（2026年10月）", first_sheet="说明")
    read = spreadsheets.read_spreadsheet(path)
    # the instructions sheet has no header: the data sheet is read; header on row 3 under the title
    assert (read.file_format, read.encoding, read.sheet, read.header_row) == ("xlsx", None, "企业名录", 3)
    assert read.revenue_unit == "亿元"
    assert_frame_equal(
        read.frame,
        expected(
            [
                (CODE_A, "福州新华电子有限公司", PARK, "3974", "private", "2011-03-01", "250", "12345", "Y", 4, None),
                (CODE_B, "福州科联生物科技有限公司", PARK, "2761", "foreign", "2016-10-20", "80", "12", "N", 5, None),
                (None, None, None, None, None, None, None, None, None, 6, BLANK),
                (None, None, None, None, None, None, None, None, None, 7, BLANK),
                (CODE_E, "福州安信机械有限公司", PARK, "3412", "state", "1998-01-05", "1200", "25000", "Y", 8, None),
                (None, "合  计", None, None, None, None, "1530", "37357", None, 9, TOTALS),
            ],
            path,
        ),
    )
    assert (read.received, read.landed, read.quarantined) == (6, 3, 3)


def test_full_width_digits_letters_and_thousands_separators_become_ascii(tmp_path):
    path = tmp_path / "fullwidth.csv"
    path.write_text(
        " 统一社会信用代码 , 企业名称 ,园区代码,行业代码,所有制,成立日期,从业人员,营业收入 （万元）,高新技术企业\n"
        "９１３５０１００Ｍ０００１００Ｙ４３,ＡＢＣ新材料（福州）有限公司,Ｇ３５６０３０,３３１１,私营,"
        "２０１０年５月１日,１，２３４,１２，３４５．６,是\n"
        f'{CODE_B.lower()},福州宏泰科技有限公司,{PARK},2651,private,2012-01-01,"1,234","12,345,678.90",N\n'
        f'{CODE_C},福州泰鼎电子有限公司,{PARK},3974,private,2013-01-01,"1,23","1,2345",N\n',
        encoding="utf-8",
    )
    read = spreadsheets.read_spreadsheet(path)
    assert read.encoding == "utf-8"
    assert_frame_equal(
        read.frame,
        expected(
            [
                (CODE_A, "ABC新材料（福州）有限公司", PARK, "3311", "private", "2010-05-01", "1234", "12345.6", "Y", 2, None),
                (CODE_B, "福州宏泰科技有限公司", PARK, "2651", "private", "2012-01-01", "1234", "12345678.9", "N", 3, None),
                # commas that do not group by three are not thousands separators: kept, validation rejects
                (CODE_C, "福州泰鼎电子有限公司", PARK, "3974", "private", "2013-01-01", "1,23", "1,2345", "N", 4, None),
            ],
            path,
        ),
    )  # fmt: skip
    rules = spreadsheets.submission_rules([PARK], [], {"3311", "2651", "3974"})
    assert spreadsheets.validate(read.frame, rules)["_reject_reason"].to_list() == [
        None,
        None,
        "employees (从业人员) is not a non-negative integer",
    ]


def test_a_csv_without_a_required_column_is_rejected_whole_naming_columns_file_and_cells_found(tmp_path):
    """Name, credit code and one figure are required; the error says what the header had instead."""
    path = tmp_path / "G000001.csv"
    path.write_text(f"统一社会信用代码,企业名称,园区代码\n{CODE_A},某公司,G000001\n", encoding="utf-8")
    with pytest.raises(SubmissionFileError) as raised:
        spreadsheets.read_spreadsheet(path)
    assert str(raised.value) == (
        f"{path}: required column(s) employees or revenue_10k_cny missing; file rejected whole "
        "(header cells found in line 1: '统一社会信用代码', '企业名称', '园区代码'; "
        "header synonyms are listed in extractors/park_submissions/reader.py HEADER_SYNONYMS)"
    )


def test_a_workbook_without_revenue_lands_employees_and_null_for_every_column_it_lacks(tmp_path):
    """Revenue, tax ... are optional now: the rows land with what the file has, the rest null."""
    path = tmp_path / "G000002.xlsx"
    pl.DataFrame(
        {
            "统一社会信用代码": [CODE_A],
            "企业名称": ["某公司"],
            "园区代码": [PARK],
            "行业代码": ["3311"],
            "所有制": ["私营"],
            "成立日期": ["2010-01-01"],
            "从业人员": ["5"],
            "高新技术企业": ["否"],
        }
    ).write_excel(path)
    read = spreadsheets.read_spreadsheet(path)
    assert (read.revenue_unit, read.unknown_headers) == (None, {})
    assert_frame_equal(
        read.frame,
        expected([(CODE_A, "某公司", PARK, "3311", "private", "2010-01-01", "5", None, "N", 2, None)], path),
    )


def test_a_workbook_without_the_credit_code_is_rejected_whole(tmp_path):
    path = tmp_path / "G000003.xlsx"
    pl.DataFrame({"企业名称": ["某公司"], "信用证号": [CODE_A], "营业收入（万元）": ["1.5"]}).write_excel(path)
    with pytest.raises(SubmissionFileError) as raised:
        spreadsheets.read_spreadsheet(path)
    assert str(raised.value) == (
        f"{path}: required column(s) credit_code missing; file rejected whole (header cells found in row 1 of "
        "sheet 'Sheet1': '企业名称', '信用证号' (unknown, closest synonym '信用代码'), '营业收入（万元）'; "
        "header synonyms are listed in extractors/park_submissions/reader.py HEADER_SYNONYMS)"
    )


HEADER_NO_UNIT = "统一社会信用代码,企业名称,园区代码,行业代码,所有制,成立日期,从业人员,{revenue},高新技术企业\n"
ROW = f"{CODE_A},福州华信科技有限公司,{PARK},3311,私营,2010-05-01,12,3.5,否\n"


def test_revenue_without_a_unit_is_rejected_unless_a_unit_line_or_default_says(tmp_path):
    bare = tmp_path / "bare.csv"
    bare.write_text(HEADER_NO_UNIT.format(revenue="营业收入") + ROW, encoding="utf-8")
    with pytest.raises(SubmissionFileError, match=r"bare\.csv: revenue column '营业收入' states no unit"):
        spreadsheets.read_spreadsheet(bare)
    assert spreadsheets.read_spreadsheet(bare, default_revenue_unit="万元").frame["revenue_10k_cny"].to_list() == [
        "3.5"
    ]

    titled = tmp_path / "titled.csv"
    titled.write_text("福州台商投资区企业名录\n单位：亿元\n" + HEADER_NO_UNIT.format(revenue="营业收入") + ROW, "utf-8")
    read = spreadsheets.read_spreadsheet(titled)
    assert (read.header_row, read.revenue_unit) == (3, "亿元")
    assert read.frame.select("revenue_10k_cny", "_source_row").row(0) == ("35000", 4)

    dollars = tmp_path / "dollars.csv"
    dollars.write_text(HEADER_NO_UNIT.format(revenue="营业收入（美元）") + ROW, encoding="utf-8")
    with pytest.raises(SubmissionFileError, match=r"dollars\.csv: revenue column '营业收入（美元）' has unit '美元'"):
        spreadsheets.read_spreadsheet(dollars)


def test_two_columns_meaning_the_same_reject_the_file(tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text(
        "统一社会信用代码,信用代码,企业名称,园区代码,行业代码,所有制,成立日期,从业人员,营业收入（万元）,高新技术企业\n",
        encoding="utf-8",
    )
    with pytest.raises(SubmissionFileError, match=r"twice\.csv: columns '统一社会信用代码' and '信用代码' both mean"):
        spreadsheets.read_spreadsheet(path)


@pytest.mark.parametrize(
    ("cell", "parsed"),
    [
        ("统一社会信用代码", ("credit_code", None)),
        ("信用代码", ("credit_code", None)),
        ("Credit Code", ("credit_code", None)),
        ("企业名称", ("enterprise_name", None)),
        ("园区代码", ("park_code", None)),
        ("国民经济行业代码", ("industry_code", None)),
        ("从业人员数", ("employees", None)),
        ("营业收入（万元）", ("revenue_10k_cny", "万元")),
        ("营业收入 （ 亿元 ）", ("revenue_10k_cny", "亿元")),
        ("营业收入【单位：元】", ("revenue_10k_cny", "元")),
        ("营业收入万元", ("revenue_10k_cny", "万元")),
        ("revenue (CNY)", ("revenue_10k_cny", "cny")),
        ("revenue_10k_cny", ("revenue_10k_cny", "10kcny")),
        ("*企业名称", ("enterprise_name", None)),
        ("High-tech", ("high_tech", None)),
        ("序号", (None, None)),
        # statistical forms' vocabulary; a bracket is a unit only when it reads like one
        ("行业类别（代码）", ("industry_code", None)),
        ("行业代码（GB/T 4754-2017）", ("industry_code", None)),
        ("企业（单位）名称", ("enterprise_name", None)),
        ("年末从业人员数", ("employees", None)),
        ("从业人员（人）", ("employees", None)),
        ("Employees at year end", ("employees", None)),
        ("主营业务收入（亿元）", ("revenue_10k_cny", "亿元")),
        ("Total operating revenue (10k CNY)", ("revenue_10k_cny", "10kcny")),
        ("实缴税金（千元）", ("tax_10k_cny", "千元")),
        ("研究与试验发展(R&D)经费内部支出(千元)", ("rnd_10k_cny", "千元")),
        ("R&D经费内部支出", ("rnd_10k_cny", None)),
    ],
)
def test_header_synonyms(cell, parsed):
    assert spreadsheets.parse_header(cell) == parsed


@pytest.mark.parametrize(
    ("value", "unit", "canonical"),
    [
        ("1234.5", "万元", "1234.5"),
        ("880.00", "万元", "880"),
        ("12345600", "元", "1234.56"),
        ("5", "元", "0.0005"),
        ("1.2345", "亿元", "12345"),
        ("0.00005", "亿元", "0.5"),
        ("0.1", "亿元", "1000"),
        ("2500", "千元", "250"),
        ("1.2E+5", "元", "12"),
        ("-3.5", "亿元", "-35000"),
        ("-0", "元", "0"),
        ("约100", "万元", "约100"),
    ],
)
def test_money_moves_the_decimal_point_exactly(value, unit, canonical):
    frame = pl.DataFrame({"v": [value]})
    shifted = frame.select(spreadsheets.shift_decimal(pl.col("v"), spreadsheets.money_unit_power(unit)))
    assert shifted["v"].to_list() == [canonical]


def test_industry_classes_are_the_real_gbt4754_2017_classes(reference_dir):
    classes = spreadsheets.industry_classes(reference_dir)
    assert len(classes) == 1381  # every 4-digit code of the reference file (20 sections, 97 divisions, 473 groups)
    assert {"0111", "3311", "2614", "3399"} <= classes
    assert not {"3390", "331", "33", "C"} & classes
    reason, fails = spreadsheets.industry_class_rule(classes)
    assert reason == "industry_code (行业代码) is not a GB/T 4754-2017 class"
    frame = pl.DataFrame({"industry_code": ["3311", "3390", "331", None]})
    from parkplatform.landing import first_reject_reason

    # the industry code is optional: checked when sent, a row without one passes
    assert frame.select(first_reject_reason([(reason, fails)]))["_reject_reason"].to_list() == [
        None,
        reason,
        reason,
        None,
    ]


def test_files_of_a_period_validate_and_land_reconciled_per_file(tmp_path, reference_dir):
    classes = spreadsheets.industry_classes(reference_dir)
    csv_path = tmp_path / f"{PARK}.csv"
    csv_path.write_bytes(
        (
            "序号,统一社会信用代码,企业名称,园区代码,行业代码,所有制,成立日期,从业人员,营业收入（万元）,高新技术企业\n"
            f"1,{CODE_A},福州华信科技有限公司,{PARK},3311,私营,2010-05-01,12,3.5,否\n"
            f"2,{CODE_B},福州瑞达电子有限公司,{PARK},3390,私营,2011-05-01,9,1.5,否\n"
            f"3,{CODE_C[:17]}0,福州恒创材料有限公司,{PARK},2614,私营,2012-05-01,9,1.5,否\n"
            ",,,,,,,,,\n"
            "合计,,,,,,,30,6.5,\n"
        ).encode("gbk")
    )
    xlsx_path = tmp_path / f"{OTHER_PARK}.xlsx"
    pl.DataFrame(
        {
            "统一社会信用代码": [CODE_D, CODE_E, None],
            "企业名称": ["福州元洪粮油食品有限公司", "福州鼎盛纺织有限公司", "小计"],
            "园区代码": [OTHER_PARK, "S999999", None],
            "行业代码": ["1351", "1711", None],
            "所有制": ["私营", "私营", None],
            "成立日期": ["2001-07-15", "2012-11-30", None],
            "从业人员": [2300, 15, 2315],
            "营业收入（亿元）": ["1.2345", "0.00005", "1.23455"],
            "高新技术企业": ["否", "是", None],
        }
    ).write_excel(xlsx_path)
    received = pl.concat([spreadsheets.read_submission(csv_path), spreadsheets.read_submission(xlsx_path)])
    validated = spreadsheets.validate(received, spreadsheets.submission_rules([PARK, OTHER_PARK], [], classes))
    assert validated.select("_source_row", "_reject_reason").rows() == [
        (2, None),
        (3, "industry_code (行业代码) is not a GB/T 4754-2017 class"),
        (4, "credit_code (统一社会信用代码) fails the GB 32100-2015 format or check character"),
        (5, BLANK),
        (6, TOTALS),
        (2, None),
        (3, "park_code (园区代码) is neither a zone of the park registry nor an alliance member"),
        (4, TOTALS),
    ]
    assert spreadsheets.file_counts(validated).rows() == [
        (str(xlsx_path), 3, 1, 2),
        (str(csv_path), 5, 1, 4),
    ]

    report = land_batch(
        validated, source="park_submissions", logical_date=date(2026, 11, 23), landing_dir=tmp_path / "landing"
    )
    assert (report.received, report.landed, report.quarantined) == (8, 2, 6)
    assert [(f.source_file, f.received, f.landed, f.quarantined) for f in report.files] == [
        (str(xlsx_path), 3, 1, 2),
        (str(csv_path), 5, 1, 4),
    ]
    assert report.quarantine_reasons[TOTALS] == 2
    assert report.quarantine_reasons[BLANK] == 1


def test_duplicate_credit_codes_resolve_to_one_row_newest_period_then_file_and_row_order():
    rows = [
        # period, file, row, credit code, reason already given
        ("2026-09", "a.csv", 2, CODE_A, None),
        ("2026-09", "a.csv", 3, CODE_B, None),
        ("2026-10", "c.csv", 2, CODE_A, None),
        ("2026-10", "c.csv", 3, CODE_B, None),
        ("2026-10", "c.csv", 4, CODE_B, None),
        ("2026-10", "b.csv", 5, CODE_A, None),
        ("2026-10", "b.csv", 6, CODE_C, None),
        ("2026-11", "d.csv", 2, CODE_C, "employees (从业人员) is not a non-negative integer"),
        (None, "e.csv", 2, CODE_C, None),
        ("2026-10", "b.csv", 7, None, BLANK),
    ]
    frame = pl.DataFrame(
        rows, schema=["period", "_source_file", "_source_row", "credit_code", "_reject_reason"], orient="row"
    )
    kept, superseded = spreadsheets.resolve_duplicates(frame)
    assert kept.height + superseded.height == frame.height
    assert kept.select("period", "_source_file", "_source_row", "credit_code").rows() == [
        ("2026-10", "c.csv", 3, CODE_B),  # newest period; first row of the file
        ("2026-10", "b.csv", 5, CODE_A),  # newest period; b.csv comes before c.csv
        ("2026-10", "b.csv", 6, CODE_C),  # a quarantined newer row does not win, a null period is oldest
        ("2026-11", "d.csv", 2, CODE_C),  # already quarantined: passed through untouched
        ("2026-10", "b.csv", 7, None),
    ]
    assert kept["_reject_reason"].to_list() == [None, None, None, rows[7][4], BLANK]
    assert superseded.select(
        "_source_file", "_source_row", "_kept_source_file", "_kept_source_row", "_kept_period"
    ).rows() == [
        ("a.csv", 2, "b.csv", 5, "2026-10"),
        ("a.csv", 3, "c.csv", 3, "2026-10"),
        ("c.csv", 2, "b.csv", 5, "2026-10"),
        ("c.csv", 4, "c.csv", 3, "2026-10"),
        ("e.csv", 2, "b.csv", 6, "2026-10"),
    ]
    assert superseded["_reject_reason"].unique().to_list() == [spreadsheets.DUPLICATE_REASON]


def test_a_duplicate_keeps_the_row_of_the_period_ending_latest_whatever_its_kind():
    """A quarterly office's 2026Q3 and a monthly office's 2026-11 name one enterprise: November is newer, though
    its label sorts before the quarter's; the year 2026 ends later still; a quarter and its last month end
    together, and the greater label (the quarter) wins."""
    frame = pl.DataFrame(
        [
            ("2026Q3", "q.csv", 2, CODE_A),
            ("2026-11", "m.csv", 2, CODE_A),
            ("2026-11", "m.csv", 3, CODE_B),
            ("2026", "y.csv", 2, CODE_B),
            ("2026-09", "m9.csv", 2, CODE_C),
            ("2026Q3", "q.csv", 3, CODE_C),
        ],
        schema=["period", "_source_file", "_source_row", "credit_code"],
        orient="row",
    )
    kept, superseded = spreadsheets.resolve_duplicates(frame)
    assert kept.select("credit_code", "period").rows() == [(CODE_A, "2026-11"), (CODE_B, "2026"), (CODE_C, "2026Q3")]
    assert superseded.select("credit_code", "period", "_kept_period").rows() == [
        (CODE_A, "2026Q3", "2026-11"),
        (CODE_B, "2026-11", "2026"),
        (CODE_C, "2026-09", "2026Q3"),
    ]


def test_duplicates_need_a_period_column():
    with pytest.raises(ValueError, match="no 'period' column"):
        spreadsheets.resolve_duplicates(pl.DataFrame({"credit_code": [CODE_A]}))


def test_an_empty_workbook_is_rejected_whole_and_still_reported_as_one_line(tmp_path):
    """A workbook of empty sheets (Excel's Sheet1 left blank) has no header; its rejection is one line."""
    path = tmp_path / f"{PARK}.xlsx"
    with xlsxwriter.Workbook(path) as workbook:
        workbook.add_worksheet("Sheet1")
        workbook.add_worksheet("Sheet2")
    error = (
        "required column(s) credit_code, enterprise_name, employees or revenue_10k_cny missing; file rejected whole "
        "(no header cells found; header synonyms are listed in extractors/park_submissions/reader.py HEADER_SYNONYMS)"
    )
    with pytest.raises(SubmissionFileError) as raised:
        spreadsheets.read_spreadsheet(path)
    assert str(raised.value) == f"{path}: {error}"
    frame = spreadsheets.read_submissions([path], park_of={path: PARK})
    assert frame.select("park_code", "_source_row", "_reject_reason", "_raw_row").rows() == [(PARK, 1, error, "")]


def test_a_title_naming_a_park_gives_the_longest_catalogue_name_it_holds(tmp_path):
    """苏州高新技术产业开发区综合保税区 (G323040) holds the name of 苏州高新技术产业开发区 (G322018)."""
    names = {"苏州高新技术产业开发区": "G322018", "苏州高新技术产业开发区综合保税区": "G323040"}
    path = tmp_path / "名录.csv"
    path.write_text(
        "苏州高新技术产业开发区 综合保税区 入区企业名录\n统一社会信用代码,企业名称,从业人员\n"
        f"{CODE_A},苏州某电子有限公司,12\n",
        encoding="utf-8",
    )
    read = spreadsheets.read_spreadsheet(path, park_names=names)
    assert (read.park_code, read.frame["park_code"].to_list()) == ("G323040", ["G323040"])
    # the inbox folder's park, when known, is the file's park whatever its title says
    assert spreadsheets.read_spreadsheet(path, park_code="G322018", park_names=names).park_code == "G322018"
