import itertools
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from extractors.park_submissions import extract as park_submissions
from extractors.park_submissions import reader as spreadsheets
from parkplatform.config import get_settings
from parkplatform.intake import Inbox
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE, first_reject_reason
from parkplatform.receipts import parse_period
from simulators import submissions as generator

DAY = date(2026, 11, 23)
INCOMPLETE_HEADER = (
    "统一社会信用代码",
    "园区代码",
    "行业代码",
    "所有制类型",
    "成立日期",
    "从业人员",
    "营业收入（亿元）",
    "是否高新技术企业",
    "纳税总额（亿元）",
    "研发经费支出（亿元）",
    "投资来源国",
    "孵化阶段",
    "经营状态",
)
INCOMPLETE_FILE_REASON = (
    "required column(s) enterprise_name missing; file rejected whole (header cells found in row 1 of sheet "
    f"'企业名录': {', '.join(repr(cell) for cell in INCOMPLETE_HEADER)}; "
    "header synonyms are listed in extractors/park_submissions/reader.py HEADER_SYNONYMS)"
)
# Counted from the inbox files themselves (read with Polars, each CSV decoded as UTF-8 or GB18030, each workbook's
# 企业名录 sheet; an enterprise row is one that is neither blank nor 合计; the faults found by the GB 32100 check
# character, a negative or non-numeric headcount, a missing name, class 3390, park S999999 and a repeated code):
# at tiny, 12 offices report monthly (2026-10, the month ended: 32 enterprises), 6 quarterly (2026Q3: 465, 445 of them S347025's)
# and 2 yearly (2025: 3). The office with the fewest enterprises, G611044 (1, the first in code order of the five
# with one), sends its workbook without the name column; 10 of the other 499 rows carry a fault; 489 land.
INCOMPLETE_OFFICE = "G611044"
OFFICES_BY_PERIOD = {"2026-10": 12, "2026Q3": 6, "2025": 2}


def _offices_send_and_land(settings=None):
    """The period's files written where the offices' files arrive (simulated), then the source's extract."""
    settings = settings or get_settings()
    generator.write_period(settings, DAY)
    return park_submissions.extract(settings, DAY)


def test_tiny_submissions_reconcile_with_exact_quarantine_reasons(tiny):
    report = _offices_send_and_land()
    # 500 enterprise rows + one 合计 row in each of the 20 files + a blank row in 5 of them;
    # 2 % of the enterprise rows corrupted, one kind of fault after the other; and the smallest office's
    # workbook (G611044: header, 1 enterprise, 合计) lacks the name column: its 3 lines are quarantined
    assert (report.received, report.landed, report.quarantined) == (526, 489, 37)
    assert report.quarantine_reasons == {
        INCOMPLETE_FILE_REASON: 3,
        "totals row (合计), not an enterprise": 19,
        "blank row (空行), no values": 5,
        "credit_code (统一社会信用代码) fails the GB 32100-2015 format or check character": 2,
        # the generator's unknown park code, in a file whose office (its folder) is S347025
        "park_code (园区代码) S999999 in the park column disagrees with S347025, the park the file was submitted for": 2,
        "employees (从业人员) is not a non-negative integer": 2,
        "enterprise_name (企业名称) is missing": 2,
        "industry_code (行业代码) is not a GB/T 4754-2017 class": 1,
        spreadsheets.DUPLICATE_REASON: 1,
    }
    # one file per park office, 20 parks at the tiny scale, each in its office's style, for its cadence's period
    names = [f.source_file.rsplit("/", 1)[-1] for f in report.files]
    assert len(names) == 20
    assert sum(name.endswith(".xlsx") for name in names) == 4
    assert all(f.received == f.landed + f.quarantined for f in report.files)
    quarantined = pl.read_parquet(f"{report.path}/{QUARANTINED_FILE}")
    assert quarantined.filter(pl.col("_reject_reason") != INCOMPLETE_FILE_REASON)["_source_row"].min() >= 2
    superseded = quarantined.filter(pl.col("_reject_reason") == spreadsheets.DUPLICATE_REASON)
    landed = pl.read_parquet(f"{report.path}/{LANDED_FILE}")
    assert superseded["credit_code"].is_in(landed["credit_code"].implode()).all()
    assert landed["credit_code"].n_unique() == landed.height == 489


