"""Render (and send) the report of one ISO week in the configured languages: what the DAG's tasks and
the command line call."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from parkplatform.config import get_settings
from report.data import IsoWeek
from report.mail import SmtpConfig, send_report, smtp_config
from report.render import RenderedReport, render_week

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def week_of_data_interval(start: datetime) -> IsoWeek:
    """The ISO week (Asia/Shanghai dates) a DAG run's data interval starts in: for the Monday 08:00
    run, the week just ended."""
    return IsoWeek.of(start.astimezone(SHANGHAI).date())


def run_weekly_report(
    week: IsoWeek,
    languages: Sequence[str] | None = None,
    *,
    send: bool = False,
    warehouse: Path | None = None,
    smtp: SmtpConfig | None = None,
) -> list[RenderedReport]:
    """Render ``week`` in ``languages`` (default: PARK_REPORT_LANG) from the serving warehouse, archive
    it, and with ``send`` e-mail each language's report (``smtp``, default from the configuration)."""
    settings = get_settings()
    reports = [render_week(week, language, warehouse=warehouse) for language in languages or settings.report_languages]
    if send:
        config = smtp or SmtpConfig.from_settings(settings)
        for report in reports:
            send_report(report, config)
    return reports


def render_reports(week: IsoWeek) -> list[dict]:
    """The DAG's render task: every configured language, as JSON-able records for the send task."""
    return [report.to_record() for report in run_weekly_report(week)]


def send_rendered(records: list[dict], connection_id: str = "park_smtp") -> dict:
    """The DAG's send task: e-mail the rendered reports when SMTP is configured (Airflow connection
    ``connection_id``, else the PARK_SMTP_* settings); otherwise log that nothing was sent."""
    config = smtp_config(get_settings(), connection_id)
    if config is None:
        log.warning(
            "weekly report not sent: no Airflow connection %r and PARK_SMTP_HOST / PARK_REPORT_RECIPIENTS unset",
            connection_id,
        )
        return {"sent": 0, "recipients": []}
    for record in records:
        send_report(RenderedReport.from_record(record), config)
    return {"sent": len(records), "recipients": list(config.recipients)}
