"""Park submissions read exactly as park offices send them (DESIGN.md section 3).

A park office uploads a CSV or a workbook of the enterprises in its park, in its own layout. This
module turns one such file into the canonical text columns that :func:`validation_rules` check
(:data:`LANDED_COLUMNS`) plus ``_source_file``, ``_source_row`` and ``_reject_reason``.

What real files look like and what is done about it:

* **Format.** ``.csv``/``.txt`` are read as CSV; ``.xlsx``/``.xlsm`` and ``.xls`` (BIFF) with
  fastexcel (calamine), every cell as text (a formula cell as its cached value: the reader never
  evaluates anything).
* **Sheets.** A workbook may hold instructions, a notes sheet (说明), last year's list on a hidden
  sheet and this period's list. The sheet read is one with a complete header; of several, the visible
  one with the most rows naming an enterprise (a hidden old list is never preferred to a visible one).
* **Encoding (CSV).** The bytes are decoded as UTF-8 strictly (a BOM is recognised and recorded as
  ``utf-8-sig``); if that fails, as GB18030, the superset of GBK and GB2312 (recorded ``gb18030``).
  Anything else rejects the file whole.
* **Header.** Only what identifies an enterprise and its figures is required: the name, the unified
  social credit code and at least one of employees and revenue. The header is the first of the first
  :data:`HEADER_SEARCH_ROWS` rows that names them through :data:`HEADER_SYNONYMS` (the vocabulary of
  Chinese statistical forms and English; compared after NFKC, lower case, without spaces,
  underscores, hyphens, ``*``, ``:``, with a bracketed unit such as ``（万元）`` taken out, while a
  bracket that is part of the name, ``行业类别（代码）``, is kept). A header merged over two rows
  (calamine gives a merged cell's value only in its top-left cell) is read as the two rows combined.
  Lines above the header (a title, ``单位：万元``) are not data rows. Columns that map to nothing
  are not landed; 序号 and 备注 are expected, any other is an unknown header, logged and kept in
  :attr:`SubmissionFile.unknown_headers` with the closest known synonym so that the list grows from
  real files. Two columns mapping to one canonical column, a missing required column, or a money
  column whose unit cannot be told reject the file whole (:class:`SubmissionFileError`, naming the
  file, the missing columns and the header cells found).
* **Optional columns.** Everything else (park code, industry code, ownership, established date,
  high-tech flag, tax, R&D spending, origin country, incubation stage, status) lands when the file has
  it and is null when it has not; an empty cell is allowed, a value is validated. A row with neither
  employees nor revenue is quarantined (:data:`NO_FIGURES_REASON`).
* **Park.** Which park a file reports is known from the inbox folder it was sent to (``park_code``
  of :func:`read_spreadsheet`, ``park_of`` of :func:`read_submissions`), else from a title line naming
  a park (``park_names``: full name -> code; the longest name found wins), and fills ``park_code``
  of every row. A park column, when sent, must agree with it: a row naming another park is
  quarantined with both codes in the reason. A file whose park is known from nowhere lands
  ``park_code`` from its park column, or null (quarantined by :data:`PARK_MISSING_REASON`).
* **Money.** Each money column (revenue, tax, R&D) states its unit (元, 千元, 万元, 百万元, 亿元 or
  English CNY, 10k CNY, 100m CNY ...; see :data:`MONEY_UNITS`) in its header, else a ``单位：万元``
  line or a title ``…（单位：亿元）`` above the header does, else a notes sheet (``金额单位：千元``),
  else ``default_revenue_unit``. Values are converted to 万元 by moving the decimal point on the
  digit string (:func:`shift_decimal`), so the canonical text is exact: no float is ever involved.
* **Characters.** Full-width digits and letters become ASCII in every column; in number and code
  columns also full-width ``．，－＋``. Thousands separators (``1,234.5``, ``1，234``) are removed
  only where they group digits by three; anything else stays as sent and fails validation.
  Codes lose inner spaces and are upper-cased; an industry code written with its section letter
  (``C3311``) keeps the 4 digits. Dates become ``YYYY-MM-DD`` from ``2010/5/1``, ``2010.05.01``,
  ``2010年5月1日``, ``20100501`` or an Excel date cell. 是/否, yes/no, 1/0 become ``Y``/``N``; the
  Chinese ownership names become ``state``/``private``/``foreign``/``hk_macao_taiwan``, and the
  Chinese incubation stages and statuses their codes (:data:`INCUBATION_VALUES`, :data:`STATUS_VALUES`).
  Names are otherwise kept as sent, only trimmed: text that looks like a formula (``=``, ``+``,
  ``-``, ``@``), like SQL, or holds control, zero-width or emoji characters is data, never run.
* **Nothing silently dropped.** Every row below the header is returned. A fully blank row gets
  :data:`BLANK_ROW_REASON`; the header repeated further down (a printed page's) gets
  :data:`REPEATED_HEADER_REASON`; a totals row (a cell reading 合计, 总计, 小计, 本页合计, Total ...,
  its figures typed or cached from a ``=SUM(...)``) gets :data:`TOTALS_ROW_REASON`; the notes below
  a table (``注：1．…``, ``填表人：… 联系电话：…`` and the one-cell lines that follow) get
  :data:`NOTES_ROW_REASON`; so received = landed + quarantined holds per file. Other rules are the
  validator's (:func:`validate` keeps a reason set here and applies the rules to the other rows).
  A file rejected whole (:class:`SubmissionFileError`) fails :func:`read_spreadsheet`;
  :func:`read_submissions` (many files) instead quarantines every line of it with that error.
* **Row numbers.** ``_source_row`` is 1-based and the header has its own: for a CSV it is the line
  in the file (a quoted cell spanning several lines makes it the record number instead), for a
  workbook the sheet's row number as Excel shows it.

All normalisation is Polars expressions over whole columns. Header cells are parsed in Python
(a header is a handful of cells, not rows).
"""

from __future__ import annotations

import difflib
import io
import logging
import multiprocessing
import re
import unicodedata
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import repeat
from pathlib import Path
from typing import NamedTuple

import fastexcel
import polars as pl

from extractors.park_submissions import credit_code
from extractors.park_submissions.contract import ENTERPRISE_STATUSES, INCUBATION_STAGES
from parkplatform.landing import REJECT_REASON, first_reject_reason
from parkplatform.progress import progress_bar
from parkplatform.receipts import parse_period

# The columns of the alliance's first template (text, canonical units: revenue in 万元).
CANONICAL_COLUMNS = (
    "credit_code",
    "enterprise_name",
    "park_code",
    "industry_code",
    "ownership",
    "established",
    "employees",
    "revenue_10k_cny",
    "high_tech",
)
# The columns the later template added (older templates and many offices leave them out).
OPTIONAL_COLUMNS = ("tax_10k_cny", "rnd_10k_cny", "origin_country", "incubation_stage", "status")
LANDED_COLUMNS = CANONICAL_COLUMNS + OPTIONAL_COLUMNS
# What a header must name: who the enterprise is, and at least one of its figures. Every other
# landed column is null when the file does not have it.
REQUIRED_COLUMNS = ("credit_code", "enterprise_name")
FIGURE_COLUMNS = ("employees", "revenue_10k_cny")
# A rejected file's line as sent, its cells tab-joined (rejected_file_rows).
RAW_ROW_COLUMN = "_raw_row"
# While reading: the park the file was submitted for (inbox folder or title line), per row.
FILE_PARK_COLUMN = "_file_park"
MONEY_COLUMN = "revenue_10k_cny"
# Every money column states its own unit (header, else a line above it, else a notes sheet, else the default).
MONEY_COLUMNS = (MONEY_COLUMN, "tax_10k_cny", "rnd_10k_cny")
CSV_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
HEADER_SEARCH_ROWS = 10

