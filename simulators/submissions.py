"""Deterministic generator of the operational sources that have no public data.

It is calibrated on the park registry (every generated enterprise sits in a registry park, drawn
with heavy-tailed weights) and writes the same files a park office would send, so that the
extractors always read real files. A configurable share of rows is corrupted on purpose, one kind
of fault after another, to exercise the quarantine.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from extractors.park_submissions import credit_code
from extractors.park_submissions.extract import SOURCE, registry_parks
from extractors.park_submissions.reader import LANDED_COLUMNS as SUBMISSION_COLUMNS
from extractors.park_submissions.reader import OPTIONAL_COLUMNS, shift_decimal
from parkplatform import catalogue
from parkplatform.config import REPO_ROOT, Settings
from parkplatform.intake import ParkResolver
from parkplatform.progress import progress_bar
from parkplatform.receipts import Period, parse_period
from simulators.sending import send

log = logging.getLogger(__name__)

# GB/T 4754-2017 classes of each cluster (DESIGN.md section 4), a seed the warehouse shares.
CLUSTER_CLASSES_FILE = REPO_ROOT / "dbt_project" / "seeds" / "cluster_industry_classes.csv"
# Share of a park's enterprises drawn from its declared clusters (the rest from any cluster).
DECLARED_CLUSTER_SHARE = 0.75
# The generated history: the months before the logical date (DESIGN.md section 7)
HISTORY_MONTHS = 26
# Enterprises generated and written at a time: bounds memory at the national and stress scales.
CHUNK_ROWS = 1_000_000
PARK_CLUSTERS_SCHEMA = {"zone_code": pl.String, "clusters": pl.List(pl.String)}
OWNERSHIP = ("state", "private", "foreign", "hk_macao_taiwan")
OWNERSHIP_WEIGHTS = (0.1, 0.7, 0.12, 0.08)
# Where foreign-invested enterprises come from (ISO 3166 alpha-3), roughly as in China's FDI by origin.
FOREIGN_ORIGINS = ("JPN", "KOR", "USA", "DEU", "SGP", "GBR", "FRA", "NLD", "ARE", "SAU", "EGY", "MYS", "THA", "ZAF")
FOREIGN_ORIGIN_WEIGHTS = (0.18, 0.16, 0.14, 0.11, 0.1, 0.05, 0.05, 0.04, 0.04, 0.03, 0.03, 0.03, 0.02, 0.02)
HK_MACAO_ORIGINS = ("HKG", "MAC")
HK_MACAO_ORIGIN_WEIGHTS = (0.85, 0.15)
INCUBATION_STAGES = ("incubator", "accelerator", "industrialisation_base", "none")
INCUBATION_WEIGHTS = (0.08, 0.04, 0.03, 0.85)
STATUSES = ("operating", "suspended", "closed", "moved_out")
STATUS_WEIGHTS = (0.92, 0.03, 0.03, 0.02)
NAME_STEMS = ("华", "新", "瑞", "达", "科", "联", "金", "海", "恒", "创", "鼎", "信", "宏", "安", "盛", "泰")
NAME_SUFFIXES = ("科技有限公司", "材料有限公司", "电子有限公司", "机械有限公司", "生物科技有限公司", "实业有限公司")

# Each fault and the validation rule that must catch it (the extractor's reason text).
FAULT_KINDS = (
    "bad_check_character",
    "unknown_park",
    "negative_employees",
    "missing_name",
    "not_an_industry_class",
    "duplicate_enterprise",
)
NOT_A_CLASS = "3390"  # four digits, but no class of GB/T 4754-2017
# With faults on, each time the offices send (a logical date, or one period of the history) one of them leaves
# this required column out (its file is rejected whole): the office with the fewest enterprises (the first in
# code order among equals), so that the fault is exercised while nearly every enterprise generated lands.
COLUMN_LEFT_OUT = "enterprise_name"
# How often each generated office reports its list (besides the annual report every office files, which the
# history back-fill sends): most monthly, as the alliance asks its members to; a share quarterly, like the
# offices that send the alliance what they compile for the quarterly statistics reports (季报) anyway; a few
# only yearly, with the annual report (年报). Drawn per office from the seed and the park's code, so that an
# office keeps its cadence whatever the scale and whichever other offices are generated.
OFFICE_CADENCES = ("month", "quarter", "year")
OFFICE_CADENCE_SHARES = (0.7, 0.2, 0.1)
WORKBOOK_CREATED = datetime(2018, 1, 1)


def cluster_classes() -> pl.DataFrame:
    """cluster_code, industry_code (a GB/T 4754-2017 class), industry_name_cn."""
    return pl.read_csv(CLUSTER_CLASSES_FILE, infer_schema=False)


def draw_industry_codes(
    park_clusters: pl.DataFrame, park: np.ndarray, rng: np.random.Generator, share: float = DECLARED_CLUSTER_SHARE
) -> np.ndarray:
    """A GB/T 4754 class per enterprise: with probability ``share`` from one of its park's declared
    clusters (``park_clusters``: zone_code, clusters), otherwise, or when the park declares none,
    from any cluster; then a class of that cluster, uniformly."""
    classes = cluster_classes().group_by("cluster_code").agg(pl.col("industry_code").sort()).sort("cluster_code")
    all_clusters = classes["cluster_code"].to_list()
    n = park.size
    drawn = (
        pl.DataFrame(
            {"zone_code": park, "u_declared": rng.random(n), "u_cluster": rng.random(n), "u_class": rng.random(n)}
        )
        .join(park_clusters.select("zone_code", "clusters"), on="zone_code", how="left", maintain_order="left")
        .with_columns(
            pl.when((pl.col("u_declared") < share) & (pl.col("clusters").list.len() > 0))
            .then(pl.col("clusters"))
            .otherwise(pl.lit(all_clusters, dtype=pl.List(pl.String)))
            .alias("pool")
        )
        .with_columns(
            pl.col("pool")
            .list.get((pl.col("u_cluster") * pl.col("pool").list.len()).floor().cast(pl.Int64))
            .alias("cluster_code")
        )
        .join(classes, on="cluster_code", how="left", maintain_order="left")
        .select(
            pl.col("industry_code").list.get(
                (pl.col("u_class") * pl.col("industry_code").list.len()).floor().cast(pl.Int64)
            )
        )
    )
    return drawn["industry_code"].to_numpy()


def generate_enterprises(
    park_codes: list[str],
    province_codes: list[str],
    *,
    enterprises: int,
    parks: int,
    seed: int,
    bad_row_rate: float,
    park_clusters: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``enterprises`` rows in ``parks`` parks drawn from the registry, with faults injected;
    industries biased to each park's declared clusters (``park_clusters``: zone_code, clusters).
    All in memory: :func:`enterprise_chunks` is the streaming form for the big scales."""
    return pl.concat(
        enterprise_chunks(
            park_codes,
            province_codes,
            enterprises=enterprises,
            parks=parks,
            seed=seed,
            bad_row_rate=bad_row_rate,
            park_clusters=park_clusters,
            chunk_rows=max(enterprises, 1),
        )
    )


