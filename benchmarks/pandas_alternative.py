"""The usual alternative to the platform's submission reader: pandas, cleaned row by row (benchmark-only code).

This is how most teams write a reader of park offices' spreadsheets: ``pd.read_csv`` / a workbook reader with
every cell as text, the header looked up in a dictionary, then ``iterrows`` over every row with per-cell
Python cleaning (NFKC for full-width characters, thousands separators, the money unit moved with
``Decimal``, dates tried format by format, coded values looked up), the credit code's check character
computed in a Python loop, the first failing rule per row, duplicates dropped with ``DataFrame.duplicated``,
and the landed and quarantined rows written to Parquet with ``to_parquet``. It produces the landed columns of
:mod:`extractors.park_submissions` (``extractors.park_submissions.reader.LANDED_COLUMNS`` plus the lineage columns) and
lands in a folder of its own; workbooks are read with calamine (``fastexcel`` → pandas: openpyxl, pandas'
default, is not in the environment, and calamine is the faster of the two).

The part measures, in the same run and on the same files, the platform's reader
(``extractors.park_submissions.land_files``: read, validate, resolve duplicates, land) and this one, reports
rows per second of both and their ratio, and checks (not timed) that both receive, land and quarantine the
same number of rows: a difference fails the part.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from benchmarks.harness import Context, measure, rate
from benchmarks.worker import Timer
from parkplatform.receipts import parse_period

COLUMNS = {
    "credit_code": ("credit_code", "统一社会信用代码"),
    "enterprise_name": ("enterprise_name", "企业名称"),
    "park_code": ("park_code", "园区代码"),
    "industry_code": ("industry_code", "行业代码"),
    "ownership": ("ownership", "所有制类型"),
    "established": ("established", "成立日期"),
    "employees": ("employees", "从业人员"),
    "revenue_10k_cny": ("revenue", "revenue_10k_cny", "营业收入"),
    "high_tech": ("high_tech", "是否高新技术企业"),
    "tax_10k_cny": ("tax", "tax_10k_cny", "纳税总额"),
    "rnd_10k_cny": ("rnd_spend", "rnd_10k_cny", "研发经费支出"),
    "origin_country": ("origin_country", "投资来源国"),
    "incubation_stage": ("incubation_stage", "孵化阶段"),
    "status": ("status", "经营状态"),
}
HEADER_TO_COLUMN = {label: column for column, labels in COLUMNS.items() for label in labels}
REQUIRED = tuple(list(COLUMNS)[:9])
MONEY = ("revenue_10k_cny", "tax_10k_cny", "rnd_10k_cny")
UNITS = {"元": -4, "万元": 0, "亿元": 4, "cny": -4, "10k cny": 0, "100m cny": 4, "千元": -1, "百万元": 2}
HIGH_TECH = {"y": "Y", "yes": "Y", "是": "Y", "1": "Y", "true": "Y", "n": "N", "no": "N", "否": "N", "0": "N"}
INCUBATION = {"孵化器": "incubator", "加速器": "accelerator", "产业化基地": "industrialisation_base", "无": "none"}
STATUS = {"存续": "operating", "停业": "suspended", "注销": "closed", "迁出": "moved_out"}
INCUBATION_STAGES = {"incubator", "accelerator", "industrialisation_base", "none"}
STATUSES = {"operating", "suspended", "closed", "moved_out"}
TOTALS = {"合计", "总计", "小计", "本页合计", "total", "totals", "grandtotal", "subtotal"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
HEADER = re.compile(r"^(.*?)\s*[（(](.*)[）)]\s*$")
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
AMOUNT = re.compile(r"^\d+(\.\d+)?$")
INTEGER = re.compile(r"^\d+$")


# ------------------------------------------------------------------------------------------ cleaning


def text(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    value = str(value).strip()
    return value or None


def ascii_text(value) -> str | None:
    value = text(value)
    return unicodedata.normalize("NFKC", value).strip() if value else None


def code(value) -> str | None:
    value = ascii_text(value)
    return re.sub(r"\s", "", value).upper() if value else None


def number(value, places: int = 0) -> str | None:
    value = ascii_text(value)
    if value is None:
        return None
    value = value.removesuffix("人").strip()
    if THOUSANDS.match(value):
        value = value.replace(",", "")
    value = value.removeprefix("+")
    try:
        shifted = Decimal(value).scaleb(places)
    except InvalidOperation:
        return value
    formatted = format(shifted, "f")
    if "." in formatted:
        formatted = formatted.rstrip("0").rstrip(".")
    return "0" if formatted in ("-0", "") else formatted


def a_date(value) -> str | None:
    value = ascii_text(value)
    if value is None:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value.split(" ")[0], pattern).date().isoformat()
        except ValueError:
            continue
    return value


def credit_code_ok(value: str) -> bool:
    if len(value) != 18 or any(char not in CHARSET for char in value):
        return False
    total = sum(CHARSET.index(char) * weight for char, weight in zip(value[:17], WEIGHTS, strict=True))
    return (31 - total % 31) % 31 == CHARSET.index(value[17])


def parse_header(cell) -> tuple[str | None, str | None]:
    label = text(cell) or ""
    match = HEADER.match(label)
    unit = None
    if match:
        label, unit = match.group(1), match.group(2).strip().lower()
    return HEADER_TO_COLUMN.get(label.strip()), unit


# ------------------------------------------------------------------------------------------- reading


def read_frame(path: Path):
    """Every cell as text, the first row as the header."""
    if path.suffix.lower() == ".xlsx":
        import fastexcel

        return fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_pandas()
    data = path.read_bytes()
    try:
        decoded = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        decoded = data.decode("gb18030")
    return pd.read_csv(io.StringIO(decoded), dtype=str, keep_default_na=False)


def clean_file(path: Path, rules: list[tuple[str, object]]) -> list[dict]:
    """One file's rows, cleaned and validated row by row; a file without a required column has every line
    quarantined with that reason."""
    frame = read_frame(path)
    mapping: dict[str, str] = {}
    places: dict[str, int] = {}
    for raw in frame.columns:
        column, unit = parse_header(raw)
        if column is None:
            continue
        mapping[column] = raw
        if column in MONEY:
            places[column] = UNITS[unit or "万元"]
    missing = [column for column in REQUIRED if column not in mapping]
    if missing:
        reason = f"required column(s) {', '.join(missing)} missing; file rejected whole"
        lines = len(frame) + 1  # the header line too
        return [
            {**dict.fromkeys(COLUMNS), "_source_file": str(path), "_source_row": line, "_reject_reason": reason}
            for line in range(1, lines + 1)
        ]
    rows = []
    for index, row in frame.iterrows():
        cells = [text(value) for value in row.tolist()]
        record = {
            "credit_code": code(row[mapping["credit_code"]]),
            "enterprise_name": text(row[mapping["enterprise_name"]]),
            "park_code": code(row[mapping["park_code"]]),
            "industry_code": code(row[mapping["industry_code"]]),
            "ownership": ascii_text(row[mapping["ownership"]]),
            "established": a_date(row[mapping["established"]]),
            "employees": number(row[mapping["employees"]]),
            "high_tech": ascii_text(row[mapping["high_tech"]]),
            "origin_country": code(row[mapping["origin_country"]]) if "origin_country" in mapping else None,
            "incubation_stage": ascii_text(row[mapping["incubation_stage"]]) if "incubation_stage" in mapping else None,
            "status": ascii_text(row[mapping["status"]]) if "status" in mapping else None,
            "_source_file": str(path),
            "_source_row": int(index) + 2,
        }
        for money in MONEY:
            record[money] = number(row[mapping[money]], places[money]) if money in mapping else None
        if record["industry_code"] and re.fullmatch(r"[A-T]\d{4}", record["industry_code"]):
            record["industry_code"] = record["industry_code"][1:]
        if record["high_tech"]:
            record["high_tech"] = HIGH_TECH.get(record["high_tech"].lower(), record["high_tech"])
        if record["incubation_stage"]:
            record["incubation_stage"] = INCUBATION.get(record["incubation_stage"], record["incubation_stage"])
        if record["status"]:
            record["status"] = STATUS.get(record["status"], record["status"])
        if all(cell is None for cell in cells):
            record["_reject_reason"] = "blank row (空行), no values"
        elif any(cell and re.sub(r"\s", "", cell).lower().rstrip(":：") in TOTALS for cell in cells):
            record["_reject_reason"] = "totals row (合计), not an enterprise"
        else:
            record["_reject_reason"] = next((reason for reason, fails in rules if fails(record)), None)
        rows.append(record)
    return rows


def row_rules(known_parks: set[str], shared: set[str], classes: set[str]) -> list[tuple[str, object]]:
    """(reason, fails(row)) in the platform's order."""

    def optional(column: str, ok) -> object:
        return lambda row: row[column] is not None and not ok(row[column])

    return [
        ("credit_code missing", lambda row: row["credit_code"] is None),
        ("credit_code fails the format or check character", lambda row: not credit_code_ok(row["credit_code"])),
        ("enterprise_name missing", lambda row: row["enterprise_name"] is None),
        ("park_code shared", lambda row: row["park_code"] in shared),
        ("park_code unknown", lambda row: row["park_code"] not in known_parks),
        ("industry_code not 4 digits", lambda row: not re.fullmatch(r"\d{4}", row["industry_code"] or "")),
        ("industry_code not a class", lambda row: row["industry_code"] not in classes),
        ("employees not an integer", lambda row: not INTEGER.match(row["employees"] or "")),
        ("revenue not an amount", lambda row: not AMOUNT.match(row["revenue_10k_cny"] or "")),
        ("tax not an amount", optional("tax_10k_cny", AMOUNT.match)),
        ("rnd not an amount", optional("rnd_10k_cny", AMOUNT.match)),
        ("origin_country not alpha-3", optional("origin_country", lambda value: re.fullmatch(r"[A-Z]{3}", value))),
        ("incubation_stage unknown", optional("incubation_stage", lambda value: value in INCUBATION_STAGES)),
        ("status unknown", optional("status", lambda value: value in STATUSES)),
    ]


