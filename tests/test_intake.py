"""The inbox: files submitted as offices send them, receipts, duplicates, resubmissions, review, extracts.

Files here are small hand-written CSVs: what matters is what the inbox does with a file, not its layout
(the layouts are tests/test_office_layouts.py's).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from extractors.alliance_members import extract as members_source
from extractors.intake_receipts import extract as receipts_source
from extractors.park_submissions import extract as submissions_source
from extractors.park_submissions.credit_code import with_check_character
from park.cli import app as park_cli
from parkplatform.config import REPO_ROOT, get_settings
from parkplatform.intake import FOLDER_SENDER, Inbox, ParkResolver
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE
from parkplatform.receipts import IntakeError, parse_period

DAY = date(2026, 11, 23)
TIANJIN = "G121002"  # 天津经济技术开发区
FUZHOU = "G356030"  # 福州台商投资区
CODE_A = with_check_character("91120116MA05K1A2X")
CODE_B = with_check_character("91120116MA05K1B3Y")
CODE_C = with_check_character("91120116MA05K1C4A")


def office_csv(path: Path, rows: list[tuple[str, str, str]], *, title: str | None = None) -> Path:
    """A CSV as a small office writes it: optional title line, 企业名称 / 统一社会信用代码 / 年末从业人员数."""
    lines = ([title] if title else []) + ["企业名称,统一社会信用代码,年末从业人员数"]
    lines += [",".join(row) for row in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def inbox(tiny) -> Inbox:
    return Inbox.from_settings(get_settings())


@pytest.fixture(scope="module")
def resolver(reference_dir) -> ParkResolver:
    from parkplatform import catalogue

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        return ParkResolver(catalogue.valid_registry(get_settings()))


@pytest.mark.parametrize(
    ("text", "kind", "start", "end"),
    [
        ("2026-11", "month", date(2026, 11, 1), date(2026, 11, 30)),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29)),
        ("2026Q4", "quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026q1", "quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("2025", "year", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_periods_are_months_quarters_or_years(text, kind, start, end):
    period = parse_period(text)
    assert (period.kind, period.start, period.end) == (kind, start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026Q5", "26-11", "2026/11", "November"])
def test_anything_else_is_not_a_period(text):
    with pytest.raises(IntakeError, match="not a month .* a quarter .* or a year"):
        parse_period(text)


@pytest.mark.parametrize(
    ("park", "code", "reason"),
    [
        ("G121002", TIANJIN, None),
        ("g121002", TIANJIN, None),
        ("天津经济技术开发区", TIANJIN, None),
        ("天津经开区", TIANJIN, None),  # the usual abbreviation, the province in the name
        ("东乡经济开发区", None, "is ambiguous: it names S367087 江西东乡经济开发区, S627030 甘肃东乡经济开发区"),
        ("S377018", None, "is shared by several catalogue zones"),
        (
            "火星经济技术开发区",
            None,
            "is neither a catalogue or alliance code nor the name of a catalogue zone or alliance member",
        ),
    ],
)
def test_a_park_is_a_code_or_a_name_that_names_one_zone(resolver, park, code, reason):
    match = resolver.resolve(park)
    assert match.code == code
    assert (match.reason is None) if reason is None else (reason in match.reason)


def test_submit_copies_the_file_whole_and_records_its_receipt(inbox, tmp_path):
    sent = office_csv(tmp_path / "outbox" / "2026年11月入驻企业.csv", [("甲公司", CODE_A, "12")])
    result = CliRunner().invoke(
        park_cli,
        ["intake", "submit", "--park", "天津经开区", "--period", "2026-11", "--sender", "tj-office", str(sent)],
    )
    assert result.exit_code == 0, result.output
    (receipt,) = inbox.receipts()
    stored = inbox.path(receipt)
    assert stored == inbox.root / "park_submissions" / "2026-11" / TIANJIN / "2026年11月入驻企业.csv"
    assert stored.read_bytes() == sent.read_bytes()
    assert (receipt.status, receipt.park_code, receipt.park_as_sent, receipt.period_kind) == (
        "accepted",
        TIANJIN,
        "天津经开区",
        "month",
    )
    assert (receipt.sender, receipt.original_name, receipt.size_bytes) == (
        "tj-office",
        "2026年11月入驻企业.csv",
        sent.stat().st_size,
    )
    assert receipt.sha256 == hashlib.sha256(sent.read_bytes()).hexdigest()
    assert f"receipt {receipt.receipt_id}" in result.output


def test_the_module_runs_the_same_command(tiny, tmp_path):
    sent = office_csv(tmp_path / "q3.csv", [("甲公司", CODE_A, "12")])
    done = subprocess.run(
        [sys.executable, "-m", "parkplatform.intake", "submit", "--park", FUZHOU, "--period", "2026Q3", str(sent)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (receipt,) = Inbox.from_settings(get_settings()).receipts()
    assert (receipt.period, receipt.period_kind, receipt.park_code) == ("2026Q3", "quarter", FUZHOU)


def test_an_exact_duplicate_is_refused_with_the_earlier_receipt_named(inbox, tmp_path):
    sent = office_csv(tmp_path / "a.csv", [("甲公司", CODE_A, "12")])
    (first,) = inbox.submit("park_submissions", [sent], period="2026-11", park=TIANJIN, sender="tj")
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(sent.read_bytes())
    result = CliRunner().invoke(park_cli, ["intake", "submit", "--park", FUZHOU, "--period", "2026-10", str(copy)])
    assert result.exit_code == 1
    assert f"identical to 'a.csv' received {first.received_at} from tj (receipt {first.receipt_id}" in result.output
    assert len(inbox.receipts()) == 1
    assert not (inbox.root / "park_submissions" / "2026-10").exists()


def test_a_resubmission_supersedes_the_earlier_file_which_is_kept(inbox, tmp_path):
    first_file = office_csv(tmp_path / "v1" / "list.csv", [("甲公司", CODE_A, "12"), ("乙公司", CODE_B, "7")])
    second_file = office_csv(tmp_path / "v2" / "list.csv", [("甲公司", CODE_A, "13")])
    (first,) = inbox.submit("park_submissions", [first_file], period="2026-11", park=TIANJIN, sender="tj")
    (second,) = inbox.submit(
        "park_submissions", [second_file], period="2026-11", park="天津经济技术开发区", sender="tj"
    )
    assert inbox.superseded("park_submissions") == {first.receipt_id: second.receipt_id}
    assert inbox.pending("park_submissions", "any") == [second]  # superseded before landing: not read
    assert inbox.path(first).read_bytes() == first_file.read_bytes()  # never overwritten
    assert inbox.path(second).read_bytes() == second_file.read_bytes()
    assert inbox.path(second).name == f"list.{second.sha256[:12]}.csv"
    table = inbox.table()
    assert table.select("receipt_id", "superseded_by").rows() == [
        (first.receipt_id, second.receipt_id),
        (second.receipt_id, None),
    ]


def test_an_unresolved_park_sends_the_whole_file_to_review_not_to_the_bin(inbox, tmp_path):
    sent = office_csv(tmp_path / "list.csv", [("甲公司", CODE_A, "12")])
    result = CliRunner().invoke(
        park_cli, ["intake", "submit", "--park", "东乡经济开发区", "--period", "2026", str(sent)]
    )
    assert result.exit_code == 0, result.output
    assert "sent for review: park '东乡经济开发区' is ambiguous" in result.output
    (receipt,) = inbox.receipts()
    assert (receipt.status, receipt.park_code, receipt.period_kind) == ("review", None, "year")
    assert inbox.path(receipt).read_bytes() == sent.read_bytes()
    assert inbox.pending("park_submissions", "any") == []  # not read until it is resubmitted with a code
    listed = CliRunner().invoke(park_cli, ["intake", "list"])
    assert "REVIEW: park '东乡经济开发区' is ambiguous" in listed.output
    # released: the same file sent again with the zone's code is accepted, the review receipt superseded
    (released,) = inbox.submit("park_submissions", [sent], period="2026", park="S367087", sender="jx")
    assert released.status == "accepted"
    assert inbox.superseded("park_submissions") == {receipt.receipt_id: released.receipt_id}
    assert [r.receipt_id for r in inbox.pending("park_submissions", "any")] == [released.receipt_id]


def test_a_period_that_is_not_one_is_refused(inbox, tmp_path):
    sent = office_csv(tmp_path / "list.csv", [("甲公司", CODE_A, "12")])
    result = CliRunner().invoke(park_cli, ["intake", "submit", "--park", TIANJIN, "--period", "2026-13", str(sent)])
    assert result.exit_code == 1
    assert "period '2026-13' is not a month (2026-11), a quarter (2026Q3) or a year (2026)" in result.output
    assert inbox.receipts() == []


def test_files_put_into_the_folders_get_receipts_when_the_inbox_is_scanned(inbox, resolver, tmp_path):
    dropped = office_csv(inbox.root / "park_submissions" / "2026-11" / "天津经开区" / "list.csv", [("甲", CODE_A, "1")])
    astray = office_csv(inbox.root / "park_submissions" / "list.csv", [("乙", CODE_B, "2")])
    wrong_period = office_csv(inbox.root / "park_submissions" / "November" / TIANJIN / "x.csv", [("丙", CODE_C, "3")])
    found = {receipt.path: receipt for receipt in inbox.scan("park_submissions", resolver)}
    relative = {path: path.relative_to(inbox.root).as_posix() for path in (dropped, astray, wrong_period)}
    assert found[relative[dropped]].park_code == TIANJIN
    assert found[relative[dropped]].sender == FOLDER_SENDER
    assert found[relative[astray]].review_reason == "not in the inbox layout park_submissions/<period>/<park>/<file>"
    assert "period 'November' is not a month" in found[relative[wrong_period]].review_reason
    assert inbox.scan("park_submissions", resolver) == []  # known files are not received twice
    dropped.write_text(dropped.read_text(encoding="utf-8") + "丁,,4\n", encoding="utf-8")
    (changed,) = inbox.scan("park_submissions", resolver)
    assert changed.notes == [f"replaced in place; receipt {found[relative[dropped]].receipt_id} had other bytes"]
    assert inbox.superseded("park_submissions") == {found[relative[dropped]].receipt_id: changed.receipt_id}


def test_the_extract_lands_what_arrived_since_its_last_batch_and_records_each_outcome(inbox, tmp_path):
    settings = get_settings()
    good = office_csv(tmp_path / "tj.csv", [("甲公司", CODE_A, "12"), ("乙公司", "not-a-code", "7")])
    unreadable = tmp_path / "fz.csv"
    unreadable.write_text("名称,备注\n甲,乙\n", encoding="utf-8")
    (tianjin,) = inbox.submit("park_submissions", [good], period="2026-11", park=TIANJIN, sender="tj")
    (fuzhou,) = inbox.submit("park_submissions", [unreadable], period="2026Q3", park=FUZHOU, sender="fz")

    report = submissions_source.extract(settings, DAY)
    assert (report.received, report.landed, report.quarantined) == (4, 1, 3)
    landed = pl.read_parquet(Path(report.path) / LANDED_FILE)
    assert landed.select("credit_code", "park_code", "period", "receipt_id", "data_origin").rows() == [
        (CODE_A, TIANJIN, "2026-11", tianjin.receipt_id, "park_office")
    ]
    quarantined = pl.read_parquet(Path(report.path) / QUARANTINED_FILE)
    assert quarantined.filter(pl.col("receipt_id") == fuzhou.receipt_id).height == 2  # the file's 2 lines
    outcomes = inbox.landings()
    assert (outcomes[tianjin.receipt_id].rows_landed, outcomes[tianjin.receipt_id].rows_quarantined) == (1, 1)
    assert outcomes[tianjin.receipt_id].file_error is None
    assert outcomes[fuzhou.receipt_id].rows_quarantined == 2
    assert "required column(s)" in outcomes[fuzhou.receipt_id].file_error

    # the next day nothing new arrived: an empty batch that reconciles; a re-run of the first day lands it again
    later = submissions_source.extract(settings, date(2026, 11, 24))
    assert (later.received, later.landed, later.quarantined) == (0, 0, 0)
    again = submissions_source.extract(settings, DAY)
    assert (again.received, again.landed, again.quarantined) == (4, 1, 3)


def test_the_member_list_is_read_from_the_newest_export_in_the_inbox(inbox, tmp_path):
    from simulators import members as members_simulator

    settings = get_settings()
    with pytest.raises(FileNotFoundError, match="no member list received for an export date up to 2026-11-23"):
        members_source.extract(settings, DAY)
    path = members_simulator.write_export(settings, DAY)
    assert path.parent == inbox.root / "alliance_members" / "2026-11-23"
    assert members_simulator.write_export(settings, DAY) == path  # the same bytes again: nothing new
    report = members_source.extract(settings, DAY)
    (receipt,) = inbox.receipts("alliance_members")
    assert receipt.generated and receipt.sender == "simulators.members"
    assert inbox.landings()[receipt.receipt_id].rows_landed == report.landed


def test_the_receipts_land_as_a_table_with_their_outcomes(inbox, tmp_path):
    settings = get_settings()
    sent = office_csv(tmp_path / "tj.csv", [("甲公司", CODE_A, "12")])
    inbox.submit("park_submissions", [sent], period="2026-11", park=TIANJIN, sender="tj")
    submissions_source.extract(settings, DAY)
    office_csv(inbox.root / "park_submissions" / "2026-11" / "火星园区" / "x.csv", [("乙", CODE_B, "2")])
    report = receipts_source.extract(settings, DAY)
    assert (report.received, report.landed, report.quarantined) == (2, 2, 0)
    table = pl.read_parquet(Path(report.path) / LANDED_FILE).sort("received_at")
    assert table.select("park_code", "receipt_status", "batch_id", "rows_landed").rows() == [
        (TIANJIN, "accepted", "park_submissions-20261123", 1),
        (None, "review", None, None),
    ]
    ledger = [json.loads(line) for line in inbox.ledger.read_text(encoding="utf-8").splitlines()]
    assert [event["event"] for event in ledger] == ["received", "landed", "received"]


def test_a_member_park_the_catalogue_does_not_list_submits_under_its_name_or_alliance_code(inbox, tmp_path):
    """Company-run, post-2018 and overseas members have no catalogue code: once the member list has landed,
    their offices submit under the member's name or its alliance A-code, and the rows land under that code."""
    from extractors.alliance_members.extract import alliance_code
    from parkplatform.park_names import normalise_park_name
    from simulators import members as members_simulator

    settings = get_settings()
    sent = office_csv(tmp_path / "by.csv", [("中白工业园区开发股份有限公司", CODE_A, "310")])
    (early,) = inbox.submit("park_submissions", [sent], period="2026-11", park="中白工业园", sender="by")
    assert early.status == "review"  # before any member list: the name is no park the platform knows

    members_simulator.write_export(settings, DAY)
    members_source.extract(settings, DAY)
    code = alliance_code(pl.select(normalise_park_name(pl.lit("中白工业园"))).item(), None)
    resolver = ParkResolver.from_settings(settings)
    assert resolver.resolve("中白工业园").code == code
    assert resolver.resolve(code).code == code

    (released,) = inbox.submit("park_submissions", [sent], period="2026-11", park="中白工业园", sender="by")
    assert (released.status, released.park_code) == ("accepted", code)
    report = submissions_source.extract(settings, DAY)
    landed = pl.read_parquet(Path(report.path) / LANDED_FILE)
    assert landed.select("credit_code", "park_code").rows() == [(CODE_A, code)]
