"""Send a rendered report by SMTP: the HTML as the body (with a plain-text digest beside it) and the PDF
attached. Host, port, sender and recipients come from the configuration (``PARK_SMTP_*``,
``PARK_REPORT_RECIPIENTS``); a user and password only from the environment or an Airflow connection."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from parkplatform.config import ConfigurationError, Settings
from report.render import RenderedReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        if not settings.smtp_host or not settings.report_recipients:
            raise ConfigurationError(
                "sending the weekly report needs PARK_SMTP_HOST and PARK_REPORT_RECIPIENTS "
                f"(got host {settings.smtp_host!r}, recipients {list(settings.report_recipients)})"
            )
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            recipients=settings.report_recipients,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )


def smtp_config(settings: Settings, connection_id: str | None = None) -> SmtpConfig | None:
    """Where to send: the Airflow connection ``connection_id`` when one exists (its host, port, login
    and password; the sender and recipients from the settings, or the connection's extras ``sender``
    and ``recipients``), else the PARK_SMTP_* settings; None when neither names a host and recipients."""
    connection = _airflow_connection(connection_id) if connection_id else None
    if connection is None:
        if not settings.smtp_host or not settings.report_recipients:
            return None
        return SmtpConfig.from_settings(settings)
    extra = connection.extra_dejson or {}
    recipients = extra.get("recipients") or list(settings.report_recipients)
    if isinstance(recipients, str):
        recipients = [address.strip() for address in recipients.split(",") if address.strip()]
    if not connection.host or not recipients:
        return None
    return SmtpConfig(
        host=connection.host,
        port=connection.port or settings.smtp_port,
        sender=extra.get("sender") or settings.smtp_sender,
        recipients=tuple(recipients),
        user=connection.login or settings.smtp_user,
        password=connection.password or settings.smtp_password,
        starttls=bool(extra.get("starttls", settings.smtp_starttls)),
    )


def _airflow_connection(connection_id: str):
    """The Airflow connection, or None when it is not defined (or Airflow is not there)."""
    try:
        from airflow.sdk import BaseHook
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:
        return None
    try:
        return BaseHook.get_connection(connection_id)
    except AirflowNotFoundException:
        log.debug("no Airflow connection %r", connection_id)
        return None


def build_message(report: RenderedReport, config: SmtpConfig) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = report.subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message.set_content(report.summary)
    message.add_alternative(report.html, subtype="html")
    message.add_attachment(
        report.pdf_path.read_bytes(),
        maintype="application",
        subtype="pdf",
        filename=f"weekly-report-{report.week.label}.{report.language}.pdf",
    )
    return message


def send_report(report: RenderedReport, config: SmtpConfig) -> EmailMessage:
    """Send ``report`` to the configured recipients; returns the message sent."""
    message = build_message(report, config)
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.user:
            smtp.login(config.user, config.password or "")
        smtp.send_message(message)
    log.info(
        "weekly report %s (%s) sent to %s via %s:%d",
        report.week.label,
        report.language,
        ", ".join(config.recipients),
        config.host,
        config.port,
    )
    return message
