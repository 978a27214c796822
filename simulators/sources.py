"""Write what the operational sources without public data would hold, where they would hold it.

``python -m simulators.sources --logical-date YYYY-MM-DD`` (and the demo, the tests and the benchmarks,
through :func:`write_sources`) writes, for the configured scale and seed: the park offices' submission
files for the periods their cadences have due at the date (the last month, quarter or
year), the alliance's member-list export for the date, and the CRM's snapshot as of the date (its exports,
or its PostgreSQL schema with ``PARK_CRM_DSN``). Each is marked generated; the
extractors then read them like real data. Production never runs this.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from parkplatform.config import Settings, get_settings
from simulators import crm, members, submissions


@dataclass(frozen=True)
class Written:
    submission_files: list[Path]
    member_list: Path
    crm: object  # the CRM simulator's ExportResult or LoadResult


def write_sources(settings: Settings, logical_date: date) -> Written:
    """Every simulated source's data for ``logical_date`` (the registry read from the reference folder)."""
    return Written(
        submission_files=submissions.write_period(settings, logical_date),
        member_list=members.write_export(settings, logical_date),
        crm=crm.write_snapshot(settings, logical_date),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logical-date", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    written = write_sources(get_settings(), args.logical_date)
    print(f"{len(written.submission_files)} submission files, member list {written.member_list}, CRM {written.crm}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