TOTALS_ROW_REASON = "totals row (合计), not an enterprise"
BLANK_ROW_REASON = "blank row (空行), no values"
REPEATED_HEADER_REASON = "repeated header row (表头), not an enterprise"
NOTES_ROW_REASON = "notes line below the table (注、填表人), not an enterprise"
PARK_MISSING_REASON = "park_code (园区代码) is missing: no inbox folder, title line or park column names the park"
NO_FIGURES_REASON = (
    "employees (从业人员) and revenue_10k_cny (营业收入) are both missing; an enterprise row needs at least one"
)
DUPLICATE_REASON = (
    "credit_code (统一社会信用代码) repeats a kept row; superseded (newest period, then file and row order, wins)"
)
INDUSTRY_CLASS_REASON = "industry_code (行业代码) is not a GB/T 4754-2017 class"
INDUSTRY_REFERENCE = Path("industry") / "gbt4754_2017.csv"

INTEGER_PATTERN = r"^\d+$"
AMOUNT_PATTERN = r"^\d+(\.\d+)?$"

log = logging.getLogger(__name__)


class SubmissionFileError(ValueError):
    """A submission file that cannot be read as a whole (e.g. a required column is missing)."""


def _sent(column: pl.Expr) -> pl.Expr:
    """An optional cell holds a value (rules on optional columns apply only then)."""
    return column.is_not_null()


def validation_rules(known_parks: list[str], shared_codes: list[str]) -> list[tuple[str, pl.Expr]]:
    """``(reason, fails)`` per rule, in the order they are reported; only the identity of the
    enterprise and its park are required, every other column is checked only when sent."""
    return [
        ("credit_code (统一社会信用代码) is missing", pl.col("credit_code").is_null()),
        (
            "credit_code (统一社会信用代码) fails the GB 32100-2015 format or check character",
            ~credit_code.is_valid(pl.col("credit_code")),
        ),
        ("enterprise_name (企业名称) is missing", pl.col("enterprise_name").is_null()),
        (PARK_MISSING_REASON, pl.col("park_code").is_null()),
        (
            "park_code (园区代码) is shared by several registry zones; the park cannot be told apart",
            pl.col("park_code").is_in(shared_codes),
        ),
        (
            "park_code (园区代码) is neither a zone of the park registry nor an alliance member",
            ~pl.col("park_code").is_in(known_parks),
        ),
        # the optional columns: an empty cell is allowed (not reported), a wrong value is not
        (
            "industry_code (行业代码) is not a 4-digit GB/T 4754 class",
            _sent(pl.col("industry_code")) & ~pl.col("industry_code").str.contains(r"^\d{4}$"),
        ),
        (
            "employees (从业人员) is not a non-negative integer",
            _sent(pl.col("employees")) & ~pl.col("employees").str.contains(INTEGER_PATTERN),
        ),
        (
            "revenue_10k_cny (营业收入（万元）) is not a non-negative amount",
            _sent(pl.col("revenue_10k_cny")) & ~pl.col("revenue_10k_cny").str.contains(AMOUNT_PATTERN),
        ),
        (NO_FIGURES_REASON, pl.col("employees").is_null() & pl.col("revenue_10k_cny").is_null()),
        (
            "tax_10k_cny (纳税总额（万元）) is not a non-negative amount",
            _sent(pl.col("tax_10k_cny")) & ~pl.col("tax_10k_cny").str.contains(AMOUNT_PATTERN),
        ),
        (
            "rnd_10k_cny (研发经费支出（万元）) is not a non-negative amount",
            _sent(pl.col("rnd_10k_cny")) & ~pl.col("rnd_10k_cny").str.contains(AMOUNT_PATTERN),
        ),
        (
            "origin_country (投资来源国) is not an ISO 3166 alpha-3 code",
            _sent(pl.col("origin_country")) & ~pl.col("origin_country").str.contains(r"^[A-Z]{3}$"),
        ),
        (
            f"incubation_stage (孵化阶段) is not one of {', '.join(INCUBATION_STAGES)}",
            _sent(pl.col("incubation_stage")) & ~pl.col("incubation_stage").is_in(INCUBATION_STAGES),
        ),
        (
            f"status (经营状态) is not one of {', '.join(ENTERPRISE_STATUSES)}",
            _sent(pl.col("status")) & ~pl.col("status").is_in(ENTERPRISE_STATUSES),
        ),
    ]


# Header label (normalised by _normalise_label) -> canonical column. The canonical names themselves
# are accepted too. A unit may follow the label in brackets or glued on (营业收入万元).
HEADER_SYNONYMS: dict[str, str] = {
    **dict.fromkeys(
        (
            "creditcode",
            "统一社会信用代码",
            "社会信用代码",
            "信用代码",
            "统一代码",
            "统一社会信用代码号",
            "unifiedsocialcreditcode",
            "socialcreditcode",
            "uscc",
        ),
        "credit_code",
    ),
    **dict.fromkeys(
        (
            "enterprisename",
            "企业名称",
            "企业名",
            "公司名称",
            "单位名称",
            "单位详细名称",
            "法人单位详细名称",
            "企业全称",
            "enterprise",
            "companyname",
            "company",
            "name",
        ),
        "enterprise_name",
    ),
    **dict.fromkeys(
        ("parkcode", "园区代码", "园区编码", "园区编号", "开发区代码", "开发区编码", "zonecode"),
        "park_code",
    ),
    **dict.fromkeys(
        (
            "industrycode",
            "行业代码",
            "国民经济行业代码",
            "国民经济行业分类代码",
            "行业分类代码",
            "行业小类代码",
            "所属行业代码",
            "行业类别代码",  # 行业类别（代码）: the bracket is part of the name, not a unit
            "industry",
            "industryclass",
            "gbt4754",
            "gbt4754code",
            "industryclassificationcode",
        ),
        "industry_code",
    ),
    **dict.fromkeys(
        (
            "ownership",
            "所有制",
            "所有制类型",
            "所有制性质",
            "企业性质",
            "经济类型",
            "登记注册类型",
            "ownershiptype",
        ),
        "ownership",
    ),
    **dict.fromkeys(
        (
            "established",
            "成立日期",
            "成立时间",
            "注册日期",
            "开业日期",
            "开业时间",
            "establisheddate",
            "dateestablished",
            "establishmentdate",
            "founded",
        ),
        "established",
    ),
    **dict.fromkeys(
        (
            "employees",
            "从业人员",
            "从业人员数",
            "从业人数",
            "从业人员期末人数",
            "从业人员年末人数",
            "年末从业人员",
            "年末从业人员数",
            "年末从业人数",
            "期末从业人数",
            "期末从业人员数",
            "职工人数",
            "员工人数",
            "numberofemployees",
            "employeesatyearend",
            "yearendemployees",
            "personsemployed",
            "numberofpersonsemployed",
            "headcount",
            "staff",
        ),
        "employees",
    ),
    **dict.fromkeys(
        (
            "revenue",
            "营业收入",
            "营业总收入",
            "主营业务收入",
            "operatingrevenue",
            "totaloperatingrevenue",
            "totalrevenue",
            "mainbusinessrevenue",
            "salesrevenue",
            "turnover",
            "sales",
        ),
        MONEY_COLUMN,
    ),
    **dict.fromkeys(
        (
            "hightech",
            "高新技术企业",
            "是否高新技术企业",
            "高新企业",
            "是否高新",
            "hightechenterprise",
            "ishightech",
        ),
        "high_tech",
    ),
    **dict.fromkeys(
        (
            "tax",
            "taxes",
            "taxpaid",
            "taxespaid",
            "totaltax",
            "totaltaxes",
            "纳税总额",
            "纳税额",
            "税收",
            "税收总额",
            "实缴税金",
            "实缴税费",
            "上缴税金",
            "税金总额",
        ),
        "tax_10k_cny",
    ),
    **dict.fromkeys(
        (
            "rnd",
            "rndspend",
            "rndexpenditure",
            "r&d",
            "r&dspend",
            "r&dexpenditure",
            "r&dspending",
            "intramuralr&dexpenditure",
            "研发经费",
            "研发经费支出",
            "研究与试验发展经费支出",
            "研究与试验发展经费内部支出",  # 研究与试验发展(R&D)经费内部支出
            "r&d经费内部支出",
            "r&d经费支出",
            "研发经费内部支出",
            "研发投入",
            "研发费用",
            "r&d投入",
        ),
        "rnd_10k_cny",
    ),
    **dict.fromkeys(
        ("origincountry", "countryoforigin", "investorcountry", "投资来源国", "外资来源国", "来源国", "投资来源国别"),
        "origin_country",
    ),
    **dict.fromkeys(("incubationstage", "incubation", "孵化阶段", "孵化状态", "孵化载体"), "incubation_stage"),
    **dict.fromkeys(("status", "enterprisestatus", "operatingstatus", "经营状态", "企业状态", "登记状态"), "status"),
}

