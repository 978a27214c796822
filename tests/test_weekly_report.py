"""The weekly report of 2026-W47 rendered from the tiny warehouse: its headline numbers equal
mart_weekly_indicators (in the HTML and in the PDF's text, with the Chinese headings), it says the data
is generated, it goes out by e-mail to an SMTP server on loopback with both parts, a past week renders
again with the same numbers, the absent quality tables are named, and the DAG renders the week of its
data interval. The PDF's first page is saved as a PNG under test-artifacts/weekly-report/."""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import socket
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from parkplatform.config import REPO_ROOT
from report.data import IsoWeek, WeekNotAvailable, read_report_data
from report.render import latest_complete_week, render_week
from report.run import week_of_data_interval

WEEK = IsoWeek.parse("2026-W47")  # Monday 2026-11-16 to Sunday 2026-11-22, the last complete week
ARTIFACTS = REPO_ROOT / "test-artifacts" / "weekly-report"
HEADINGS_ZH = (
    "园区联盟每周指标报告",
    "核心指标",
    "本周概览",
    "对接漏斗",
    "主要外资流入走廊",
    "需关注的停滞对接",
    "数据质量",
)
FIELDS = (
    "value",
    "previous_week_value",
    "same_week_last_year_value",
    "year_to_date",
    "year_to_date_target",
    "year_to_date_vs_target",
    "week_over_week_change",
    "year_over_year_change",
)


