"""What the inbox's receipts say, without its machinery: the sources that have an inbox, a receipt's statuses,
and the reporting periods offices name (a month, a quarter or a year). Light on purpose: the source
declarations, which DAG files read at parse time, use it; :mod:`parkplatform.intake` is the inbox itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

SUBMISSIONS = "park_submissions"
MEMBERS = "alliance_members"
INBOX_SOURCES = (SUBMISSIONS, MEMBERS)
ACCEPTED, REVIEW = "accepted", "review"
PERIOD_KINDS = ("month", "quarter", "year")


class IntakeError(ValueError):
    """A file the inbox refuses (an exact duplicate, a period that is not one, a missing file)."""


@dataclass(frozen=True)
class Period:
    """A reporting period as offices name it: a month ``2026-11``, a quarter ``2026Q3``, a year ``2026``."""

    label: str
    kind: Literal["month", "quarter", "year", "day"]
    start: date
    end: date  # the last day of the period


_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def parse_period(text: str) -> Period:
    """The period ``text`` names; a quarter stays a quarter (it is never split into or added to months)."""
    label = text.strip().upper()
    if match := _MONTH.match(label):
        year, month = int(match[1]), int(match[2])
        return Period(label, "month", date(year, month, 1), _month_end(year, month))
    if match := _QUARTER.match(label):
        year, quarter = int(match[1]), int(match[2])
        return Period(label, "quarter", date(year, 3 * quarter - 2, 1), _month_end(year, 3 * quarter))
    if match := _YEAR.match(label):
        year = int(match[1])
        return Period(label, "year", date(year, 1, 1), date(year, 12, 31))
    raise IntakeError(f"period {text!r} is not a month (2026-11), a quarter (2026Q3) or a year (2026)")


def parse_export_date(text: str) -> Period:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise IntakeError(f"export date {text!r} is not a date (YYYY-MM-DD)") from None
    return Period(day.isoformat(), "day", day, day)


def period_of(source: str, text: str) -> Period:
    return parse_export_date(text) if source == MEMBERS else parse_period(text)