# Money unit (normalised like a label) -> power of ten that turns a value in it into 万元.
MONEY_UNITS: dict[str, int] = {
    **dict.fromkeys(("元", "人民币元", "cny", "rmb", "yuan", "rmbyuan", "yuanrmb"), -4),
    **dict.fromkeys(("千元", "kcny", "thousandcny", "cnythousand", "1000cny", "cny1000", "cnyk"), -1),
    **dict.fromkeys(
        ("万元", "万", "人民币万元", "10kcny", "cny10k", "10000cny", "cny10000", "tenthousandcny", "万元cny"),
        0,
    ),
    **dict.fromkeys(("百万元", "millioncny", "cnymillion", "mcny", "cnym", "cnymn", "mncny"), 2),
    **dict.fromkeys(
        ("亿元", "亿", "人民币亿元", "100mcny", "cny100m", "100millioncny", "cny100million", "hundredmillioncny"),
        4,
    ),
}
# the names under which a unit is reported (the first spelling of each power)
UNIT_NAMES = {-4: "元", -1: "千元", 0: "万元", 2: "百万元", 4: "亿元"}

# difflib similarity from which a known synonym is "closest" to an unknown header: Chinese labels
# are short, so 信用证号 (2 of 4 characters shared with 信用代码, 0.5) still finds its synonym.
SYNONYM_CUTOFF = 0.5
# Header labels of columns that are expected and carry nothing to land (not reported as unknown).
IGNORED_HEADERS = frozenset(
    {"序号", "序", "编号", "no", "index", "备注", "备注说明", "remark", "remarks", "note", "notes"}
)

_LABEL_DROP = re.compile(r"[\s_\-—–:：*#.·,，、/\\]+")
_BRACKETED = re.compile(r"[(\[【〔［]([^)\]】〕］]*)[)\]】〕］]")
_BRACKET_CHARS = re.compile(r"[()\[\]【】〔〕［］（）]")
# A bracketed part of a header that states a unit (营业收入（美元）: an unknown one, reported); other
# bracketed parts (行业类别（代码）, 研究与试验发展(R&D)经费内部支出, 从业人员（人）) are not units.
_UNIT_LIKE = re.compile(r"元|cny|rmb|yuan|usd|dollar|eur|^(单位|unit|in\d)")
_UNIT_PREFIX = re.compile(r"^(单位|unit|in)")
_UNIT_LINE = re.compile(r"单位\s*[:：]\s*(人民币)?(亿元|万元|千元|百万元|元)")

WHITESPACE = " \t\r\n\f\v\u3000\u00a0\ufeff\u200b\u2002\u2003\u2009\u202f"
FULLWIDTH_ALNUM = (
    {chr(0xFF10 + i): str(i) for i in range(10)}
    | {chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)}
    | {chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)}
)
FULLWIDTH_NUMBER_PUNCTUATION = {"．": ".", "，": ",", "－": "-", "＋": "+", "−": "-", "﹣": "-", "\u3000": " "}
# The first filled cell of a line of the notes below a table (after NFKC): 注：1．…, 注1：…, 填表人：…
NOTES_PATTERN = (
    r"^(注|附注|备注|说明|填表说明|填报说明|填表人|填报人|制表人|统计人员?|审核人|(单位|统计|部门)?负责人|联系人|"
    r"联系电话|填报日期|填表日期|报出日期|数据来源|资料来源|(?i:notes?|source|prepared by|contact|tel))\s*\d*\s*[:：.．、]"
)
TOTALS_PATTERN = r"^(本页|本表|全部|全园区?|总)?(合计|总计|小计)[:：]?$|^(?i:(grand|sub)?totals?):?$"
# What an enterprise row's credit code cell looks like before cleaning (validity is the validator's).
CODE_SHAPE = r"^[0-9A-Za-z]{18}$"
THOUSANDS_PATTERN = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
NUMBER_PATTERN = r"^(-?)(\d*)(?:\.(\d*))?(?:[eE]\+?(-?\d{1,3}))?$"
_SHIFT_PAD = 40  # zeros on either side of the digits: shifts of up to 40 places are exact

INCUBATION_VALUES = {
    **dict.fromkeys(("incubator", "孵化器", "众创空间", "孵化"), "incubator"),
    **dict.fromkeys(("accelerator", "加速器", "加速"), "accelerator"),
    **dict.fromkeys(
        ("industrialisation_base", "industrialization_base", "产业化基地", "产业基地"), "industrialisation_base"
    ),
    **dict.fromkeys(("none", "无", "否", "未入孵", "n/a"), "none"),
}
STATUS_VALUES = {
    **dict.fromkeys(("operating", "active", "存续", "在营", "在业", "开业", "正常"), "operating"),
    **dict.fromkeys(("suspended", "停业", "歇业"), "suspended"),
    **dict.fromkeys(("closed", "deregistered", "注销", "吊销", "关闭"), "closed"),
    **dict.fromkeys(("moved_out", "relocated", "迁出"), "moved_out"),
}
HIGH_TECH_VALUES = {
    **dict.fromkeys(("y", "yes", "是", "true", "1", "√", "高新", "高新技术企业"), "Y"),
    **dict.fromkeys(("n", "no", "否", "false", "0", "×", "非高新"), "N"),
}
OWNERSHIP_VALUES = {
    **dict.fromkeys(("state", "国有", "国有企业", "国有控股", "国有独资", "国企", "state-owned", "soe"), "state"),
    **dict.fromkeys(("private", "私营", "私营企业", "民营", "民营企业", "私人控股", "私营控股"), "private"),
    **dict.fromkeys(
        ("foreign", "外资", "外资企业", "外商投资", "外商投资企业", "外商独资", "中外合资", "外商控股"), "foreign"
    ),
    **dict.fromkeys(
        (
            "hk_macao_taiwan",
            "港澳台",
            "港澳台投资",
            "港澳台商投资",
            "港澳台投资企业",
            "港澳台商投资企业",
            "港澳台控股",
        ),
        "hk_macao_taiwan",
    ),
}


@dataclass(frozen=True)
class SubmissionFile:
    """One submission file read: the rows and how they were read."""

    path: Path
    frame: pl.DataFrame  # canonical columns + _source_file, _source_row, _reject_reason
    file_format: str  # "csv", "xlsx" or "xls"
    encoding: str | None  # "utf-8", "utf-8-sig" or "gb18030" for a CSV; None for a workbook
    sheet: str | None  # the sheet read from a workbook
    header_row: int  # 1-based line / row of the header (its last row when it spans two)
    columns: dict[str, str] = field(default_factory=dict)  # canonical column -> header as sent
    revenue_unit: str | None = "万元"  # the unit the file gave revenue in; None without a revenue column
    park_code: str | None = None  # the park the file was submitted for (inbox folder or title line)
    # header cells that name no known column -> the closest known synonym (None when nothing is close)
    unknown_headers: dict[str, str | None] = field(default_factory=dict)

    @property
    def received(self) -> int:
        return self.frame.height

    @property
    def quarantined(self) -> int:
        return self.frame[REJECT_REASON].is_not_null().sum()

    @property
    def landed(self) -> int:
        return self.received - self.quarantined


class DuplicateResolution(NamedTuple):
    kept: pl.DataFrame
    superseded: pl.DataFrame


class RawSheet(NamedTuple):
    """A sheet of a workbook (a CSV is one sheet without a name), every cell as text."""

    name: str | None
    frame: pl.DataFrame  # row i is the sheet's row (the CSV's line) i + 1; columns column_0 ...
    visible: bool


