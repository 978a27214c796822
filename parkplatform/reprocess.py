"""Re-process a landed batch once its source is fixed, never losing a row.

    python -m parkplatform.reprocess <source> <batch_id>      # e.g. alliance_members alliance_members-20261123

A batch keeps its quarantined rows (``quarantined.parquet``, with ``_reject_reason``, ``_source_file``
and ``_source_row``); ``mart_quarantine_batches`` counts them by reason. Once the sender has fixed
the file (a park office sends its spreadsheet again, the CRM export is corrected), this command
reads the batch's source as it is now, validates every row again with the source's own rules and
lands the result as the same batch (same logical date, swapped in whole), so received = landed +
quarantined holds again. Before that, the batch as it was is kept under
``<landing>/<source>/reprocessed/<batch_id>/<loaded_at>/``; afterwards every row of the old batch
(file and line) must be in the new one, landed or still quarantined, else the old batch is put back
and the command fails naming the missing rows. Files are read, never generated again: the generated
sources (park submissions, the member list, the CRM exports) are re-read where they lie.

The next transform run (``transform_publish`` for that date or a later one) publishes the rows released
from quarantine.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from parkplatform.config import Settings, get_settings
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE, BatchReport, batch_dir, read_report
from parkplatform.sources import resolve, source_names, source_spec

log = logging.getLogger(__name__)

ROW_KEY = ("_source_file", "_source_row")


class ReprocessError(RuntimeError):
    """The re-processed batch would lose rows of the old one; the old batch was kept."""


@dataclass(frozen=True)
class Reprocessed:
    before: BatchReport
    after: BatchReport
    archive: Path

    def summary(self) -> str:
        released = self.before.quarantined - self.after.quarantined
        return (
            f"{self.after.batch_id}: received {self.before.received} -> {self.after.received}, "
            f"landed {self.before.landed} -> {self.after.landed}, quarantined {self.before.quarantined} -> "
            f"{self.after.quarantined} ({released} released from quarantine); the batch as it was: {self.archive}"
        )


def reread(settings: Settings, day: date, batch: Path) -> BatchReport:
    """Land the batch again from its source as it is now: from the files it received when its source
    declares how (``reread``: park submissions, whose folder may hold later files), else by its extract."""
    spec = source_spec(batch.parent.name)
    if spec.reread is not None:
        files = sorted({Path(name) for name in _rows(batch)["_source_file"].unique().to_list()})
        return resolve(spec.reread)(settings, day, files)
    return resolve(spec.extract)(settings, day)


def _rows(batch: Path) -> pl.DataFrame:
    """The (file, line) of every row a batch received, landed or quarantined."""
    return pl.concat([pl.read_parquet(batch / name, columns=list(ROW_KEY)) for name in (LANDED_FILE, QUARANTINED_FILE)])


def batch_date_of(source: str, batch_id: str) -> date:
    prefix = f"{source}-"
    if not batch_id.startswith(prefix):
        raise ValueError(f"batch {batch_id!r} is not a batch of {source!r} (expected {prefix}YYYYMMDD)")
    return datetime.strptime(batch_id.removeprefix(prefix), "%Y%m%d").date()


def reprocess(source: str, batch_id: str) -> Reprocessed:
    """Land ``batch_id`` of ``source`` again from its source as it is now (see the module's doc)."""
    if source not in source_names():
        raise ValueError(f"unknown source {source!r}: expected one of {', '.join(source_names())}")
    settings = get_settings()
    day = batch_date_of(source, batch_id)
    batch = batch_dir(settings.landing_dir, source, day)
    if not (batch / "batch.json").is_file():
        raise FileNotFoundError(f"no landed batch {batch_id} at {batch}")
    before = read_report(batch)
    archive = settings.landing_dir / source / "reprocessed" / batch_id / before.loaded_at.replace(":", "")
    shutil.rmtree(archive, ignore_errors=True)
    shutil.copytree(batch, archive)

    after = reread(settings, day, batch)
    missing = _rows(archive).join(_rows(batch), on=list(ROW_KEY), how="anti")
    if not missing.is_empty():
        shutil.rmtree(batch)
        shutil.copytree(archive, batch)
        raise ReprocessError(
            f"{batch_id}: {missing.height} row(s) of the old batch are not in the re-processed one "
            f"(e.g. {missing.head(5).rows()}); the old batch was put back"
        )
    done = Reprocessed(before, after, archive)
    log.info(done.summary())
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", choices=sorted(source_names()))
    parser.add_argument("batch_id", help="<source>-YYYYMMDD, as mart_quarantine_batches and batch.json name it")
    args = parser.parse_args(argv)
    try:
        done = reprocess(args.source, args.batch_id)
    except (ReprocessError, FileNotFoundError, ValueError) as error:
        print(f"reprocess failed: {error}", file=sys.stderr)
        return 1
    print(done.summary())
    for reason, count in done.after.quarantine_reasons.items():
        print(f"  still quarantined: {count} row(s): {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
