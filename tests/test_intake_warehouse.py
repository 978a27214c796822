"""Files sent through the inbox, all the way into the warehouse and the weekly report.

On top of the tiny scale's generated sources (the offices of 20 parks, each at its cadence: 12 send 2026-10, 6
2026Q3 and 2 the year 2025), hand-written files: a quarter sent twice (the second supersedes the first), a year,
a member park's October, another member park's third quarter, a file for a park that does not resolve, and a file
rejected whole. One build for the module (extract, load, ``dbt build``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from extractors.park_submissions.credit_code import with_check_character
from parkplatform.config import get_settings
from parkplatform.intake import Inbox, ParkResolver
from parkplatform.landing import LANDED_FILE, latest_batch
from report.data import Intake, IsoWeek, read_report_data
from report.i18n import Formatter
from report.render import render_html

DAY = date(2026, 11, 23)
TIANJIN = "G121002"
FUZHOU = "G356030"
CODE_A = with_check_character("91120116MA05K1A2X")
CODE_B = with_check_character("91120116MA05K1B3Y")
CODE_C = with_check_character("91350100MA2XN5KQ0")
CODE_D = with_check_character("91350100MA2XN6LR1")
CODE_E = with_check_character("91350100MA2XN7MT2")
CODE_F = with_check_character("91110108MA01Q8NP3")
HEADER = "企业名称,统一社会信用代码,年末从业人员数,营业收入（万元）"


def office_csv(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory, reference_dir):
    """(build warehouse, the hand-written files' receipts, the member park that reported October, the member park
    that reports quarterly, the inbox folder)."""
    from park.runs import wdi_served_from_reference
    from parkplatform import catalogue, pipeline
    from parkplatform.dbt import build_project
    from parkplatform.sources import runnable_sources
    from simulators.sources import write_sources

    folder = tmp_path_factory.mktemp("intake-warehouse")
    sent = folder / "sent"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(folder / "data"))
        patch.setenv("PARK_SCALE", "tiny")
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        for variable in ("PARK_SEED", "PARK_BAD_ROW_RATE", "PARK_WDI_BASE_URL", "PARK_CRM_DSN", "PARK_INBOX_DIR"):
            patch.delenv(variable, raising=False)
        settings = get_settings()
        write_sources(settings, DAY)
        inbox = Inbox.from_settings(settings)
        resolver = ParkResolver(catalogue.valid_registry(settings))
        # a member park of the catalogue (the member list as matched by its extract)
        pipeline.extract("alliance_members", DAY)
        members = pl.read_parquet(latest_batch(settings.landing_dir, "alliance_members") / LANDED_FILE)
        codes = sorted(members.filter(pl.col("match_status").is_in(["code", "name"]))["catalogue_code"].unique())
        resolvable = [code for code in codes if resolver.resolve(code).code == code and code not in (TIANJIN, FUZHOU)]
        member = resolvable[0]
        # a member park no generated office sends for, whose own office reports quarterly
        generated = {receipt.park_code for receipt in inbox.receipts("park_submissions")}
        quarterly = next(code for code in resolvable[1:] if code not in generated)

        def submit(name: str, rows: list[str], period: str, park: str, header: str = HEADER):
            path = office_csv(sent / name, header, rows)
            return inbox.submit("park_submissions", [path], period=period, park=park, sender="office")[0]

        # the quarter lands the day before, then the office sends it again, corrected
        first = submit("v1/三季度.csv", [f"甲公司,{CODE_A},12,100", f"乙公司,{CODE_B},7,50"], "2026Q3", TIANJIN)
        pipeline.extract("park_submissions", date(2026, 11, 22))
        receipts = {
            "v1": first,
            "v2": submit("v2/三季度.csv", [f"甲公司,{CODE_A},13,120"], "2026Q3", "天津经开区"),
            "year": submit("2025年报.csv", [f"丙公司,{CODE_C},40,900"], "2025", FUZHOU),
            "october": submit("10月.csv", [f"己公司,{CODE_E},5,30"], "2026-10", member),
            "quarterly": submit("2026年三季度.csv", [f"庚公司,{CODE_F},9,70"], "2026Q3", quarterly),
            "review": submit("火星.csv", [f"丁公司,{CODE_D},1,1"], "2026-10", "火星园区"),
            "rejected": submit(
                "旧表.csv", ["戊公司,12345678-9,3"], "2026-10", FUZHOU, header="企业名称,组织机构代码,人数"
            ),
        }
        with wdi_served_from_reference():
            for spec in runnable_sources(settings.uses_real_registry):
                pipeline.extract(spec.name, DAY)
        pipeline.load_build(DAY, pipeline.normalise(DAY))
        build_project()
        yield settings.build_warehouse, receipts, member, quarterly, inbox.root


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_resubmitted_quarter_counts_only_the_newer_file_and_periods_keep_their_kind(built):
    warehouse, receipts, *_ = built
    rows = query(
        warehouse,
        f"""select credit_code, period, period_kind, period_start, period_end, period_year, employees, revenue_cny
        from main.fct_enterprise_period where credit_code in ('{CODE_A}', '{CODE_B}', '{CODE_C}', '{CODE_F}')
        order by 1""",
    )
    assert rows == [
        (CODE_F, "2026Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), 2026, 9, 700_000.0),
        (CODE_A, "2026Q3", "quarter", date(2026, 7, 1), date(2026, 9, 30), 2026, 13, 1_200_000.0),
        (CODE_C, "2025", "year", date(2025, 1, 1), date(2025, 12, 31), 2025, 40, 9_000_000.0),
    ]
    # the generated offices' files land as the period their cadence sent: counted from the inbox files (see
    # tests/test_park_submissions.py), less the incomplete workbook's enterprise and the faulty rows
    generated = query(
        warehouse,
        "select period, period_kind, count(*) from main.fct_enterprise_period where data_origin = 'generated' "
        "group by all order by all",
    )
    assert generated == [("2025", "year", 3), ("2026-10", "month", 30), ("2026Q3", "quarter", 456)]
    # no mart adds a quarter to a month: 2026 counts each enterprise once, from its month or its quarter
    assert query(
        warehouse,
        "select (select sum(enterprises) from main.mart_cluster_park_year where year = 2026), "
        "(select count(distinct credit_code) from main.fct_enterprise_period "
        "where period_year = 2026 and cluster_code is not null)",
    ) == [(30 + 456, 30 + 456)]  # the generated months and quarters (the hand-written rows name no industry class)
    # the superseded file's rows stay landed, for the record
    landed = query(
        warehouse,
        f"select receipt_id, employees from staging.stg_park_submissions__enterprises where credit_code = '{CODE_B}'",
    )
    assert landed == [(receipts["v1"].receipt_id, 7)]


def test_every_file_has_its_outcome_in_the_warehouse(built):
    warehouse, receipts, *_ = built
    outcomes = {
        receipt_id: (outcome, reason, landed_rows, quarantined_rows)
        for receipt_id, outcome, reason, landed_rows, quarantined_rows in query(
            warehouse,
            "select receipt_id, outcome, outcome_reason, rows_landed, rows_quarantined from main.fct_intake_receipt",
        )
    }
    assert outcomes[receipts["v1"].receipt_id] == ("superseded", None, 2, 0)  # landed, then superseded
    assert outcomes[receipts["v2"].receipt_id] == ("landed", None, 1, 0)
    assert outcomes[receipts["year"].receipt_id] == ("landed", None, 1, 0)
    assert outcomes[receipts["october"].receipt_id] == ("landed", None, 1, 0)
    assert outcomes[receipts["quarterly"].receipt_id] == ("landed", None, 1, 0)
    review = outcomes[receipts["review"].receipt_id]
    assert review[0] == "review" and review[1] == (
        "park '火星园区' is neither a catalogue or alliance code nor the name of a catalogue zone or alliance member"
    )
    rejected = outcomes[receipts["rejected"].receipt_id]
    assert rejected[0] == "rejected" and rejected[1].startswith("required column(s) credit_code")
    assert rejected[2:] == (0, 2)
    # the generated offices' 20 files (12 months, 6 quarters, 2 years) and the member list, all landed but for
    # the smallest office's workbook, rejected whole
    generated = query(warehouse, "select outcome, count(*) from main.fct_intake_receipt where generated group by 1")
    assert sorted(generated) == [("landed", 20), ("rejected", 1)]


def test_the_intake_status_says_who_reported_october_and_who_is_late(built):
    warehouse, _, member, quarterly, inbox = built
    october = {
        park: rest
        for park, *rest in query(
            warehouse,
            "select park_code, intake_status, reporting_cadence, due_period, due_date from main.mart_intake_status "
            "where period = '2026-10'",
        )
    }
    assert october[member] == ["reported", "month", "2026-10", date(2026, 11, 15)]
    # a park that reports quarterly owes the fourth quarter for October: not late before mid-January
    assert october[quarterly] == ["not_yet_due", "quarter", "2026Q4", date(2027, 1, 15)]
    # the member parks whose generated office reports yearly (a folder of a year in the inbox) owe 2026
    yearly = {folder.name for folder in (inbox / "park_submissions").glob("[0-9][0-9][0-9][0-9]/*")} & set(october)
    assert yearly == {"G212062"}
    assert {park: october[park] for park in yearly} == {"G212062": ["not_yet_due", "year", "2026", date(2027, 1, 15)]}
    expected_rejected = {FUZHOU} & set(october)
    assert {park for park, (status, *_) in october.items() if status == "rejected"} == expected_rejected
    monthly_late = set(october) - {member, quarterly} - yearly - expected_rejected
    assert {tuple(october[park][:3]) for park in monthly_late} == {("late", "month", "2026-10")}
    (members,) = query(
        warehouse,
        "select count(distinct zone_code) from main.dim_park where is_alliance_member and in_catalogue and not zone_code_clash",
    )[0]
    assert len(october) == members  # every member park of the catalogue joined by October is expected


def test_the_weekly_report_tells_late_member_parks_from_those_not_yet_due(built):
    warehouse, *_ = built
    data = read_report_data(warehouse, IsoWeek.parse("2026-W47"))
    intake = data.quality.intake
    (expected,) = query(warehouse, "select count(*) from main.mart_intake_status where period = '2026-10'")[0]
    # October, the last month complete by Sunday 2026-11-22: of the member parks, the one whose October file
    # landed has reported; the quarterly one (owes 2026Q4) and the one whose generated office reports yearly
    # (G212062, owes 2026) are not yet due; every other member park reports monthly (no generated office sends for
    # it: the 12 monthly offices' parks in inbox/park_submissions/2026-10/ are not members) and was due on 15
    # November: late. The statuses park by park: test_the_intake_status_says_who_reported_october_and_who_is_late.
    assert (intake.period, intake.expected, intake.reported) == ("2026-10", expected, 1)
    assert intake.parks_by_status == {"reported": 1, "late": expected - 3, "not_yet_due": 2}
    # the parks someone must chase come first in the list
    assert [park["intake_status"] for park in intake.not_reported] == ["late"] * 10
    assert intake.needing_action == expected - 3
    # the files waiting for someone to act, newest first
    # the generated file rejected whole is the workbook of the office with the fewest enterprises (G611044)
    assert [row["original_name"] for row in intake.problem_files] == ["旧表.csv", "火星.csv", "G611044.xlsx"]
    html = render_html(data, "en")
    assert (
        f"2026-10: of {expected} member parks, 1 reported, {expected - 3} late (past the due date), 2 not yet due."
        in html
    )
    assert "火星.csv" in html
    assert "个成员园区" not in html
    assert (
        f"2026-10 数据：{expected} 个成员园区中，1 个已报送，{expected - 3} 个逾期未报送，2 个未到截止日。"
        in render_html(data, "zh")
    )


def test_the_intake_tally_says_reported_then_what_needs_action_then_what_waits():
    """Hand-made counts of a month: reported (in its own file or its quarter's), then the late and rejected parks
    someone must chase, then those waiting; a status no park has is left out."""
    intake = Intake(
        period="2026-11",
        expected=105,
        parks_by_status={"not_yet_due": 4, "reported": 90, "reported_in_longer_period": 3, "late": 7, "rejected": 1},
        not_reported=[],
        problem_files=[],
    )
    assert intake.tally == [("reported", 93), ("late", 7), ("rejected", 1), ("not_yet_due", 4)]
    assert (intake.missing, intake.needing_action) == (12, 8)
    assert Formatter("zh").tally("intake_count", intake.tally) == (
        "93 个已报送，7 个逾期未报送，1 个文件被拒收、需重报，4 个未到截止日"
    )
    assert Formatter("en").tally("intake_count", intake.tally) == (
        "93 reported, 7 late (past the due date), 1 with a rejected file (to send again), 4 not yet due"
    )