def test_each_office_sends_the_period_its_cadence_has_due(tiny):
    """Each office sends the last period of its cadence that has ended: monthly offices the month before the
    date's, quarterly ones the last quarter, yearly ones last year, each into the inbox folder of that period;
    what lands keeps the period."""
    report = _offices_send_and_land()
    # inbox/park_submissions/<period>/<park>/<file>
    periods = pl.Series([f.source_file for f in report.files]).str.split("/").list.get(-3)
    assert dict(periods.value_counts().iter_rows()) == OFFICES_BY_PERIOD
    landed = pl.read_parquet(f"{report.path}/{LANDED_FILE}")
    # of each period's enterprises, those in the incomplete workbook (1, 2026-10) and those with a fault do not land
    assert dict(landed.group_by("period").len().iter_rows()) == {"2026-10": 30, "2026Q3": 456, "2025": 3}
    assert generator.due_periods(DAY) == {
        "month": parse_period("2026-10"),
        "quarter": parse_period("2026Q3"),
        "year": parse_period("2025"),
    }
    # a period is due once it has ended: on its last day the office still owes the one before
    assert generator.due_periods(date(2026, 11, 30))["month"].label == "2026-10"
    assert generator.due_periods(date(2026, 12, 1))["month"].label == "2026-11"
    assert generator.due_periods(date(2026, 1, 5))["month"].label == "2025-12"
    assert generator.due_periods(date(2026, 9, 30))["quarter"].label == "2026Q2"
    assert generator.due_periods(date(2026, 1, 5))["quarter"].label == "2025Q4"


def test_a_file_rejected_whole_is_quarantined_line_by_line_and_the_others_land(tiny):
    report = _offices_send_and_land()
    rejected = [
        f for f in report.files if f.source_file.endswith(f"2026-10/{INCOMPLETE_OFFICE}/{INCOMPLETE_OFFICE}.xlsx")
    ]
    assert [(f.received, f.landed, f.quarantined) for f in rejected] == [(3, 0, 3)]
    quarantined = pl.read_parquet(f"{report.path}/{QUARANTINED_FILE}").filter(
        pl.col("_source_file") == rejected[0].source_file
    )
    assert quarantined["_source_row"].to_list() == [1, 2, 3]
    assert set(quarantined["_reject_reason"]) == {INCOMPLETE_FILE_REASON}
    # the lines are kept as sent, to be re-processed once the office sends the column
    assert quarantined["_raw_row"][0] == "\t".join(INCOMPLETE_HEADER)
    assert quarantined["_raw_row"][2].startswith("合计")
    assert sum(f.landed for f in report.files) == 489 and len(report.files) == 20