class _DataCells(HTMLParser):
    """Elements carrying data-indicator / data-field / data-raw, with their text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str | None, str], dict] = {}
        self._open: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        cell = None
        if "data-field" in attributes and tag != "tr":
            cell = {"raw": attributes.get("data-raw"), "text": ""}
            self.cells[(attributes.get("data-indicator"), attributes["data-field"])] = cell
        self._open.append(cell)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for cell in self._open:
            if cell is not None:
                cell["text"] += data


def _cells(html: str) -> dict[tuple[str | None, str], dict]:
    parser = _DataCells()
    parser.feed(html)
    return parser.cells


def _text(cell: dict) -> str:
    return " ".join(cell["text"].split())


def _mart(warehouse: Path, week: str) -> dict[str, dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            f"select indicator_code, {', '.join(FIELDS)} from mart_weekly_indicators where iso_week_label = ?", [week]
        )
        return {row[0]: dict(zip(FIELDS, row[1:], strict=True)) for row in cursor.fetchall()}


def _pdf_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


@pytest.fixture(scope="module")
def serving(tiny_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """A data folder whose serving warehouse is (a copy of) the tiny build, set as PARK_DATA_DIR."""
    data_dir = tmp_path_factory.mktemp("weekly-report") / "data"
    (data_dir / "warehouse").mkdir(parents=True)
    shutil.copyfile(tiny_warehouse, data_dir / "warehouse" / "serving.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(data_dir))
        for variable in ("PARK_REPORT_LANG", "PARK_SMTP_HOST", "PARK_REPORT_RECIPIENTS", "PARK_SMTP_PORT"):
            patch.delenv(variable, raising=False)
        yield data_dir


@pytest.fixture(scope="module")
def rendered(serving: Path):
    return {language: render_week(WEEK, language) for language in ("zh", "en")}


def test_reports_are_archived_under_the_iso_week(serving, rendered):
    folder = serving / "reports" / "2026-W47"
    assert sorted(path.name for path in folder.iterdir()) == [
        "report.en.html",
        "report.en.pdf",
        "report.zh.html",
        "report.zh.pdf",
    ]
    assert rendered["zh"].pdf_path == folder / "report.zh.pdf"
    assert rendered["zh"].pdf_path.read_bytes().startswith(b"%PDF-")


def test_headline_numbers_in_the_html_equal_the_mart(serving, rendered):
    mart = _mart(serving / "warehouse" / "serving.duckdb", "2026-W47")
    assert len(mart) == 7
    for language in ("zh", "en"):
        cells = _cells(rendered[language].html)
        for code, values in mart.items():
            for field, value in values.items():
                raw = cells[(code, field)]["raw"]
                assert (float(raw) if raw else None) == value, (language, code, field)
    zh = _cells(rendered["zh"].html)
    # as a reader sees them (tests/test_marts_weekly.py counts new matches by hand: 3, 2 and 3)
    assert _text(zh[("new_matches", "value")]) == "3"
    assert _text(zh[("new_matches", "previous_week_value")]) == "2"
    assert _text(zh[("new_matches", "same_week_last_year_value")]) == "3"
    assert _text(zh[("new_matches", "week_over_week_change")]) == "环比 ▲+50.0%"
    assert _text(zh[("new_matches", "year_over_year_change")]) == "同比 ▬0.0%"
    assert _text(zh[("match_conversion_rate", "value")]) == "66.7%"
    assert _text(zh[("signed_amount_cny", "value")]) == "1,581 万元"
    assert _text(zh[("signed_amount_cny", "year_over_year_change")]) == "同比 ▼−77.9%"
    # paid-in received in the week: the ledger's payments dated in it (tests/test_marts_weekly.py sums them by
    # hand: 201,616,480.94 yuan; 151,868,967.29 in 2025-W47)
    assert _text(zh[("paid_in_cny", "value")]) == "2.02 亿元"
    assert _text(zh[("paid_in_cny", "year_over_year_change")]) == "同比 ▲+32.8%"
    assert _text(zh[("new_matches", "year_to_date")]) == "123"
    assert _text(zh[("new_matches", "year_to_date_vs_target")]) == "91%"
    en = _cells(rendered["en"].html)
    assert _text(en[("signed_amount_cny", "value")]) == "CNY 15.8 m"
    assert _text(en[("paid_in_cny", "value")]) == "CNY 201.6 m"
    assert _text(en[("construction_starts", "week_over_week_change")]) == "WoW ▼−50.0%"
    # a fall is red, a rise green (every indicator is better when higher)
    html = rendered["zh"].html
    assert 'class="change bad" data-indicator="construction_starts" data-field="week_over_week_change"' in html
    assert 'class="change good" data-indicator="new_matches" data-field="week_over_week_change"' in html


def test_report_shows_twelve_weeks_of_trend_per_indicator(serving):
    data = read_report_data(serving / "warehouse" / "serving.duckdb", WEEK)
    for indicator in data.indicators:
        assert [point.week_label for point in indicator.trend] == [f"2026-W{week}" for week in range(36, 48)]
    assert data.indicator("new_matches").trend[-1].value == 3
    assert data.indicator("new_matches").trend[-2].value == 2


def test_pdf_has_the_chinese_headings_the_numbers_and_says_the_data_is_generated(rendered):
    pages = _pdf_text(rendered["zh"].pdf_path)
    text = " ".join(pages)
    for heading in HEADINGS_ZH:
        assert heading in text, heading
    for number in ("1,581 万元", "2.02 亿元", "66.7%", "+50.0%", "−77.9%"):
        assert number in text, number
    assert "演示数据" in pages[0] and "模拟数据" in pages[0]
    assert "2026年11月16日 至 2026年11月22日" in pages[0]
    english = _pdf_text(rendered["en"].pdf_path)
    assert "Demonstration data" in english[0] and "CNY 15.8 m" in english[0]


def test_first_pdf_page_rendered_to_png(rendered):
    import pypdfium2

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / "report-2026-W47.zh.page1.png"
    image = pypdfium2.PdfDocument(rendered["zh"].pdf_path)[0].render(scale=2).to_pil()
    image.save(png)
    print(f"first page of the weekly report: {png}")
    assert image.size == (1191, 1684)  # A4 at 144 dpi
    colours = image.convert("L").getextrema()
    assert colours[0] < 60 and colours[1] == 255  # dark ink on white paper, not a blank page


def test_a_past_week_renders_again_with_the_same_numbers(serving, rendered, tmp_path):
    again = render_week(WEEK, "zh", out_dir=tmp_path)
    assert again.html == rendered["zh"].html
    earlier = render_week(IsoWeek.parse("2026-W46"), "zh", out_dir=tmp_path / "w46")
    cells = _cells(earlier.html)
    mart = _mart(serving / "warehouse" / "serving.duckdb", "2026-W46")
    assert float(cells[("new_matches", "value")]["raw"]) == mart["new_matches"]["value"] == 2
    assert _text(cells[("new_matches", "value")]) == "2"


def test_a_week_the_warehouse_does_not_complete_is_refused(serving):
    assert latest_complete_week(serving / "warehouse" / "serving.duckdb") == WEEK
    with pytest.raises(WeekNotAvailable, match=r"2026-W48 is not in mart_weekly_indicators .* to 2026-W47"):
        render_week(IsoWeek.parse("2026-W48"), "zh")


def _warehouse_copy(serving: Path, target: Path, *statements: str) -> Path:
    """A copy of the serving warehouse changed by ``statements`` (the original stays untouched)."""
    shutil.copyfile(serving / "warehouse" / "serving.duckdb", target)
    with duckdb.connect(str(target)) as con:
        for statement in statements:
            con.execute(statement)
    return target


def test_data_quality_says_which_quality_tables_the_warehouse_lacks(serving, tmp_path):
    warehouse = _warehouse_copy(
        serving,
        tmp_path / "serving.duckdb",
        "drop table if exists main.quality_validation_results",
        "drop table if exists main.mart_quarantine_batches",
    )
    html = render_week(WEEK, "zh", warehouse=warehouse, out_dir=tmp_path / "out").html
    assert 'id="validation-absent"' in html and "quality_validation_results" in html
    assert 'id="quarantine-absent"' in html and "mart_quarantine_batches" in html
    assert "暂无结果" in html  # the at-a-glance box on the first page


def test_data_quality_shows_each_sources_newest_batch_and_that_the_week_is_complete(rendered):
    html = rendered["zh"].html
    assert 'data-field="week_complete" data-raw="true"' in html
    # the newest batch of each source with its reconciliation: crm_match_events received 1,334 = 1,303 + 31 (the
    # tiny export's rows and those its fault manifest lists, test_end_to_end), the migrated portfolio's included
    row = re.search(r'<tr data-source="crm_match_events">(.*?)</tr>', html, re.DOTALL).group(1)
    cells = [" ".join(cell.split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
    assert cells == ["crm_match_events", "crm_match_events-20261123", "1", "1,334", "1,303", "31", "✔"]
    # the payment ledger: 372 payments received = 365 landed + 7 quarantined (test_marts_crm)
    row = re.search(r'<tr data-source="crm_payments">(.*?)</tr>', html, re.DOTALL).group(1)
    cells = [" ".join(cell.split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
    assert cells == ["crm_payments", "crm_payments-20261123", "1", "372", "365", "7", "✔"]


def test_data_quality_shows_validation_results_and_quarantine_when_published(serving, tmp_path):
    warehouse = _warehouse_copy(
        serving,
        tmp_path / "serving.duckdb",
        "drop table if exists main.quality_validation_results",
        "drop table if exists main.mart_quarantine_batches",
        "create table main.quality_validation_results as select * from (values "
        "('run-1', timestamp '2026-11-23 02:00:00', date '2026-11-23', 'mart_weekly_indicators', "
        "'expect_column_values_to_not_be_null', 'value', 'critical', true, 'no nulls', '0 nulls'), "
        "('run-1', timestamp '2026-11-23 02:00:00', date '2026-11-23', 'dim_park', "
        "'expect_suspect_geocode_share_below', 'geocode_quality', 'warning', false, '<= 5%', '7.2%'), "
        "('run-0', timestamp '2026-11-16 02:00:00', date '2026-11-16', 'dim_park', "
        "'expect_table_row_count_to_be_between', null, 'critical', false, '>= 1', '0')) "
        "as t(run_id, validated_at, as_of, suite, expectation, column_name, severity, success, expected, observed)",
        "create table main.mart_quarantine_batches as select * from (values "
        "('crm_match_events', 'crm_match_events-20261123', date '2026-11-23', 'event_id: duplicate', 3), "
        "('park_submissions', 'park_submissions-20261123', date '2026-11-23', 'credit_code: bad check', 11), "
        "('park_submissions', 'park_submissions-20261109', date '2026-11-09', 'name: missing', 5)) "
        "as t(source, batch_id, logical_date, reason, quarantined_rows)",
    )
    data = read_report_data(warehouse, WEEK)
    assert data.quality.validation_run["run_id"] == "run-1"
    assert (data.quality.validation_run["expectations"], data.quality.validation_run["failed"]) == (2, 1)
    assert [(row["source"], row["quarantined_rows"]) for row in data.quality.quarantine] == [
        ("park_submissions", 11),
        ("crm_match_events", 3),
    ]
    html = render_week(WEEK, "en", warehouse=warehouse, out_dir=tmp_path / "out").html
    assert "Latest validation run run-1" in html and "2 expectations, 1 failed, 0 of them critical" in html
    assert "expect_suspect_geocode_share_below (geocode_quality)" in html and "7.2%" in html
    assert "credit_code: bad check" in html and "name: missing" not in html
    assert 'id="validation-absent"' not in html and 'id="quarantine-absent"' not in html


@pytest.fixture
def smtp_server():
    """An SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.envelopes = []

        async def handle_DATA(self, server, session, envelope):
            self.envelopes.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _received(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_the_report_is_sent_with_its_html_body_and_pdf_attached(serving, rendered, smtp_server, monkeypatch, capsys):
    from report.__main__ import main

    inbox, port = smtp_server
    monkeypatch.setenv("PARK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PARK_SMTP_PORT", str(port))
    monkeypatch.setenv("PARK_SMTP_SENDER", "reports@park-alliance.example")
    monkeypatch.setenv("PARK_REPORT_RECIPIENTS", "leader@park-alliance.example, office@park-alliance.example")
    assert main(["--week", "2026-W47", "--send"]) == 0
    assert "reports/2026-W47/report.zh.pdf" in capsys.readouterr().out

    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "reports@park-alliance.example"
    assert envelope.rcpt_tos == ["leader@park-alliance.example", "office@park-alliance.example"]
    message = _received(envelope)
    assert message["Subject"] == "园区联盟每周指标报告 2026-W47 [演示数据]"
    html = message.get_body(("html",)).get_content()
    assert html.replace("\r\n", "\n").rstrip("\n") == rendered["zh"].html  # SMTP carries lines as CRLF
    assert "新增对接: 3 (环比 ▲+50.0%, 同比 ▬0.0%)" in message.get_body(("plain",)).get_content()
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "weekly-report-2026-W47.zh.pdf"
    assert attachment.get_content() == rendered["zh"].pdf_path.read_bytes()


def test_the_dag_run_renders_and_sends_the_week_of_its_data_interval(airflow_ready, serving, smtp_server, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    from parkplatform.config import get_settings

    inbox, port = smtp_server
    monkeypatch.setenv("PARK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PARK_SMTP_PORT", str(port))
    monkeypatch.setenv("PARK_REPORT_RECIPIENTS", "leader@park-alliance.example")
    monkeypatch.setenv("PARK_REPORT_LANG", "en,zh")
    archive = serving / "reports" / "2026-W47"
    shutil.rmtree(archive, ignore_errors=True)

    bag = DagBag(dag_folder=str(get_settings().dags_dir / "weekly_report.py"))
    assert bag.import_errors == {}
    dag = bag.get_dag("weekly_report")
    # the Monday 08:00 Asia/Shanghai run of 2026-11-23 covers the week before it
    dag_run = dag.test(logical_date=datetime(2026, 11, 23, 0, 0, tzinfo=UTC))
    assert dag_run.state == "success"
    assert week_of_data_interval(dag_run.data_interval_start) == WEEK
    assert sorted(path.name for path in archive.iterdir()) == [
        "report.en.html",
        "report.en.pdf",
        "report.zh.html",
        "report.zh.pdf",
    ]
    subjects = sorted(_received(envelope)["Subject"] for envelope in inbox.envelopes)
    assert subjects == [
        "Park Alliance Weekly Indicators 2026-W47 [Demonstration data]",
        "园区联盟每周指标报告 2026-W47 [演示数据]",
    ]


def test_the_week_of_a_data_interval_is_read_in_shanghai_time():
    # Monday 08:00 in Shanghai is Monday 00:00 UTC; a minute before it is still the Sunday before
    assert week_of_data_interval(datetime(2026, 11, 16, 0, 0, tzinfo=UTC)) == WEEK
    assert week_of_data_interval(datetime(2026, 11, 15, 15, 59, tzinfo=UTC)) == IsoWeek.parse("2026-W46")
    assert IsoWeek.parse("2026-W47").monday.isoformat() == "2026-11-16"
    with pytest.raises(ValueError, match="2026 has no ISO week 54"):
        IsoWeek.parse("2026-W54")
