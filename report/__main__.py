"""Render the weekly report of an ISO week from the serving warehouse, and optionally e-mail it.

python -m report                      # the latest complete week, in PARK_REPORT_LANG (default zh)
python -m report --week 2026-W47 --lang en --send
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parkplatform.config import REPORT_LANGUAGES, ConfigurationError, get_settings
from report.data import IsoWeek, WeekNotAvailable
from report.render import latest_complete_week
from report.run import run_weekly_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__.splitlines()[0])
    parser.add_argument("--week", type=IsoWeek.parse, help="ISO week, e.g. 2026-W47 (default: the latest complete one)")
    parser.add_argument(
        "--lang",
        action="append",
        choices=REPORT_LANGUAGES,
        help="language; repeat for both (default: PARK_REPORT_LANG)",
    )
    parser.add_argument("--send", action="store_true", help="e-mail it (PARK_SMTP_HOST, PARK_REPORT_RECIPIENTS, ...)")
    parser.add_argument(
        "--warehouse",
        type=Path,
        help="a DuckDB warehouse file (default: the serving warehouse of PARK_WAREHOUSE_ENGINE, DuckDB or PostgreSQL)",
    )
    args = parser.parse_args(argv)
    warehouse = args.warehouse
    try:
        week = args.week or latest_complete_week(warehouse)
        reports = run_weekly_report(week, args.lang, send=args.send, warehouse=warehouse)
    except (WeekNotAvailable, ConfigurationError, LookupError, OSError) as exc:
        print(f"weekly report: {exc}", file=sys.stderr)
        return 1
    for report in reports:
        print(f"{report.week.label} ({report.language}): {report.html_path}")
        print(f"{report.week.label} ({report.language}): {report.pdf_path}")
    if args.send:
        print(f"sent to {', '.join(get_settings().report_recipients)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