def test_every_style_reads_back_the_values_the_office_wrote(tiny):
    """Round trip over all styles (GBK, XLSX in 亿元, 元 with thousands separators, full-width digits):
    each landed row carries exactly the employees and revenue the generator produced."""
    settings = get_settings()
    report = _offices_send_and_land(settings)
    parks = park_submissions.registry_parks(settings).filter(~pl.col("code_is_shared"))
    produced = generator.generate_enterprises(
        parks["zone_code"].to_list(),
        parks["province_adcode2"].to_list(),
        enterprises=settings.scale.enterprises,
        parks=settings.scale.parks,
        seed=settings.seed,
        bad_row_rate=settings.bad_row_rate,
        park_clusters=parks.select("zone_code", "clusters"),
    ).filter(pl.col("_fault").is_null())
    landed = pl.read_parquet(f"{report.path}/{LANDED_FILE}")
    # each office's rows as they stood at the end of the period it sent (the quarter's, last year's)
    now = parse_period(f"{DAY:%Y-%m}").end
    as_sent = []
    for label, offices in landed.group_by("period").agg(pl.col("park_code").unique()).iter_rows():
        end = parse_period(label).end
        rows = produced.filter(pl.col("_file_park").is_in(offices))
        as_sent.append(
            generator.as_it_stood(rows, end, (now - end).days / 365.25, settings.seed) if end < now else rows
        )
    produced = pl.concat(as_sent)
    joined = landed.join(produced, on=["credit_code", "park_code", "industry_code"], suffix="_produced")
    assert joined.height == 489  # every landed row is one the generator made without a fault
    assert (joined["employees"] == joined["employees_produced"]).all()
    for money in ("revenue_10k_cny", "tax_10k_cny", "rnd_10k_cny"):
        sent = joined.filter(pl.col(money).is_not_null())
        assert (sent[money].cast(pl.Decimal(20, 4)) == sent[f"{money}_produced"].cast(pl.Decimal(20, 4))).all()
    # the offices on the old template send no optional column; the others send them as produced
    old_template = joined.filter(pl.col("status").is_null())
    assert 0 < old_template.height < joined.height
    assert old_template.select(pl.col("tax_10k_cny", "rnd_10k_cny", "origin_country").is_null().all()).row(0) == (
        True,
        True,
        True,
    )
    new_template = joined.filter(pl.col("status").is_not_null())
    for coded in ("origin_country", "incubation_stage", "status"):
        assert new_template[coded].eq_missing(new_template[f"{coded}_produced"]).all()
    assert new_template.filter(pl.col("ownership") == "foreign")["origin_country"].is_not_null().all()


def test_a_file_the_reader_cannot_read_is_rejected_whole_not_skipped_and_origin_is_labelled(tiny, tmp_path):
    settings = get_settings()
    generated = _offices_send_and_land(settings)
    assert pl.read_parquet(f"{generated.path}/{LANDED_FILE}")["data_origin"].unique().to_list() == ["generated"]
    scan = tmp_path / "scan of the form.pdf"
    scan.write_bytes(b"%PDF-1.4 a scanned form\n")
    park = Path(generated.files[0].source_file).parent.name
    # for another month: the same month would supersede the office's generated file
    Inbox.from_settings(settings).submit("park_submissions", [scan], period="2026-09", park=park, sender="office")
    report = park_submissions.extract(settings, DAY)  # the re-run of the date lands its files and the new one
    pdf = [f for f in report.files if f.source_file.endswith("scan of the form.pdf")]
    assert [(f.received, f.landed, f.quarantined) for f in pdf] == [(1, 0, 1)]
    assert report.received == generated.received + 1 and report.landed == generated.landed
    quarantined = pl.read_parquet(f"{report.path}/{QUARANTINED_FILE}")
    from_the_office = quarantined.filter(pl.col("_source_file").str.ends_with("scan of the form.pdf"))
    assert from_the_office["data_origin"].to_list() == ["park_office"]  # sent by a person, not the generator


def test_same_seed_same_batch(tiny):
    first = _offices_send_and_land()
    again = _offices_send_and_land()
    assert (first.received, first.landed, first.quarantine_reasons) == (
        again.received,
        again.landed,
        again.quarantine_reasons,
    )


def test_a_file_without_a_required_column_is_rejected_whole_naming_column_and_file(tmp_path):
    path = tmp_path / "G000001.csv"
    path.write_text("credit_code,enterprise_name,park_code\n91350100M000100Y43,某公司,G000001\n", encoding="utf-8")
    with pytest.raises(
        park_submissions.SubmissionFileError,
        match=r"G000001\.csv: required column\(s\) employees or revenue_10k_cny missing",
    ):
        spreadsheets.read_submission(path)


def test_a_shared_zone_code_is_quarantined_not_guessed():
    rules = spreadsheets.validation_rules(known_parks=["S377018", "G321001"], shared_codes=["S377018"])
    frame = pl.DataFrame(
        {
            "credit_code": ["91350100M000100Y43"] * 2,
            "enterprise_name": ["甲", "乙"],
            "park_code": ["S377018", "G321001"],
            "industry_code": ["3311"] * 2,
            "employees": ["5"] * 2,
            "revenue_10k_cny": ["1.5"] * 2,
            **{column: pl.Series([None] * 2, dtype=pl.String) for column in spreadsheets.OPTIONAL_COLUMNS},
        }
    )
    assert frame.select(first_reject_reason(rules))["_reject_reason"].to_list() == [
        "park_code (园区代码) is shared by several registry zones; the park cannot be told apart",
        None,
    ]