@dataclass(frozen=True)
class Header:
    """A header row found near the top of a sheet and what its cells name."""

    top: int  # 0-based row of its first line (a header merged over two rows has two)
    index: int  # 0-based row of its last line: data rows follow
    cells: tuple[str | None, ...]  # the header's cells, left to right (two rows combined)
    mapping: dict[str, str]  # canonical column -> raw column name (column_i)
    sent: dict[str, str]  # canonical column -> header cell as sent
    units: dict[str, str | None]  # money column -> unit text of its header cell

    @property
    def missing(self) -> list[str]:
        """What the header lacks of :data:`REQUIRED_COLUMNS` and :data:`FIGURE_COLUMNS` (one of them)."""
        missing = [column for column in REQUIRED_COLUMNS if column not in self.mapping]
        if not any(column in self.mapping for column in FIGURE_COLUMNS):
            missing.append(" or ".join(FIGURE_COLUMNS))
        return missing

    def where(self, sheet: str | None) -> str:
        """The header's place for a message: ``line 2``, ``rows 3-4 of sheet '名录'``."""
        rows = f"{self.top + 1}" if self.top == self.index else f"{self.top + 1}-{self.index + 1}"
        if sheet is None:
            return f"line{'s' if self.top != self.index else ''} {rows}"
        return f"row{'s' if self.top != self.index else ''} {rows} of sheet {sheet!r}"


# ---------------------------------------------------------------------------------------- headers


def _normalise_label(text: str) -> str:
    return _LABEL_DROP.sub("", unicodedata.normalize("NFKC", text).strip().lower())


def _header_label(cell: str) -> str:
    """The label of a header cell without its bracketed parts (``营业收入（万元）`` -> ``营业收入``)."""
    return _normalise_label(_BRACKETED.sub("", unicodedata.normalize("NFKC", cell)))


def parse_header(cell: str | None) -> tuple[str | None, str | None]:
    """``(canonical column or None, unit text or None)`` of one header cell.

    ``营业收入（万元）`` -> ``("revenue_10k_cny", "万元")``, ``Revenue (CNY)`` -> ``("revenue_10k_cny",
    "cny")``, ``revenue_10k_cny`` -> ``("revenue_10k_cny", "10kcny")``, ``行业类别（代码）`` ->
    ``("industry_code", None)``, ``序号`` -> ``(None, None)``.
    """
    if cell is None or not cell.strip():
        return None, None
    text = unicodedata.normalize("NFKC", cell).strip()
    bracketed = [_normalise_label(part) for part in _BRACKETED.findall(text)]
    label = _header_label(text)
    unit = next((part for part in bracketed if part in MONEY_UNITS or _UNIT_LIKE.search(part)), None)
    if label not in HEADER_SYNONYMS:
        whole = _normalise_label(_BRACKET_CHARS.sub("", text))
        if whole in HEADER_SYNONYMS:
            # the bracket is part of the name (行业类别（代码）), not a unit
            label, unit = whole, None
        else:
            # a unit glued on the label: 营业收入万元, revenue_10k_cny, revenuecny
            for token in sorted(MONEY_UNITS, key=len, reverse=True):
                if label.endswith(token) and label[: -len(token)] in HEADER_SYNONYMS:
                    label, unit = label[: -len(token)], token
                    break
    if unit is not None:
        unit = _UNIT_PREFIX.sub("", unit) or None
    return HEADER_SYNONYMS.get(label), unit


def closest_synonym(cell: str) -> str | None:
    """The known header label (:data:`HEADER_SYNONYMS` key) closest to ``cell``, or None (difflib)."""
    close = difflib.get_close_matches(_header_label(cell), HEADER_SYNONYMS, n=1, cutoff=SYNONYM_CUTOFF)
    return close[0] if close else None


def unknown_headers(cells: tuple[str | None, ...] | list[str | None]) -> dict[str, str | None]:
    """The header cells naming no known column, except the expected 序号, 备注 ..., as sent (trimmed)
    -> :func:`closest_synonym`, so that an office's own words can be added to the synonyms."""
    return {
        cell.strip(): closest_synonym(cell)
        for cell in cells
        if cell is not None
        and cell.strip()
        and parse_header(cell)[0] is None
        and _header_label(cell) not in IGNORED_HEADERS
    }


def money_unit_power(unit: str) -> int:
    """Power of ten turning a value in ``unit`` into 万元 (``元`` -> -4, ``亿元`` -> 4)."""
    return MONEY_UNITS[_normalise_label(unit)]


def _map_header(
    cells: list[str | None], names: list[str]
) -> tuple[dict[str, str], dict[str, str], dict[str, str | None]]:
    """Canonical column -> raw column name, canonical -> header text, money column -> unit text."""
    mapping: dict[str, str] = {}
    sent: dict[str, str] = {}
    units: dict[str, str | None] = {}
    for raw_name, cell in zip(names, cells, strict=True):
        canonical, cell_unit = parse_header(cell)
        if canonical is None:
            continue
        if canonical in mapping:
            raise SubmissionFileError(
                f"columns {sent[canonical]!r} and {cell!r} both mean {canonical}; file rejected whole"
            )
        mapping[canonical] = raw_name
        sent[canonical] = str(cell).strip()
        if canonical in MONEY_COLUMNS:
            units[canonical] = cell_unit
    return mapping, sent, units


def _header_at(names: list[str], top: int, index: int, cells: list[str | None]) -> Header:
    mapping, sent, units = _map_header(cells, names)
    return Header(top, index, tuple(cells), mapping, sent, units)


def _find_header(raw: pl.DataFrame) -> Header | None:
    """The first complete header among the first :data:`HEADER_SEARCH_ROWS` rows, else the header
    row missing the fewest columns (for the error), None for an empty sheet.

    A row is tried alone, then, when neither it nor the next row is complete alone, the two
    combined (the lower row's cell where it has one, else the upper's): a header merged over two
    rows (序号, 企业名称 merged down, 主要指标 merged across 从业人员 and 营业收入) has its cells split
    between them, because calamine gives a merged cell's value only in its top-left cell.
    """
    names = raw.columns
    rows = [list(row) for row in raw.head(HEADER_SEARCH_ROWS + 1).iter_rows()]
    alone = [_header_at(names, index, index, cells) for index, cells in enumerate(rows)]
    best: Header | None = None
    for index, header in enumerate(alone[:HEADER_SEARCH_ROWS]):
        candidates = [header]
        if header.missing and index + 1 < len(rows) and alone[index + 1].missing:
            combined = [
                lower if lower is not None and lower.strip() else upper
                for upper, lower in zip(rows[index], rows[index + 1], strict=True)
            ]
            candidates.append(_header_at(names, index, index + 1, combined))
        for candidate in candidates:
            if not candidate.missing:
                return candidate
            if best is None or _nearness(candidate) < _nearness(best):
                best = candidate
    return best


def _nearness(header: Header) -> tuple[int, int]:
    """How far a header is from complete: columns missing, then one row before two."""
    return len(header.missing), header.index - header.top


def _missing_columns_error(path: Path, found: list[tuple[RawSheet, Header | None]]) -> SubmissionFileError:
    """The error of a file with no complete header: the file, what the nearest header row lacks and
    the cells it has (unknown ones with their closest synonym), so that the office or the synonym
    list can be fixed."""
    tried = [(sheet, header) for sheet, header in found if header is not None]
    if not tried:
        missing = [*REQUIRED_COLUMNS, " or ".join(FIGURE_COLUMNS)]
        cells = "no header cells found"
    else:
        sheet, header = min(tried, key=lambda pair: _nearness(pair[1]))
        missing = header.missing
        unknown = unknown_headers(header.cells)
        described = [
            f"{cell.strip()!r}{_unknown_note(unknown, cell.strip())}"
            for cell in header.cells
            if cell is not None and cell.strip()
        ]
        cells = f"header cells found in {header.where(sheet.name)}: {', '.join(described) or 'none'}"
    return SubmissionFileError(
        f"{path}: required column(s) {', '.join(missing)} missing; file rejected whole ({cells}; "
        "header synonyms are listed in extractors/park_submissions/reader.py HEADER_SYNONYMS)"
    )


def _unknown_note(unknown: dict[str, str | None], cell: str) -> str:
    if cell not in unknown:
        return ""
    return f" (unknown, closest synonym {unknown[cell]!r})" if unknown[cell] else " (unknown)"


# ------------------------------------------------------------------------------------ reading raw