def land(settings, logical_date: date, files: list[Path], target: Path) -> dict:
    """Read, clean, validate, deduplicate and land ``files`` the pandas way into ``target``."""
    from extractors.park_submissions import extract as park_submissions
    from extractors.park_submissions import reader as spreadsheets

    parks = park_submissions.registry_parks(settings)
    rules = row_rules(
        set(parks["zone_code"].to_list()),
        set(parks.filter("code_is_shared")["zone_code"].to_list()),
        set(spreadsheets.industry_classes(settings.reference_dir)),
    )
    # each file's period is its inbox folder's (park_submissions/<period>/<park>/<file>); of a credit code sent
    # twice, the row of the period ending latest is kept, as the platform's reader keeps it
    frames = [pd.DataFrame(clean_file(path, rules)).assign(period=path.parent.parent.name) for path in files]
    received = pd.concat(frames, ignore_index=True)
    received["_period_end"] = received["period"].map(lambda label: parse_period(label).end)
    received["data_origin"] = "generated"
    eligible = received["_reject_reason"].isna() & received["credit_code"].notna()
    ordered = received[eligible].sort_values(
        ["_period_end", "_source_file", "_source_row"], ascending=[False, True, True]
    )
    superseded = ordered.index[ordered.duplicated(subset="credit_code", keep="first")]
    received.loc[superseded, "_reject_reason"] = "credit_code repeats a kept row; superseded"
    received["_source"] = "park_submissions"
    received["_batch_id"] = f"park_submissions-{logical_date:%Y%m%d}"
    received["_loaded_at"] = pd.Timestamp.now(tz="UTC")
    received = received.drop(columns="_period_end")
    target.mkdir(parents=True, exist_ok=True)
    rejected = received["_reject_reason"].notna()
    received[~rejected].drop(columns="_reject_reason").to_parquet(target / "landed.parquet", index=False)
    received[rejected].to_parquet(target / "quarantined.parquet", index=False)
    return {
        "received": len(received),
        "landed": int((~rejected).sum()),
        "quarantined": int(rejected.sum()),
        "quarantine_reasons": {str(k): int(v) for k, v in received["_reject_reason"].value_counts().items()},
    }


