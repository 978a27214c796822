"""The landing contract (DESIGN.md section 3).

Every landed row carries ``_source``, ``_batch_id``, ``_loaded_at``, ``_source_file`` and
``_source_row``. A batch is one source for one logical date; it lives in one folder holding the
landed rows, the quarantined rows (with ``_reject_reason``) and ``batch.json`` with the
reconciliation received = landed + quarantined, per batch and per file. Re-running a logical date
replaces its folder as a whole; other dates are never touched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

log = logging.getLogger(__name__)

LANDED_FILE = "landed.parquet"
QUARANTINED_FILE = "quarantined.parquet"
REPORT_FILE = "batch.json"
REJECT_REASON = "_reject_reason"
LINEAGE_COLUMNS = ("_source", "_batch_id", "_loaded_at", "_source_file", "_source_row")


class ReconciliationError(RuntimeError):
    """received != landed + quarantined: rows were lost or invented on the way."""


@dataclass(frozen=True)
class FileCounts:
    source_file: str
    received: int
    landed: int
    quarantined: int


@dataclass(frozen=True)
class BatchReport:
    source: str
    batch_id: str
    logical_date: str
    loaded_at: str
    received: int
    landed: int
    quarantined: int
    quarantine_reasons: dict[str, int]
    files: list[FileCounts] = field(default_factory=list)
    path: str = ""
    # what a source records about the batch beside the counts (e.g. an incremental source's window)
    details: dict = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"{self.source} batch {self.batch_id}: received {self.received} = "
            f"landed {self.landed} + quarantined {self.quarantined}"
        )


def batch_id_of(source: str, logical_date: date) -> str:
    """The id of ``source``'s batch for ``logical_date`` (one batch per source and date)."""
    return f"{source}-{logical_date:%Y%m%d}"


def batch_dir(landing_dir: Path, source: str, logical_date: date) -> Path:
    return landing_dir / source / f"batch_date={logical_date.isoformat()}"