def test_enterprises_sit_mostly_in_their_parks_declared_clusters(tiny):
    settings = get_settings()
    parks = park_submissions.registry_parks(settings).filter(~pl.col("code_is_shared"))
    produced = generator.generate_enterprises(
        parks["zone_code"].to_list(),
        parks["province_adcode2"].to_list(),
        enterprises=20_000,
        parks=200,
        seed=settings.seed,
        bad_row_rate=0.0,
        park_clusters=parks.select("zone_code", "clusters"),
    )
    classes = generator.cluster_classes()
    placed = (
        produced.join(classes, on="industry_code", how="left")
        .join(parks.select(pl.col("zone_code").alias("park_code"), "clusters"), on="park_code")
        .with_columns(pl.col("clusters").list.contains(pl.col("cluster_code")).alias("in_declared"))
    )
    assert placed["cluster_code"].null_count() == 0  # every class drawn is a class of the seed
    declaring = placed.filter(pl.col("clusters").list.len() > 0)
    # 75 % drawn from the declared clusters, plus the draws from any cluster that land in one of them
    share = declaring["in_declared"].mean()
    assert 0.77 < share < 0.85, share


def test_big_scales_stream_in_chunks_of_whole_parks(tiny, tmp_path):
    parks = park_submissions.registry_parks(get_settings()).filter(~pl.col("code_is_shared"))
    arguments = {"enterprises": 5_000, "parks": 50, "seed": 7, "bad_row_rate": 0.02, "chunk_rows": 1_000}

    def chunks() -> list[pl.DataFrame]:
        return list(
            generator.enterprise_chunks(
                parks["zone_code"].to_list(),
                parks["province_adcode2"].to_list(),
                park_clusters=parks.select("zone_code", "clusters"),
                **arguments,
            )
        )

    first = chunks()
    assert len(first) >= 4 and sum(chunk.height for chunk in first) == 5_000
    # no park is split between chunks, and the parks come in registry order
    chunk_parks = [chunk["_file_park"].unique().sort().to_list() for chunk in first]
    assert sum(len(p) for p in chunk_parks) == len({park for p in chunk_parks for park in p}) == 50
    assert all(a[-1] < b[0] for a, b in itertools.pairwise(chunk_parks))
    # the fault rate holds chunk by chunk, and the same seed gives the same chunks
    assert [chunk["_fault"].is_not_null().sum() for chunk in first] == [round(0.02 * c.height) for c in first]
    assert all(a.equals(b) for a, b in zip(first, chunks(), strict=True))

    november = parse_period("2026-11")
    paths = generator.generate_park_submissions(
        parks, target=tmp_path / "period", period_of=lambda _park: november, current_end=november.end, **arguments
    )
    assert sorted(path.stem for path in paths) == [park for p in chunk_parks for park in p]
    assert {path.parent.name for path in paths} == {"2026-11"}
    # offices of other cadences in other folders, each in the same style as when all sent the month
    due = generator.due_periods(DAY)
    by_cadence = generator.generate_park_submissions(
        parks,
        target=tmp_path / "due",
        period_of=lambda park: due[generator.office_cadence(park, 7)],
        current_end=november.end,
        **arguments,
    )
    assert {path.parent.name for path in by_cadence} == {"2026-10", "2026Q3", "2025"}
    assert sorted((path.stem, path.suffix) for path in by_cadence) == sorted((path.stem, path.suffix) for path in paths)
    # the file without the name column is the smallest office's of the first chunk
    smallest = first[0].group_by("_file_park").len().sort("len", "_file_park")["_file_park"][0]
    without_name = [path.stem for path in paths if not {"企业名称", "enterprise_name"} & set(_header(path))]
    assert without_name == [smallest]