# ================================================================================ in the worker process


def _files(logical_date: date) -> list[Path]:
    """The files the generated offices sent at ``logical_date``: each cadence's period that had ended (the
    month, the quarter, the year before the date's)."""
    from extractors.park_submissions import extract as park_submissions
    from parkplatform.config import get_settings
    from simulators.submissions import due_periods

    folders = [
        park_submissions.period_folder(get_settings(), period.label) for period in due_periods(logical_date).values()
    ]
    return sorted(path for folder in folders for path in folder.rglob("*") if path.is_file())


def polars_reader(logical_date: str) -> dict:
    """The platform's reader: ``park_submissions.land_files`` on the period's files."""
    from extractors.park_submissions import extract as park_submissions
    from parkplatform.config import get_settings

    day = date.fromisoformat(logical_date)
    files = _files(day)
    with Timer() as timer:
        report = park_submissions.land_files(get_settings(), day, files)
    return {
        "seconds": timer.seconds,
        "files": len(files),
        "received": report.received,
        "landed": report.landed,
        "quarantined": report.quarantined,
        "quarantine_reasons": report.quarantine_reasons,
    }


def pandas_reader(logical_date: str) -> dict:
    from parkplatform.config import get_settings

    settings = get_settings()
    day = date.fromisoformat(logical_date)
    files = _files(day)
    target = settings.data_dir / "pandas_landing" / "park_submissions" / f"batch_date={day.isoformat()}"
    with Timer() as timer:
        counts = land(settings, day, files, target)
    return {"seconds": timer.seconds, "files": len(files), **counts}


# ================================================================================ in the harness process


def run_pandas_alternative(ctx: Context) -> dict:
    from benchmarks.stages import ensure

    ensure(ctx, "generated")
    out = {}
    for name in ("polars_reader", "pandas_reader"):
        figures = measure(ctx, "pandas", f"pandas_alternative:{name}")
        figures["rows"] = figures["output"]["received"]
        figures["rows_per_second"] = rate(figures["rows"], figures["seconds"])
        out[name] = figures
    polars, pandas = out["polars_reader"]["output"], out["pandas_reader"]["output"]
    same = {key: polars[key] == pandas[key] for key in ("received", "landed", "quarantined")}
    out["same_rows"] = same
    out["ratio"] = round(out["pandas_reader"]["seconds"]["median"] / out["polars_reader"]["seconds"]["median"], 2)
    if not all(same.values()):
        out["error"] = "the pandas reader and the platform's do not land the same rows: " + ", ".join(
            f"{key} {polars[key]} vs {pandas[key]}" for key in same
        )
    return out