def land_batch(
    received: pl.DataFrame, *, source: str, logical_date: date, landing_dir: Path, details: dict | None = None
) -> BatchReport:
    """Split ``received`` on ``_reject_reason`` and land both parts as one immutable batch.

    ``details`` (JSON-serialisable) is stored in ``batch.json`` with the counts, in the same swap.
    ``received`` must hold ``_source_file``, ``_source_row`` and ``_reject_reason`` (null for a
    valid row). The batch folder is written beside its final place and swapped in by rename, so a
    reader sees the old batch or the new one, never half of one.
    """
    missing = {"_source_file", "_source_row", REJECT_REASON} - set(received.columns)
    if missing:
        raise ValueError(f"{source}: received frame lacks lineage columns {sorted(missing)}")

    loaded_at = datetime.now(UTC).replace(microsecond=0)
    batch_id = batch_id_of(source, logical_date)
    stamped = received.with_columns(
        pl.lit(source).alias("_source"),
        pl.lit(batch_id).alias("_batch_id"),
        pl.lit(loaded_at).alias("_loaded_at"),
    )
    is_rejected = pl.col(REJECT_REASON).is_not_null()
    quarantined = stamped.filter(is_rejected)

    final = batch_dir(landing_dir, source, logical_date)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        # streamed from the received frame: the landed rows are most of a batch, and a copy of them
        # in memory would double a national batch's footprint
        stamped.lazy().filter(~is_rejected).drop(REJECT_REASON).sink_parquet(staging / LANDED_FILE)
        quarantined.write_parquet(staging / QUARANTINED_FILE)
        report = BatchReport(
            source=source,
            batch_id=batch_id,
            logical_date=logical_date.isoformat(),
            loaded_at=loaded_at.isoformat(),
            received=received.height,
            # the rows in the written file, so the reconciliation below checks what was landed
            landed=pl.scan_parquet(staging / LANDED_FILE).select(pl.len()).collect().item(),
            quarantined=quarantined.height,
            quarantine_reasons=_count_by(quarantined, REJECT_REASON),
            files=_file_counts(stamped),
            details=details or {},
            path=str(final),
        )
        _check_reconciliation(report)
        (staging / REPORT_FILE).write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2), encoding="utf-8")
        _swap_in(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info(report.summary())
    return report


def _count_by(frame: pl.DataFrame, column: str) -> dict[str, int]:
    if frame.is_empty():
        return {}
    counts = frame.group_by(column).len().sort(column)
    return dict(zip(counts[column].to_list(), counts["len"].to_list(), strict=True))


def _file_counts(stamped: pl.DataFrame) -> list[FileCounts]:
    per_file = (
        stamped.group_by(pl.col("_source_file").alias("source_file"))
        .agg(
            pl.len().alias("received"),
            pl.col(REJECT_REASON).is_null().sum().alias("landed"),
            pl.col(REJECT_REASON).is_not_null().sum().alias("quarantined"),
        )
        .sort("source_file")
    )
    return [FileCounts(**row) for row in per_file.iter_rows(named=True)]


def _check_reconciliation(report: BatchReport) -> None:
    if report.received != report.landed + report.quarantined:
        raise ReconciliationError(report.summary())
    for counts in report.files:
        if counts.received != counts.landed + counts.quarantined:
            raise ReconciliationError(f"{report.batch_id} file {counts.source_file}: {counts}")


def _swap_in(staging: Path, final: Path) -> None:
    retired = final.parent / f".retired-{uuid.uuid4().hex}"
    if final.exists():
        os.replace(final, retired)
    os.replace(staging, final)
    shutil.rmtree(retired, ignore_errors=True)


def read_report(path: Path) -> BatchReport:
    raw = json.loads((path / REPORT_FILE).read_text(encoding="utf-8"))
    raw["files"] = [FileCounts(**counts) for counts in raw["files"]]
    return BatchReport(**raw)


def batch_date(path: Path) -> date:
    return date.fromisoformat(path.name.split("=", 1)[1])


def batches_up_to(landing_dir: Path, source: str, as_of: date | None = None) -> list[Path]:
    """Every batch of ``source`` whose logical date is on or before ``as_of``, oldest first; fails
    when there is none."""
    candidates = sorted(
        path for path in (landing_dir / source).glob("batch_date=*") if as_of is None or batch_date(path) <= as_of
    )
    if not candidates:
        when = f" on or before {as_of}" if as_of else ""
        raise FileNotFoundError(f"no landed batch of {source!r}{when} under {landing_dir / source}")
    return candidates


def latest_batch(landing_dir: Path, source: str, as_of: date | None = None) -> Path:
    """The newest batch of ``source`` whose logical date is on or before ``as_of``."""
    return batches_up_to(landing_dir, source, as_of)[-1]


def read_text_csv(path: Path, columns: dict[str, str]) -> pl.DataFrame:
    """A CSV as received: every value as trimmed text (blank = null) under the landing names in
    ``columns`` (file header -> landing name), with ``_source_file`` and ``_source_row`` (the line
    in the file; line 1 is the header). A missing column fails naming the file and the columns."""
    raw = pl.read_csv(path, infer_schema=False, encoding="utf8")
    missing = set(columns) - set(raw.columns)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return (
        raw.select(columns.keys())
        .rename(columns)
        .with_columns(pl.all().str.strip_chars().replace("", None))
        .with_columns(
            pl.lit(str(path)).alias("_source_file"),
            (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_source_row"),
        )
    )


def first_reject_reason(rules: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """``_reject_reason`` of a row: the reason of the first rule whose failure expression is true.

    A rule is ``(reason, fails)``; the reason names the column and the rule, the row's
    ``_source_file`` and ``_source_row`` name where it came from.
    """
    reason: pl.Expr | None = None
    for text, fails in reversed(rules):
        reason = (
            pl.when(fails.fill_null(True))
            .then(pl.lit(text))
            .otherwise(reason if reason is not None else pl.lit(None, dtype=pl.String))
        )
    return (reason if reason is not None else pl.lit(None, dtype=pl.String)).alias(REJECT_REASON)