def decode(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 strictly (``utf-8-sig`` when a BOM leads), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise SubmissionFileError(f"cannot decode as UTF-8 or GB18030 (GBK): {exc}") from exc


def _raw_csv(path: Path) -> tuple[pl.DataFrame, str]:
    """Every line of the CSV as a row of text cells (``column_0`` ...), with its encoding."""
    text, encoding = decode(path.read_bytes())
    # the header is among the first lines: they fix the separator and the width (a title line above
    # the header is narrower; cells right of the widest of these lines cannot belong to a column)
    lines = pl.Series(text.split("\n", HEADER_SEARCH_ROWS * 5)[: HEADER_SEARCH_ROWS * 5], dtype=pl.String)
    separator = "\t" if lines.str.count_matches("\t").sum() > lines.str.count_matches(",").sum() else ","
    width = int(lines.str.count_matches(re.escape(separator)).max() or 0) + 1
    frame = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        has_header=False,
        separator=separator,
        schema={f"column_{i}": pl.String for i in range(width)},
        missing_columns="insert",
        truncate_ragged_lines=True,
        raise_if_empty=False,
    )
    return frame, encoding


def _raw_sheets(path: Path) -> list[RawSheet]:
    """Every sheet of the workbook, hidden ones too (with their visibility), every cell as text."""
    reader = fastexcel.read_excel(path)
    sheets = []
    for name in reader.sheet_names:
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        frame = sheet.to_polars()
        frame = frame.rename({old: f"column_{i}" for i, old in enumerate(frame.columns)})
        sheets.append(RawSheet(name, frame, sheet.visible == "visible"))
    return sheets


def _data_rows(raw: pl.DataFrame, header: Header) -> int:
    """Rows below ``header`` naming an enterprise (a credit code or a name): how full a list is."""
    cells = [pl.col(header.mapping[column]).str.strip_chars(WHITESPACE) for column in REQUIRED_COLUMNS]
    return raw.slice(header.index + 1).filter(pl.any_horizontal(cell.str.len_chars() > 0 for cell in cells)).height


def _unit_line(raw: pl.DataFrame) -> str | None:
    """The unit of a ``单位：万元`` / ``金额单位：千元`` line or a title ``…（单位：亿元）`` in ``raw``."""
    # a few lines above a header or a short notes sheet: plain Python, since a Polars query per
    # column costs more than the search itself, thousands of times over in a batch of office files
    for column in raw.columns:
        for cell in raw[column]:
            if cell and (found := _UNIT_LINE.search(cell)):
                return found.group(2)
    return None


def _park_in_title(above: pl.DataFrame, park_names: Mapping[str, str]) -> str | None:
    """The code of the longest park name found in the lines above the header (a title such as
    ``天津经济技术开发区入驻企业统计表``), the title's spaces ignored; None when none is named. The
    longest, because a name can hold another: 苏州高新技术产业开发区综合保税区 is not 苏州高新技术产业开发区."""
    title = "".join(
        re.sub(r"\s", "", unicodedata.normalize("NFKC", cell))
        for row in above.iter_rows()
        for cell in row
        if cell is not None
    )
    named = [name for name in park_names if name and name in title]
    return park_names[max(named, key=len)] if named else None


# ---------------------------------------------------------------------------------- expressions


def to_ascii(expr: pl.Expr, *, number_punctuation: bool = False) -> pl.Expr:
    """Full-width digits and letters (and in numbers ``．，－＋``) as ASCII; trimmed; empty -> null."""
    mapping = FULLWIDTH_ALNUM | (FULLWIDTH_NUMBER_PUNCTUATION if number_punctuation else {})
    cleaned = expr.str.replace_many(mapping).str.strip_chars(WHITESPACE)
    return pl.when(cleaned != "").then(cleaned)


def without_thousands_separators(expr: pl.Expr) -> pl.Expr:
    """``1,234.5`` -> ``1234.5`` where commas group digits by three; anything else unchanged."""
    return pl.when(expr.str.contains(THOUSANDS_PATTERN)).then(expr.str.replace_all(",", "")).otherwise(expr)


def shift_decimal(expr: pl.Expr, places: int | pl.Expr) -> pl.Expr:
    """The decimal text ``expr`` times 10**places (a number, or an integer column: each row its own), as
    canonical decimal text, exactly.

    Works on the digit string: ``"1.2345"`` shifted 4 -> ``"12345"``, ``"12345600"`` shifted -4 ->
    ``"1234.56"``; leading and trailing zeros go, ``"-0"`` is ``"0"``, ``1.2E+5`` is understood. Text
    that is not a decimal number comes back unchanged (validation rejects it).
    """
    sign = expr.str.extract(NUMBER_PATTERN, 1)
    integer = expr.str.extract(NUMBER_PATTERN, 2).fill_null("")
    fraction = expr.str.extract(NUMBER_PATTERN, 3).fill_null("")
    exponent = expr.str.extract(NUMBER_PATTERN, 4).cast(pl.Int64, strict=False).fill_null(0) + places
    is_number = (
        expr.str.contains(NUMBER_PATTERN)
        & ((integer.str.len_chars() + fraction.str.len_chars()) > 0)
        & (exponent.abs() <= _SHIFT_PAD)
    )
    zeros = pl.lit("0" * _SHIFT_PAD)
    digits = pl.concat_str(zeros, integer, fraction, zeros)
    point = (integer.str.len_chars().cast(pl.Int64) + _SHIFT_PAD + exponent).clip(0)
    # each piece is used once (a piece used twice is computed twice, and again in every piece built on it)
    whole = pl.concat_str(pl.lit("0"), digits.str.slice(0, point)).str.replace(r"^0*(\d)", "${1}")
    part = digits.str.slice(point).str.strip_chars_end("0")
    value = pl.concat_str(whole, pl.lit("."), part).str.strip_suffix(".")
    shifted = pl.concat_str(sign, value).str.replace(r"^-0$", "0")
    return pl.when(is_number).then(shifted).otherwise(expr)  # named like ``expr``


def number_text(expr: pl.Expr, *, suffix: str | None = None) -> pl.Expr:
    """A number cell as plain text: ASCII, no unit ``suffix``, no thousands separators, no leading ``+``."""
    text = to_ascii(expr, number_punctuation=True)
    if suffix:
        text = text.str.strip_suffix(suffix).str.strip_chars(WHITESPACE)
    return without_thousands_separators(text).str.strip_prefix("+")


def clean_number(expr: pl.Expr, *, places: int = 0, suffix: str | None = None) -> pl.Expr:
    """A number column: :func:`number_text`, then shifted by ``places`` (:func:`shift_decimal`)."""
    return shift_decimal(number_text(expr, suffix=suffix), places)


def clean_code(expr: pl.Expr) -> pl.Expr:
    """A code column: ASCII, no whitespace anywhere, upper case."""
    return to_ascii(expr, number_punctuation=True).str.replace_all(r"\s", "").str.to_uppercase()


def clean_industry_code(expr: pl.Expr) -> pl.Expr:
    """A code column; ``C3311`` (section letter and class) -> ``3311``."""
    code = clean_code(expr)
    return code.str.replace(r"^[A-T](\d{4})$", "${1}")


def clean_date(expr: pl.Expr) -> pl.Expr:
    """``YYYY-MM-DD`` from ``2010/5/1``, ``2010.05.01``, ``2010年5月1日``, ``20100501``, a date cell."""
    return date_of(to_ascii(expr, number_punctuation=True))


def date_of(text: pl.Expr) -> pl.Expr:
    """:func:`clean_date` of text already in ASCII; text that is no full date stays as it is."""
    unified = (
        text.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
        .str.replace(r"日$", "")
        .str.replace_all(r"[年月/.]", "-")
        .str.replace(r"^(\d{4})(\d{2})(\d{2})$", "${1}-${2}-${3}")
    )
    pattern = r"^(\d{4})-(\d{1,2})-(\d{1,2})$"
    canonical = pl.concat_str(
        unified.str.extract(pattern, 1),
        unified.str.extract(pattern, 2).str.pad_start(2, "0"),
        unified.str.extract(pattern, 3).str.pad_start(2, "0"),
        separator="-",
    )
    return pl.when(unified.str.contains(pattern)).then(canonical).otherwise(text)


def clean_choice(expr: pl.Expr, values: dict[str, str]) -> pl.Expr:
    """A coded text column: known spellings (case-insensitive) -> the code; others as sent."""
    return choice_of(to_ascii(expr), values)