def enterprise_chunks(
    park_codes: list[str],
    province_codes: list[str],
    *,
    enterprises: int,
    parks: int,
    seed: int,
    bad_row_rate: float,
    park_clusters: pl.DataFrame | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[pl.DataFrame]:
    """The enterprises of :func:`generate_enterprises` in chunks of about ``chunk_rows`` rows, each
    holding whole parks (a park's file is written from one chunk), so that memory stays bounded at
    any scale. One chunk (``enterprises <= chunk_rows``) keeps the rows in the order they were
    drawn; several chunks hold the parks in registry order. Faults are injected per chunk."""
    rng = np.random.default_rng(seed)
    industry_rng = np.random.default_rng([seed, 4754])
    profile_rng = np.random.default_rng([seed, 32100])
    park_clusters = park_clusters if park_clusters is not None else pl.DataFrame(schema=PARK_CLUSTERS_SCHEMA)
    park_index = _assign_parks(len(park_codes), np.argsort(park_codes), enterprises, parks, rng)
    if enterprises <= chunk_rows:
        pieces = [park_index]
    else:
        park_index = np.sort(park_index, kind="stable")
        # cut where a chunk is full, moved forward to the next park boundary
        boundaries = np.flatnonzero(np.diff(park_index)) + 1
        following = np.searchsorted(boundaries, np.arange(chunk_rows, enterprises, chunk_rows))
        cuts = np.unique(boundaries[following[following < boundaries.size]])
        pieces = np.split(park_index, cuts)
    codes, provinces = np.asarray(park_codes), np.asarray(province_codes)
    for piece in pieces:
        rows = _enterprise_rows(codes[piece], provinces[piece], park_clusters, rng, industry_rng)
        yield inject_faults(_with_profile(rows, profile_rng), rng, bad_row_rate)


def _assign_parks(
    n_parks: int, order: np.ndarray, enterprises: int, parks: int, rng: np.random.Generator
) -> np.ndarray:
    """Registry index of each enterprise's park: ``parks`` parks chosen, each with at least one
    enterprise, the rest heavy-tailed (a few parks hold most enterprises, as in the real alliance)."""
    chosen = rng.choice(order, size=min(parks, n_parks), replace=False)
    chosen.sort()
    weights = rng.pareto(1.2, chosen.size) + 1.0
    drawn = rng.choice(chosen.size, size=max(enterprises - chosen.size, 0), p=weights / weights.sum())
    return np.concatenate([chosen, chosen[drawn]])[:enterprises]


def _enterprise_rows(
    park: np.ndarray,
    province2: np.ndarray,
    park_clusters: pl.DataFrame,
    rng: np.random.Generator,
    industry_rng: np.random.Generator,
) -> pl.DataFrame:
    """Clean rows (valid credit codes, heavy-tailed employment and revenue) for these parks."""
    n = park.size
    body = rng.integers(0, 31, (n, 17))
    body[:, 0] = credit_code.VALUE_OF["9"]  # registered by market regulation
    body[:, 1] = credit_code.VALUE_OF["1"]  # enterprise
    # positions 3-8: a division code inside the park's province (PP CC DD)
    division = province2.astype(np.int64) * 10_000 + rng.integers(1, 30, n) * 100
    division += rng.integers(0, 20, n)
    body[:, 2:8] = (division[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    codes = credit_code.encode(np.column_stack([body, credit_code.check_values(body)]))

    stems = np.array(NAME_STEMS)[rng.integers(0, len(NAME_STEMS), (n, 2))]
    suffixes = np.array(NAME_SUFFIXES)[rng.integers(0, len(NAME_SUFFIXES), n)]
    names = np.char.add(np.char.add(stems[:, 0], stems[:, 1]), suffixes)

    employees = np.maximum(1, rng.lognormal(3.2, 1.3, n).astype(np.int64))
    revenue = np.round(employees * rng.lognormal(3.6, 0.8, n), 1)
    established_year = rng.integers(1995, 2026, n).astype(str)
    established_month = np.char.zfill(rng.integers(1, 13, n).astype(str), 2)
    established = np.char.add(np.char.add(np.char.add(established_year, "-"), established_month), "-01")

    return pl.DataFrame(
        {
            "credit_code": codes,
            "enterprise_name": names,
            "park_code": park,
            # a stream of its own, so that the draws above and the faults below do not depend on it
            "industry_code": draw_industry_codes(park_clusters, park, industry_rng),
            "ownership": rng.choice(OWNERSHIP, size=n, p=OWNERSHIP_WEIGHTS),
            "established": established,
            "employees": employees.astype(str),
            "revenue_10k_cny": revenue.astype(str),
            "high_tech": np.where(rng.random(n) < 0.2, "Y", "N"),
            # the park whose office sends the row, kept even when the row's park code is corrupted
            "_file_park": park,
        }
    )


def _with_profile(rows: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Tax and R&D spending (万元, shares of revenue; R&D higher in high-tech enterprises), the origin
    of foreign and HK/Macao-invested enterprises, incubation stage and status, drawn from a stream of
    their own so that the other columns do not depend on them."""
    n = rows.height
    revenue = rows["revenue_10k_cny"].cast(pl.Float64).to_numpy()
    high_tech = (rows["high_tech"] == "Y").to_numpy()
    tax = np.round(revenue * rng.uniform(0.01, 0.08, n), 1)
    rnd = np.round(revenue * np.where(high_tech, rng.uniform(0.03, 0.1, n), rng.uniform(0.0, 0.02, n)), 1)
    foreign_origin = rng.choice(FOREIGN_ORIGINS, size=n, p=FOREIGN_ORIGIN_WEIGHTS)
    hk_macao_origin = rng.choice(HK_MACAO_ORIGINS, size=n, p=HK_MACAO_ORIGIN_WEIGHTS)
    return rows.with_columns(
        pl.Series("tax_10k_cny", tax.astype(str)),
        pl.Series("rnd_10k_cny", rnd.astype(str)),
        pl.when(pl.col("ownership") == "foreign")
        .then(pl.Series(foreign_origin))
        .when(pl.col("ownership") == "hk_macao_taiwan")
        .then(pl.Series(hk_macao_origin))
        .alias("origin_country"),
        pl.Series("incubation_stage", rng.choice(INCUBATION_STAGES, size=n, p=INCUBATION_WEIGHTS)),
        pl.Series("status", rng.choice(STATUSES, size=n, p=STATUS_WEIGHTS)),
    )


def inject_faults(frame: pl.DataFrame, rng: np.random.Generator, bad_row_rate: float) -> pl.DataFrame:
    """Corrupt round(rate * rows) rows, cycling through FAULT_KINDS, and record the kind."""
    n_bad = round(bad_row_rate * frame.height)
    bad_rows = np.sort(rng.choice(frame.height, size=n_bad, replace=False))
    kinds = pl.DataFrame(
        {"_row": bad_rows.astype(np.uint32), "_fault": [FAULT_KINDS[i % len(FAULT_KINDS)] for i in range(n_bad)]},
        schema={"_row": pl.UInt32, "_fault": pl.String},
    )
    frame = frame.with_row_index("_row").join(kinds, on="_row", how="left").drop("_row")
    last = pl.col("credit_code").str.slice(17, 1)
    wrong_check = pl.when(last == "0").then(pl.lit("1")).otherwise(pl.lit("0"))
    return frame.with_columns(
        pl.when(pl.col("_fault") == "bad_check_character")
        .then(pl.col("credit_code").str.slice(0, 17) + wrong_check)
        .otherwise(pl.col("credit_code"))
        .alias("credit_code"),
        pl.when(pl.col("_fault") == "unknown_park")
        .then(pl.lit("S999999"))
        .otherwise(pl.col("park_code"))
        .alias("park_code"),
        pl.when(pl.col("_fault") == "negative_employees")
        .then("-" + pl.col("employees"))
        .otherwise(pl.col("employees"))
        .alias("employees"),
        pl.when(pl.col("_fault") == "missing_name")
        .then(pl.lit(None))
        .otherwise(pl.col("enterprise_name"))
        .alias("enterprise_name"),
        pl.when(pl.col("_fault") == "not_an_industry_class")
        .then(pl.lit(NOT_A_CLASS))
        .otherwise(pl.col("industry_code"))
        .alias("industry_code"),
    ).with_columns(
        # the same enterprise reported again, by another row (usually another park's file)
        pl.when(pl.col("_fault") == "duplicate_enterprise")
        .then(pl.col("credit_code").shift(1, fill_value=pl.col("credit_code").last()))
        .otherwise(pl.col("credit_code"))
        .alias("credit_code"),
    )


@dataclass(frozen=True)
class SubmissionStyle:
    """How one park office writes its spreadsheet."""

    suffix: str
    encoding: str | None  # None for a workbook
    chinese_headers: bool
    revenue_unit: str  # 元, 万元 or 亿元, stated in the header (tax and R&D use it too)
    full_width_digits: bool = False
    thousands_separators: bool = False
    optional_columns: bool = True  # False: the office still uses the template without them


# Park offices differ; files take these styles in turn (see README, "Park submissions").
SUBMISSION_STYLES = (
    SubmissionStyle(".csv", "utf-8", chinese_headers=False, revenue_unit="万元"),
    SubmissionStyle(".csv", "gbk", chinese_headers=True, revenue_unit="万元"),
    SubmissionStyle(".xlsx", None, chinese_headers=True, revenue_unit="亿元"),
    SubmissionStyle(".csv", "utf-8-sig", chinese_headers=True, revenue_unit="元", thousands_separators=True),
    SubmissionStyle(
        ".csv", "gb18030", chinese_headers=True, revenue_unit="万元", full_width_digits=True, optional_columns=False
    ),
)
EXCEL_MAX_ROWS = 1_048_576
LARGE_FILE_STYLE = SUBMISSION_STYLES[1]
CHINESE_HEADERS = {
    "credit_code": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "park_code": "园区代码",
    "industry_code": "行业代码",
    "ownership": "所有制类型",
    "established": "成立日期",
    "employees": "从业人员",
    "revenue_10k_cny": "营业收入",
    "high_tech": "是否高新技术企业",
    "tax_10k_cny": "纳税总额",
    "rnd_10k_cny": "研发经费支出",
    "origin_country": "投资来源国",
    "incubation_stage": "孵化阶段",
    "status": "经营状态",
}
ENGLISH_HEADERS = {"revenue_10k_cny": "revenue", "tax_10k_cny": "tax", "rnd_10k_cny": "rnd_spend"}
MONEY_COLUMNS = tuple(ENGLISH_HEADERS)
# how a Chinese office writes the coded values
CHINESE_VALUES = {
    "incubation_stage": {
        "incubator": "孵化器",
        "accelerator": "加速器",
        "industrialisation_base": "产业化基地",
        "none": "无",
    },
    "status": {"operating": "存续", "suspended": "停业", "closed": "注销", "moved_out": "迁出"},
}
UNIT_SHIFT_FROM_10K = {"元": 4, "万元": 0, "亿元": -4}
FULL_WIDTH_DIGITS = {str(d): chr(ord("０") + d) for d in range(10)}


def style_rows(rows: pl.DataFrame, style: SubmissionStyle, *, blank_row: bool) -> pl.DataFrame:
    """The rows as the office writes them: its columns, units, digits, words and headers, a blank
    line where one slipped in, and the 合计 totals row every office adds at the bottom."""
    columns = [c for c in SUBMISSION_COLUMNS if style.optional_columns or c not in OPTIONAL_COLUMNS]
    styled = rows.select(columns).with_columns(
        _styled_money(money, style) for money in MONEY_COLUMNS if money in columns
    )
    if style.full_width_digits:
        styled = styled.with_columns(pl.col("employees").str.replace_many(FULL_WIDTH_DIGITS))
    if style.chinese_headers:
        styled = styled.with_columns(
            pl.col(column).replace(words) for column, words in CHINESE_VALUES.items() if column in columns
        )
    totals = {column: None for column in columns} | {
        "credit_code": "合计",
        "employees": str(rows["employees"].cast(pl.Int64, strict=False).sum()),
    }
    parts = [styled.head(1)]
    if blank_row:
        parts.append(pl.DataFrame([dict.fromkeys(columns, "")], schema=styled.schema))
    parts += [styled.slice(1), pl.DataFrame([totals], schema=styled.schema)]
    unit = (
        style.revenue_unit
        if style.chinese_headers
        else {"元": "CNY", "万元": "10k CNY", "亿元": "100m CNY"}[style.revenue_unit]
    )
    headers = {column: CHINESE_HEADERS[column] if style.chinese_headers else column for column in columns}
    for money in MONEY_COLUMNS:
        if money in columns:
            label = CHINESE_HEADERS[money] if style.chinese_headers else ENGLISH_HEADERS[money]
            headers[money] = f"{label}（{unit}）"
    return pl.concat(parts).rename(headers)


def _styled_money(money: str, style: SubmissionStyle) -> pl.Expr:
    """A money column (万元) in the office's unit, with thousands separators if it uses them."""
    value = shift_decimal(pl.col(money), UNIT_SHIFT_FROM_10K[style.revenue_unit])
    if style.thousands_separators:
        value = value.map_elements(_group_thousands, return_dtype=pl.String)
    return value.alias(money)


def _group_thousands(value: str) -> str:
    whole, _, fraction = value.partition(".")
    grouped = f"{int(whole):,}" if whole.lstrip("-").isdigit() else whole
    return f"{grouped}.{fraction}" if fraction else grouped


def write_submissions(
    frame: pl.DataFrame, target: Path, *, file_numbers: Mapping[str, int], incomplete_office: str | None = None
) -> list[Path]:
    """One file per park of ``frame`` in the office's own style, into ``target`` (which must exist). The
    office's number (``file_numbers``, by park) picks its style and a blank row in every 4th file, so an office
    writes alike whichever other offices send with it; ``incomplete_office`` leaves out :data:`COLUMN_LEFT_OUT`."""
    written = []
    for (park,), rows in frame.group_by("_file_park", maintain_order=True):
        number = file_numbers[park]
        style = SUBMISSION_STYLES[number % len(SUBMISSION_STYLES)]
        if style.encoding is None and rows.height + 3 > EXCEL_MAX_ROWS:
            style = LARGE_FILE_STYLE  # more rows than a worksheet holds: the office sends a CSV
        sheet = style_rows(rows, style, blank_row=number % 4 == 1)
        if park == incomplete_office:
            sheet = sheet.drop(sheet.columns[SUBMISSION_COLUMNS.index(COLUMN_LEFT_OUT)])
        path = target / f"{park}{style.suffix}"
        if style.encoding is None:
            # a fixed creation time: the same rows make the same bytes, so a re-run sends nothing new
            with xlsxwriter.Workbook(path) as workbook:
                workbook.set_properties({"created": WORKBOOK_CREATED})
                sheet.write_excel(workbook, worksheet="企业名录")
        else:
            path.write_bytes(sheet.write_csv().encode(style.encoding))
        written.append(path)
    return written


def office_cadence(park: str, seed: int) -> str:
    """How often the generated office of ``park`` reports (:data:`OFFICE_CADENCES`, in the shares of
    :data:`OFFICE_CADENCE_SHARES`): a draw from the SHA-256 of the seed and the park's code, the same on every
    machine and whatever else is generated."""
    draw = int.from_bytes(hashlib.sha256(f"{seed}:{park}".encode()).digest()[:8], "big") / 2**64
    index = int(np.searchsorted(np.cumsum(OFFICE_CADENCE_SHARES), draw, side="right"))
    return OFFICE_CADENCES[min(index, len(OFFICE_CADENCES) - 1)]


def due_periods(logical_date: date) -> dict[str, Period]:
    """The period an office of each cadence sends at ``logical_date``: the last one ended before the date, as
    real offices send a period's figures once it is over. A monthly office the month before the date's
    (``2026-10`` throughout November 2026), a quarterly office the last quarter ended (``2026Q3`` from October
    to December 2026), a yearly office last year's list (``2025`` throughout 2026)."""
    quarters_ended = (logical_date.month - 1) // 3
    last_quarter = f"{logical_date.year}Q{quarters_ended}" if quarters_ended else f"{logical_date.year - 1}Q4"
    last_month = logical_date.replace(day=1) - timedelta(days=1)
    return {
        "month": parse_period(f"{last_month:%Y-%m}"),
        "quarter": parse_period(last_quarter),
        "year": parse_period(str(logical_date.year - 1)),
    }


def generate_park_submissions(
    registry: pl.DataFrame,
    *,
    target: Path,
    enterprises: int,
    parks: int,
    seed: int,
    bad_row_rate: float,
    period_of: Callable[[str], Period],
    current_end: date,
    chunk_rows: int = CHUNK_ROWS,
) -> list[Path]:
    """Replace the offices' files in ``target`` for ``registry`` (zone_code, province_adcode2, clusters),
    streaming chunk by chunk with a progress bar; return the files in name order. Each office writes the
    period ``period_of`` gives for its park into ``target/<period>/``; for a period that ended before
    ``current_end`` (the end of the logical date's month), the enterprises as they stood then
    (:func:`as_it_stood`). With faults on, the office with the fewest enterprises (of the first chunk: of all
    offices up to the demo scale) sends its file without :data:`COLUMN_LEFT_OUT`."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    chunks = enterprise_chunks(
        registry["zone_code"].to_list(),
        registry["province_adcode2"].to_list(),
        enterprises=enterprises,
        parks=parks,
        seed=seed,
        bad_row_rate=bad_row_rate,
        park_clusters=registry.select("zone_code", "clusters"),
        chunk_rows=chunk_rows,
    )
    paths: list[Path] = []
    offices_before = 0
    incomplete: str | None = None
    with progress_bar() as progress:
        task = progress.add_task("park submissions (generated offices)", total=enterprises)
        for chunk in chunks:
            offices = chunk["_file_park"].unique(maintain_order=True).to_list()
            file_numbers = {park: offices_before + number for number, park in enumerate(offices)}
            offices_before += len(offices)
            if bad_row_rate > 0 and incomplete is None:
                incomplete = smallest_office(chunk)
            sending: dict[Period, list[str]] = {}
            for park in offices:
                sending.setdefault(period_of(park), []).append(park)
            for period, period_offices in sending.items():
                rows = chunk.filter(pl.col("_file_park").is_in(period_offices))
                if period.end < current_end:
                    rows = as_it_stood(rows, period.end, (current_end - period.end).days / 365.25, seed)
                folder = target / period.label
                folder.mkdir(exist_ok=True)
                paths += write_submissions(rows, folder, file_numbers=file_numbers, incomplete_office=incomplete)
            progress.advance(task, chunk.height)
    log.info("generated %d enterprise rows in %d files under %s", enterprises, len(paths), target)
    return sorted(paths)


def smallest_office(rows: pl.DataFrame) -> str:
    """The office of ``rows`` with the fewest enterprises, the first in code order among equals."""
    counts = rows.group_by("_file_park").len().sort("len", "_file_park")
    return counts["_file_park"][0]


def as_it_stood(rows: pl.DataFrame, period_end: date, years_back: float, seed: int) -> pl.DataFrame:
    """The enterprises of ``rows`` (as they are now) as an earlier period's file lists them: only those
    established by ``period_end``; headcount, revenue, tax and R&D smaller by each enterprise's own annual
    growth (2% to 18%, fixed per credit code) over ``years_back`` years; some enterprises one incubation stage
    earlier per year (an accelerator was in the incubator, an industrialisation base an accelerator). Cells
    that are not numbers or are negative (the injected faults) stay as they are."""
    draw = (pl.col("credit_code").fill_null("").hash(seed) % 1_000_000).cast(pl.Float64) / 1_000_000
    shrink = (1.02 + 0.16 * draw).pow(-years_back)
    established = pl.col("established").str.to_date("%Y-%m-%d", strict=False)

    def scaled(column: str, *, whole: bool) -> pl.Expr:
        number = pl.col(column).cast(pl.Float64, strict=False)
        value = number * shrink
        value = pl.max_horizontal(value.round(0), pl.lit(1.0)).cast(pl.Int64) if whole else value.round(1)
        # a negative figure is one of the injected faults: it stays one, unscaled
        scalable = number.is_not_null() & (number >= 0)
        return pl.when(scalable).then(value.cast(pl.String)).otherwise(pl.col(column)).alias(column)

    moved_back = pl.lit(years_back) >= 0.5 + 2 * draw  # the smaller its draw, the sooner an enterprise moved on
    stages = dict(zip(INCUBATION_STAGES[1:3], INCUBATION_STAGES[0:2], strict=True))
    return rows.filter(established.is_null() | (established <= period_end)).with_columns(
        scaled("employees", whole=True),
        scaled("revenue_10k_cny", whole=False),
        scaled("tax_10k_cny", whole=False),
        scaled("rnd_10k_cny", whole=False),
        pl.when(moved_back & pl.col("incubation_stage").is_in(list(stages)))
        .then(pl.col("incubation_stage").replace(stages))
        .otherwise(pl.col("incubation_stage"))
        .alias("incubation_stage"),
    )


def history_periods(logical_date: date, months: int = HISTORY_MONTHS) -> list[Period]:
    """The periods the offices' history is back-filled with (DESIGN.md section 7: the ``months`` months before
    ``logical_date``): each full year from the one the window starts in up to last year, as the annual reports
    every office files whatever its cadence, oldest first (year on year needs the year before; 2024 and 2025 for a date in 2026)."""
    first_year = (logical_date.year * 12 + logical_date.month - 1 - months) // 12
    return [parse_period(str(year)) for year in range(first_year, logical_date.year)]


def write_period(settings: Settings, logical_date: date, period: Period | None = None) -> list[Path]:
    """Write the offices' files as the park offices would (generated: no public data) and send each into the
    inbox for its park and period; returns the inbox files now current for the offices that sent. Each office
    sends what its cadence (:func:`office_cadence`) has due at ``logical_date`` (:func:`due_periods`), unless
    ``period`` names an earlier one (:func:`history_periods`): then every office sends it, with the
    enterprises as they stood at its end."""
    current = parse_period(f"{logical_date:%Y-%m}")
    due = due_periods(logical_date)
    parks = registry_parks(settings)
    # Park offices of zones with a shared catalogue code cannot be told apart: none is generated.
    submitting = parks.filter(~pl.col("code_is_shared") & pl.col("province_adcode2").is_not_null())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir) as scratch:
        files = generate_park_submissions(
            submitting,
            target=Path(scratch) / "outbox",
            enterprises=settings.scale.enterprises,
            parks=settings.scale.parks,
            seed=settings.seed,
            bad_row_rate=settings.bad_row_rate,
            period_of=(lambda _park: period) if period else (lambda park: due[office_cadence(park, settings.seed)]),
            current_end=current.end,
        )
        resolver = ParkResolver(catalogue.valid_registry(settings))
        sent: list[Path] = []
        # files in name order: each period's folder together
        for label, period_files in itertools.groupby(files, key=lambda file: file.parent.name):
            # each file is named after its park's code, as the office's own copy would be
            items = [(file, file.stem) for file in period_files]
            current_files = send(
                settings,
                SOURCE,
                items,
                period=label,
                sender="simulators.submissions",
                resolver=resolver,
            )
            senders = {park for _, park in items}
            sent += [path for path in current_files if path.parent.name in senders]
        return sorted(sent)