def _header(path: Path) -> list[str]:
    """The header cells of a generated file, read without the platform's reader."""
    if path.suffix == ".xlsx":
        return pl.read_excel(path, infer_schema_length=0).columns
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return text.splitlines()[0].split(",")


def test_a_batch_landed_before_the_optional_columns_normalises_with_nulls(tiny, tmp_path):
    """Incremental reads mix old and new batches: the old one's rows get null tax, R&D, origin..."""
    from parkplatform.normalise import normalise_batch
    from parkplatform.sources import source_spec

    new_batch = _offices_send_and_land().path
    old_batch = tmp_path / "old_batch"
    old_batch.mkdir()
    new_rows = pl.read_parquet(f"{new_batch}/{LANDED_FILE}")
    new_rows.drop(spreadsheets.OPTIONAL_COLUMNS).head(3).write_parquet(old_batch / LANDED_FILE)
    written = normalise_batch(source_spec("park_submissions"), [old_batch, Path(new_batch)], tmp_path / "normalised")
    normalised = pl.read_parquet(written["park_submissions"])
    assert normalised.height == 3 + new_rows.height
    old_rows = normalised.head(3).select("tax_cny", "rnd_cny", "origin_country_iso3", "incubation_stage")
    assert old_rows.null_count().row(0) == (3, 3, 3, 3)
    assert normalised.tail(new_rows.height)["incubation_stage"].null_count() < new_rows.height


def test_the_history_is_each_full_year_of_the_26_months_before_the_logical_date():
    assert [period.label for period in generator.history_periods(date(2026, 11, 23))] == ["2024", "2025"]
    # 26 months before February 2026 is December 2023: that year's annual report belongs to the window
    assert [period.label for period in generator.history_periods(date(2026, 2, 10))] == ["2023", "2024", "2025"]
    assert {period.kind for period in generator.history_periods(date(2026, 11, 23))} == {"year"}


def test_an_earlier_period_lists_the_enterprises_as_they_stood_then():
    rows = pl.DataFrame(
        {
            "credit_code": ["A1", "B2", "C3", "D4", "E5"],
            "established": ["2020-01-01", "2025-03-01", "19xx", "2010-06-01", "2001-01-01"],
            "employees": ["100", "50", "-7", "x12", "3"],
            "revenue_10k_cny": ["1000.0", "20.0", "3.5", "", "1.0"],
            "tax_10k_cny": ["50.0", "1.0", "0.1", "", "0.0"],
            "rnd_10k_cny": ["10.0", "0.0", "0.0", "", "0.0"],
            "incubation_stage": ["accelerator", "incubator", "industrialisation_base", "none", "accelerator"],
        }
    )
    then = generator.as_it_stood(rows, date(2024, 12, 31), years_back=1.92, seed=7)
    # established after the period's end: not in its list; a date that is no date (a fault) stays to be seen
    assert then["credit_code"].to_list() == ["A1", "C3", "D4", "E5"]
    first = then.row(0, named=True)
    # 2% to 18% a year over 1.92 years: 100 people then were 73 to 96
    assert 72 <= int(first["employees"]) <= 97 and float(first["revenue_10k_cny"]) < 1000
    assert then.filter(pl.col("credit_code") == "D4").row(0) == rows.filter(pl.col("credit_code") == "D4").row(0)
    assert then.filter(pl.col("credit_code") == "C3")["employees"].item() == "-7"  # a fault stays a fault
    assert int(then.filter(pl.col("credit_code") == "E5")["employees"].item()) >= 1  # never below one person
    earlier = {
        "accelerator": {"accelerator", "incubator"},
        "industrialisation_base": {"industrialisation_base", "accelerator"},
    }
    for now, before in zip(
        rows.filter(pl.col("credit_code") != "B2")["incubation_stage"], then["incubation_stage"], strict=True
    ):
        assert before in earlier.get(now, {now}), (now, before)
    # the period of now: everyone, with the same figures
    assert generator.as_it_stood(rows, date(2026, 11, 30), years_back=0.0, seed=7).equals(rows)