def choice_of(text: pl.Expr, values: dict[str, str]) -> pl.Expr:
    """:func:`clean_choice` of text already in ASCII and trimmed."""
    return text.str.to_lowercase().replace_strict(values, default=text, return_dtype=pl.String)


def _is_totals(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s", "").str.contains(TOTALS_PATTERN).fill_null(False)


def _is_header_label(expr: pl.Expr, sent: list[str]) -> pl.Expr:
    """A cell reading like a header: a known label (bracketed unit ignored) or a header cell as sent."""
    label = (
        expr.str.normalize("NFKC")
        .str.replace_all(_BRACKETED.pattern, "")
        .str.to_lowercase()
        .str.replace_all(_LABEL_DROP.pattern, "")
    )
    return (label.is_in(list(HEADER_SYNONYMS)) | expr.is_in(sent)).fill_null(False)


def row_reasons(names: list[str], header: Header) -> pl.Expr:
    """The reason a row below the header is not an enterprise, null for the others, over every
    cell of the row (``names``, trimmed; the unmapped 序号 and 备注 too), first match wins:

    blank (every cell empty); the header repeated (a printed page's: the credit code and name cells
    read like header labels or are empty, one of them or of the figure cells reads like one); a
    totals row (:data:`TOTALS_PATTERN` in any cell); the notes below the table (the row's first
    filled cell opens like ``注：``, ``填表人：``, ``联系电话：``, or the row has a single filled cell
    after such a line: ``2．企业名称须与营业执照一致。``). Rows must come in sheet order."""
    cells = [pl.col(name) for name in names]
    filled = [(cell.str.len_chars() > 0).fill_null(False) for cell in cells]
    blank = ~pl.any_horizontal(filled)
    sent = list(header.sent.values())
    identity = [_is_header_label(pl.col(header.mapping[column]), sent) for column in REQUIRED_COLUMNS]
    empty_identity = [~filled[names.index(header.mapping[column])] for column in REQUIRED_COLUMNS]
    figures = [_is_header_label(pl.col(header.mapping[c]), sent) for c in FIGURE_COLUMNS if c in header.mapping]
    repeated = pl.all_horizontal(
        label | empty for label, empty in zip(identity, empty_identity, strict=True)
    ) & pl.any_horizontal(*identity, *figures)
    totals = pl.any_horizontal(_is_totals(cell) for cell in cells)
    first_filled = pl.coalesce([pl.when(has).then(cell) for has, cell in zip(filled, cells, strict=True)])
    opens_notes = first_filled.str.normalize("NFKC").str.contains(NOTES_PATTERN).fill_null(False)
    notes = opens_notes | ((opens_notes.cast(pl.UInt8).cum_max() == 1) & (pl.sum_horizontal(filled) == 1))
    return (
        pl.when(blank)
        .then(pl.lit(BLANK_ROW_REASON))
        .when(repeated)
        .then(pl.lit(REPEATED_HEADER_REASON))
        .when(totals)
        .then(pl.lit(TOTALS_ROW_REASON))
        .when(notes)
        .then(pl.lit(NOTES_ROW_REASON))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _marked(body: pl.DataFrame, header: Header) -> pl.DataFrame:
    """``body`` (trimmed cells, ``_index``) with :data:`REJECT_REASON` from :func:`row_reasons`.

    Only a row whose credit code cell is not 18 letters or digits can be other than an enterprise
    (blank, header, totals and notes rows have text or nothing there), so the checks run on those
    few rows and join back: a list of a million enterprises costs one pattern match per row."""
    code = pl.col(header.mapping["credit_code"])
    suspects = body.lazy().filter(~code.str.contains(CODE_SHAPE).fill_null(False))
    reasons = suspects.select("_index", row_reasons(body.columns[1:], header).alias(REJECT_REASON))
    return body.lazy().join(reasons, on="_index", how="left", maintain_order="left").collect()


# ------------------------------------------------------------------------------------------ read


def read_spreadsheet(
    path: Path,
    *,
    default_revenue_unit: str | None = None,
    park_code: str | None = None,
    park_names: Mapping[str, str] | None = None,
) -> SubmissionFile:
    """Read one park office's submission (CSV or workbook) into canonical text columns.

    ``park_code`` is the park the file was submitted for (its inbox folder); without it the park
    is looked for in a title line by its full name (``park_names``: name -> code).

    Raises :class:`SubmissionFileError` (naming the file) when the file cannot be read as a whole:
    undecodable, no header naming the enterprise and at least one figure, two columns meaning the
    same thing, or money in a unit that is not stated (and no ``default_revenue_unit``) or not
    understood.
    """
    located = _locate(Path(path), default_revenue_unit, park_code, park_names)
    return replace(located, frame=clean_located(located.frame))


def read_submission(path: Path, *, default_revenue_unit: str | None = None) -> pl.DataFrame:
    """The canonical frame of :func:`read_spreadsheet` alone."""
    return read_spreadsheet(path, default_revenue_unit=default_revenue_unit).frame


def rejected_file_rows(path: Path, error: SubmissionFileError, *, park_code: str | None = None) -> pl.DataFrame:
    """Each line (CSV) or row (every sheet of a workbook) of a rejected file, its cells joined by
    tabs in ``_raw_row``, with ``_reject_reason`` = the error without the path (the path is in
    ``_source_file``) and ``park_code`` the park it was submitted for, so that the file's rows are
    counted, kept and re-processable once fixed. A file without a single cell (an empty CSV, a
    workbook of empty sheets) still gets one empty line, so that its rejection is reported."""
    reason = str(error).removeprefix(f"{path}: ")
    try:
        if path.suffix.lower() in EXCEL_SUFFIXES:
            # an empty sheet has no column at all: nothing to join
            sheets = [sheet.frame for sheet in _raw_sheets(path) if sheet.frame.width]
        else:
            sheets = [_raw_csv(path)[0]]
        raw = pl.concat(sheets, how="diagonal") if sheets else pl.DataFrame(schema={RAW_ROW_COLUMN: pl.String})
        rows = raw.select(pl.concat_str(pl.all().fill_null(""), separator="\t").alias(RAW_ROW_COLUMN))
        rows = rows if rows.height else pl.DataFrame({RAW_ROW_COLUMN: [""]})
    except (SubmissionFileError, pl.exceptions.PolarsError, fastexcel.FastExcelError):
        # undecodable, or not the workbook its name says: keep its lines as the bytes allow
        lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
        rows = pl.DataFrame({RAW_ROW_COLUMN: lines}, schema={RAW_ROW_COLUMN: pl.String})
    return rows.with_columns(
        *(pl.lit(None, dtype=pl.String).alias(column) for column in LANDED_COLUMNS),
        pl.lit(str(path)).alias("_source_file"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_source_row"),
        pl.lit(park_code, dtype=pl.String).alias(FILE_PARK_COLUMN),
        pl.lit(reason).alias(REJECT_REASON),
    )


def _locate(
    path: Path,
    default_revenue_unit: str | None,
    park_code: str | None = None,
    park_names: Mapping[str, str] | None = None,
) -> SubmissionFile:
    """The file's rows under canonical names, as sent (not yet cleaned), with each money column's
    places, the file's park, and the rows that are no enterprise marked; errors name the file."""
    try:
        located = _locate_rows(path, default_revenue_unit, park_code, park_names or {})
    except SubmissionFileError as exc:
        message = str(exc)
        raise SubmissionFileError(message if message.startswith(str(path)) else f"{path}: {message}") from exc
    if located.unknown_headers:
        log.warning(
            "%s: header cell(s) naming no known column, not landed (closest synonym): %s",
            path,
            ", ".join(f"{cell!r} ({close!r})" for cell, close in located.unknown_headers.items()),
        )
    return located


def _locate_rows(
    path: Path, default_revenue_unit: str | None, park_code: str | None, park_names: Mapping[str, str]
) -> SubmissionFile:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        raw, encoding = _raw_csv(path)
        sheets = [RawSheet(None, raw, visible=True)]
        file_format = "csv"
    elif suffix in EXCEL_SUFFIXES:
        sheets = _raw_sheets(path)
        encoding = None
        file_format = "xls" if suffix == ".xls" else "xlsx"
    else:
        raise SubmissionFileError(f"{path}: not a CSV or Excel workbook (suffix {suffix!r}); file rejected whole")

    found = [(sheet, _find_header(sheet.frame)) for sheet in sheets]
    lists = [(sheet, header) for sheet, header in found if header is not None and not header.missing]
    if not lists:
        raise _missing_columns_error(path, found)
    # a visible list before a hidden one (last year's, kept by the office), then the fullest
    sheet, header = max(lists, key=lambda pair: (pair[0].visible, _data_rows(pair[0].frame, pair[1])))
    raw = sheet.frame
    above = raw.head(header.top)
    # a unit stated above the header (a 单位 line, the title), else on a sheet holding no list (说明)
    notes_sheets = [other.frame for other, other_header in found if other_header is None or other_header.missing]
    unit_stated = _unit_line(above) or next(filter(None, map(_unit_line, notes_sheets)), None)
    places = {
        column: _money_places(path, column, header.sent[column], unit or unit_stated or default_revenue_unit)
        for column, unit in header.units.items()
    }
    file_park = park_code or (_park_in_title(above, park_names) if park_names else None)

    body = raw.with_row_index("_index").filter(pl.col("_index") > header.index)
    body = _marked(body.with_columns(pl.col(raw.columns).str.strip_chars(WHITESPACE)), header)
    located = body.select(
        *(pl.col(name).alias(canonical) for canonical, name in header.mapping.items()),
        *(pl.lit(None, dtype=pl.String).alias(column) for column in LANDED_COLUMNS if column not in header.mapping),
        pl.lit(str(path)).alias("_source_file"),
        (pl.col("_index").cast(pl.Int64) + 1).alias("_source_row"),
        pl.lit(file_park, dtype=pl.String).alias(FILE_PARK_COLUMN),
        *(pl.lit(power, dtype=pl.Int8).alias(places_column(column)) for column, power in places.items()),
        REJECT_REASON,
    )
    return SubmissionFile(
        path=path,
        frame=located,
        file_format=file_format,
        encoding=encoding,
        sheet=sheet.name,
        header_row=header.index + 1,
        columns=header.sent,
        revenue_unit=UNIT_NAMES[places[MONEY_COLUMN]] if MONEY_COLUMN in places else None,
        park_code=file_park,
        unknown_headers=unknown_headers(header.cells),
    )


def places_column(money_column: str) -> str:
    """While reading: the power of ten turning the file's unit of ``money_column`` into 万元."""
    return f"_{money_column}_places"


def _money_places(path: Path, column: str, header: str, unit: str | None) -> int:
    """:func:`money_unit_power` of a money column's unit; a missing or unknown unit rejects the file."""
    label = column.removesuffix("_10k_cny")
    if unit is None:
        raise SubmissionFileError(
            f"{path}: {label} column {header!r} states no unit (元, 千元, 万元 or 亿元), nor does a 单位 line, "
            "the title or a notes sheet; file rejected whole"
        )
    try:
        return money_unit_power(unit)
    except KeyError:
        raise SubmissionFileError(
            f"{path}: {label} column {header!r} has unit {unit!r}, not one of 元, 千元, 万元, 百万元, 亿元"
            "; file rejected whole"
        ) from None


def clean_located(located: pl.DataFrame) -> pl.DataFrame:
    """The landed text columns of located rows (one file's or many files' at once): cleaned as
    the module docstring says, each money column shifted to 万元 by its :func:`places_column`,
    ``park_code`` filled from the file's park where no park column says it, and a row whose park
    column names another park than the file's quarantined with both codes.

    Cleaning is one Polars query whatever the number of files, so reading many small files costs
    little more than reading their bytes (:func:`read_submissions`)."""
    column = {name: pl.col(name) for name in LANDED_COLUMNS}
    places = [places_column(money) for money in MONEY_COLUMNS]
    located = located.with_columns(
        *(pl.lit(None, dtype=pl.Int8).alias(name) for name in places if name not in located.columns),
        *(pl.lit(None, dtype=pl.String).alias(name) for name in [FILE_PARK_COLUMN] if name not in located.columns),
    )
    # two stages, so that the later expressions, which use their input several times, start from a
    # plain column instead of repeating the whole cleaning chain
    texts = located.lazy().select(
        clean_code(column["credit_code"]).alias("credit_code"),
        to_ascii(column["enterprise_name"]).alias("enterprise_name"),
        clean_code(column["park_code"]).alias("park_code"),
        clean_industry_code(column["industry_code"]).alias("industry_code"),
        to_ascii(column["ownership"]).alias("ownership"),
        to_ascii(column["established"], number_punctuation=True).alias("established"),
        number_text(column["employees"], suffix="人").alias("employees"),
        *(number_text(column[money]).alias(money) for money in MONEY_COLUMNS),
        to_ascii(column["high_tech"]).alias("high_tech"),
        clean_code(column["origin_country"]).alias("origin_country"),
        to_ascii(column["incubation_stage"]).alias("incubation_stage"),
        to_ascii(column["status"]).alias("status"),
        "_source_file",
        "_source_row",
        FILE_PARK_COLUMN,
        *places,
        REJECT_REASON,
        *(name for name in located.columns if name == RAW_ROW_COLUMN),
    )
    sent_park, file_park = pl.col("park_code"), pl.col(FILE_PARK_COLUMN)
    other_park = pl.when(sent_park.is_not_null() & file_park.is_not_null() & (sent_park != file_park)).then(
        pl.concat_str(
            pl.lit("park_code (园区代码) "),
            sent_park,
            pl.lit(" in the park column disagrees with "),
            file_park,
            pl.lit(", the park the file was submitted for"),
        )
    )
    return (
        texts.with_columns(
            pl.coalesce(sent_park, file_park).alias("park_code"),
            choice_of(pl.col("ownership"), OWNERSHIP_VALUES),
            date_of(pl.col("established")),
            shift_decimal(pl.col("employees"), 0),
            *(_in_10k(money) for money in MONEY_COLUMNS),
            choice_of(pl.col("high_tech"), HIGH_TECH_VALUES),
            choice_of(pl.col("incubation_stage"), INCUBATION_VALUES),
            choice_of(pl.col("status"), STATUS_VALUES),
            pl.coalesce(pl.col(REJECT_REASON), other_park).alias(REJECT_REASON),
        )
        .select(*LANDED_COLUMNS, pl.exclude(*LANDED_COLUMNS, *places, FILE_PARK_COLUMN))
        .collect()
    )


def _in_10k(money: str) -> pl.Expr:
    """A money column shifted from its file's unit to 万元 (as sent where the unit is unknown)."""
    places = pl.col(places_column(money))
    # one shift by each row's own places: a branch per unit would shift every row once per unit
    return pl.when(places.is_null()).then(pl.col(money)).otherwise(shift_decimal(pl.col(money), places)).alias(money)


# below this many files a batch is read in one process: starting a process and importing Polars in it
# takes longer than locating a few dozen files
PARALLEL_FROM_FILES = 64
# chunks per worker: enough for the workers to finish together and the progress bar to move
CHUNKS_PER_WORKER = 8


def read_submissions(
    paths: list[Path],
    *,
    park_of: Mapping[Path, str] | None = None,
    park_names: Mapping[str, str] | None = None,
    workers: int = 1,
) -> pl.DataFrame:
    """Every file of ``paths`` as :func:`read_spreadsheet` reads it, cleaned in one pass; a file
    rejected whole does not stop the others: its lines come back quarantined with the file's error
    (:func:`rejected_file_rows`).

    ``park_of[path]`` is the park a file was submitted for (its inbox folder); a file without an
    entry has its park read from a title line naming one of ``park_names`` (full name -> code).

    With ``workers`` above 1 and at least :data:`PARALLEL_FROM_FILES` files, the files are located in
    that many processes, in chunks, and come back in the order of ``paths`` with their log lines: the
    same rows as one process reads, in the same order (locating a file is Python and small Polars
    queries, one core's work; the cleaning after it is one multi-threaded query)."""
    park_of = park_of or {}
    files = [(path, park_of.get(path)) for path in map(Path, paths)]
    located = []
    with progress_bar() as progress:
        task = progress.add_task("reading submissions", total=len(files))
        if workers > 1 and len(files) >= PARALLEL_FROM_FILES and not multiprocessing.current_process().daemon:
            # spawn, not fork: the parent runs Polars' and DuckDB's thread pools, which a fork would copy
            # mid-flight; a daemonic process (some executors' workers) may not start children at all
            chunks = _chunks(files, workers)
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                for chunk, (frame, records) in zip(
                    chunks, pool.map(_locate_chunk, chunks, repeat(park_names)), strict=True
                ):
                    for record in records:
                        log.handle(record)
                    located.append(frame)
                    progress.advance(task, len(chunk))
        else:
            for path, park_code in files:
                located.append(_locate_or_reject(path, park_code, park_names))
                progress.advance(task)
    return clean_located(pl.concat(located, how="diagonal"))


def _locate_or_reject(path: Path, park_code: str | None, park_names: Mapping[str, str] | None) -> pl.DataFrame:
    """The located rows of one file, or its lines quarantined with the error that rejected it whole."""
    try:
        return _locate(path, None, park_code, park_names).frame
    except SubmissionFileError as error:
        log.error("%s", error)
        return rejected_file_rows(path, error, park_code=park_code)


def _chunks(files: list[tuple[Path, str | None]], workers: int) -> list[list[tuple[Path, str | None]]]:
    size = max(1, -(-len(files) // (workers * CHUNKS_PER_WORKER)))
    return [files[start : start + size] for start in range(0, len(files), size)]


class _Collected(logging.Handler):
    """Log records of a worker process, kept to be logged by the parent, where the task's handlers are."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args, record.exc_info = record.getMessage(), None, None
        self.records.append(record)


def _locate_chunk(
    files: list[tuple[Path, str | None]], park_names: Mapping[str, str] | None
) -> tuple[pl.DataFrame, list[logging.LogRecord]]:
    """In a worker process: :func:`_locate_or_reject` of each file, as one frame, and the log records."""
    collected = _Collected()
    log.addHandler(collected)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        frames = [_locate_or_reject(path, park_code, park_names) for path, park_code in files]
        return pl.concat(frames, how="diagonal"), collected.records
    finally:
        log.removeHandler(collected)
        log.propagate = True


# ------------------------------------------------------------------------------------ validation


def industry_classes(reference_dir: Path | None = None) -> frozenset[str]:
    """The 4-digit GB/T 4754-2017 classes (小类) of ``industry/gbt4754_2017.csv`` (columns code, name).

    ``reference_dir`` defaults to ``$PARK_REFERENCE_DIR``. The file lists sections (A), divisions
    (01), groups (011) and classes (0111) in one ``code`` column; classes are the 4-digit codes.
    """
    if reference_dir is None:
        from parkplatform.config import get_settings

        reference_dir = get_settings().reference_dir
        if reference_dir is None:
            raise FileNotFoundError("PARK_REFERENCE_DIR is not set: GB/T 4754-2017 classes cannot be read")
    path = Path(reference_dir) / INDUSTRY_REFERENCE
    codes = pl.read_csv(path, infer_schema=False).select(pl.col("code").str.strip_chars())
    return frozenset(codes.filter(pl.col("code").str.contains(r"^\d{4}$"))["code"].to_list())


def industry_class_rule(classes: frozenset[str] | set[str]) -> tuple[str, pl.Expr]:
    """Rule ``(reason, fails)`` for :func:`parkplatform.landing.first_reject_reason`: the class
    exists, when an industry code is sent (the column is optional)."""
    return INDUSTRY_CLASS_REASON, _sent(pl.col("industry_code")) & ~pl.col("industry_code").is_in(sorted(classes))


def submission_rules(
    known_parks: list[str], shared_codes: list[str], classes: frozenset[str] | set[str] | None
) -> list[tuple[str, pl.Expr]]:
    """:func:`validation_rules` with the GB/T 4754-2017 class rule right after the 4-digit rule
    (without ``classes``, i.e. without the reference data, only the 4-digit form is checked)."""
    rules = validation_rules(known_parks, shared_codes)
    if classes is None:
        return rules
    after = next(i for i, (reason, _) in enumerate(rules) if reason.startswith("industry_code")) + 1
    return [*rules[:after], industry_class_rule(classes), *rules[after:]]


def validate(frame: pl.DataFrame, rules: list[tuple[str, pl.Expr]]) -> pl.DataFrame:
    """Apply ``rules`` to rows that reading did not already quarantine (blank and totals rows keep theirs)."""
    return frame.with_columns(pl.coalesce(pl.col(REJECT_REASON), first_reject_reason(rules)).alias(REJECT_REASON))


def file_counts(frame: pl.DataFrame) -> pl.DataFrame:
    """received, landed, quarantined per ``_source_file`` (received = landed + quarantined)."""
    return (
        frame.group_by("_source_file")
        .agg(
            pl.len().alias("received"),
            pl.col(REJECT_REASON).is_null().sum().cast(pl.UInt32).alias("landed"),
            pl.col(REJECT_REASON).is_not_null().sum().cast(pl.UInt32).alias("quarantined"),
        )
        .sort("_source_file")
    )


# ----------------------------------------------------------------------------------- duplicates


def resolve_duplicates(frame: pl.DataFrame, *, period_column: str = "period") -> DuplicateResolution:
    """One row per credit code; the others superseded with :data:`DUPLICATE_REASON`, none lost.

    The rule: among the rows with the same ``credit_code`` that are not already quarantined (no
    ``_reject_reason``), the row of the newest ``period_column`` wins: the period ending latest (November
    2026 over the quarter 2026Q3, whatever their labels' order), of periods ending together the greater label,
    a null period the oldest; within a period the first file (``_source_file`` order) and in it the first row
    (``_source_row``) wins. ``kept`` holds every row that is not superseded (the winners, the rows
    without a duplicate and, untouched, rows quarantined before) in the input order; ``superseded``
    holds the losers with the reason and ``_kept_source_file`` / ``_kept_source_row`` /
    ``_kept_period`` naming the row that won. ``kept.height + superseded.height == frame.height``.
    """
    if period_column not in frame.columns:
        raise ValueError(f"resolve_duplicates: no {period_column!r} column to order periods by")
    has_reason = REJECT_REASON in frame.columns
    eligible = pl.col("credit_code").is_not_null()
    if has_reason:
        eligible = eligible & pl.col(REJECT_REASON).is_null()
    # rank on the ordering columns alone (a national batch has millions of wide text rows: sorting them
    # whole would copy every column several times), then split the wide frame once with the result
    labels = frame[period_column].drop_nulls().unique().to_list()
    period_end = pl.col(period_column).replace_strict(
        {label: parse_period(label).end for label in labels}, default=None, return_dtype=pl.Date
    )
    ranked = (
        frame.select(
            pl.int_range(pl.len(), dtype=pl.UInt64).alias("_input_order"),
            "credit_code",
            period_column,
            period_end.alias("_period_end"),
            "_source_file",
            "_source_row",
            eligible.alias("_eligible"),
        )
        .sort(
            ["_period_end", period_column, "_source_file", "_source_row", "_input_order"],
            descending=[True, True, False, False, False],
            nulls_last=True,
        )
        .with_row_index("_rank")
    )
    winner_rank = pl.when(pl.col("_eligible")).then(pl.col("_rank")).min().over("credit_code")
    ranked = ranked.with_columns((pl.col("_eligible") & (pl.col("_rank") != winner_rank)).alias("_superseded"))
    winners = ranked.filter(pl.col("_eligible") & ~pl.col("_superseded")).select(
        "credit_code",
        pl.col("_source_file").alias("_kept_source_file"),
        pl.col("_source_row").alias("_kept_source_row"),
        pl.col(period_column).alias("_kept_period"),
    )
    superseded_mask = ranked.sort("_input_order")["_superseded"]
    kept = frame.filter(~superseded_mask)
    superseded = (
        frame.filter(superseded_mask)
        .join(winners, on="credit_code", how="left", maintain_order="left")
        .with_columns(pl.lit(DUPLICATE_REASON).alias(REJECT_REASON))
    )
    return DuplicateResolution(kept=kept, superseded=superseded)
