"""Park submissions: each park office's spreadsheet of the enterprises in its park, per reporting period.

Offices' files arrive in the inbox (:mod:`parkplatform.intake`: ``park_submissions/<period>/<park>/<file>``,
the period a month, a quarter or a year). Each extract scans the inbox for files put there without a
receipt, then reads every accepted receipt not landed yet (:mod:`extractors.park_submissions.reader`: CSV,
XLSX or XLS, UTF-8 or GBK, the office's own headers and units, the park from the folder), validates every
row, quarantines a failing row with the rule it broke and a file rejected whole line by line with its error
while the other files land, and keeps one row of an enterprise reported twice in a batch (newest period,
then file and row order) while the other is quarantined as superseded. Each receipt's outcome (rows
received, landed, quarantined; the error of a file rejected whole) goes back into the inbox's ledger for the
intake report. A file sent for review (its park did not resolve) is not read until it is resubmitted.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl

from extractors.park_submissions import reader
from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.intake import Inbox, Landing, ParkResolver, Receipt
from parkplatform.landing import REJECT_REASON, BatchReport, batch_id_of, land_batch
from parkplatform.origin import ORIGIN_GENERATED
from parkplatform.receipts import SUBMISSIONS

log = logging.getLogger(__name__)

SOURCE = SUBMISSIONS
ORIGIN_OFFICE = "park_office"
SubmissionFileError = reader.SubmissionFileError


def registry_parks(settings: Settings) -> pl.DataFrame:
    """Zones of the registry with their province's 2-digit code, whether their code is shared and
    the clusters their declared leading industries map to (``clusters``, sorted)."""
    registry = catalogue.valid_registry(settings)
    province_codes = catalogue.provinces().select(
        pl.col("province_name_cn").alias("province_name"),
        pl.col("province_adcode").str.slice(0, 2).alias("province_adcode2"),
    )
    return (
        registry.join(province_codes, on="province_name", how="left")
        .select("zone_code", "province_adcode2", (pl.len().over("zone_code") > 1).alias("code_is_shared"))
        .unique("zone_code")
        .join(registry_enrichment.declared_clusters(registry), on="zone_code", how="left")
        .sort("zone_code")
    )


def land_receipts(
    settings: Settings, logical_date: date, receipts: list[Receipt], *, inbox: Inbox, resolver: ParkResolver
) -> BatchReport:
    """Read, validate and deduplicate the receipts' files and land them as one batch; record each outcome."""
    files = {inbox.path(receipt): receipt for receipt in receipts}
    batch, file_errors = _batch_of(settings, files, resolver)
    report = land_batch(
        batch,
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
        details={"receipts": [receipt.receipt_id for receipt in receipts]},
    )
    inbox.record_landing(_landings(report, file_errors, files))
    return report


def _batch_of(
    settings: Settings, files: dict[Path, Receipt], resolver: ParkResolver
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The rows of ``files`` read, validated and deduplicated, as one frame to land, and the error of each
    file rejected whole. A function of its own so that the batch's intermediate copies (as read, with the
    receipts, validated, kept and superseded) are freed before landing: at national scale each is gigabytes."""
    parks = registry_parks(settings)
    per_file = pl.DataFrame(
        {
            "_source_file": [str(path) for path in files],
            "period": [receipt.period for receipt in files.values()],
            "receipt_id": [receipt.receipt_id for receipt in files.values()],
            "data_origin": [ORIGIN_GENERATED if receipt.generated else ORIGIN_OFFICE for receipt in files.values()],
        },
        schema=dict.fromkeys(("_source_file", "period", "receipt_id", "data_origin"), pl.String),
    )
    read = (
        reader.read_submissions(
            list(files),
            park_of={path: receipt.park_code for path, receipt in files.items() if receipt.park_code},
            park_names=resolver.names,
            workers=settings.read_workers,
        )
        if files
        else _no_rows()
    )
    received = read.join(per_file, on="_source_file", how="left", maintain_order="left")
    rules = reader.submission_rules(
        known_parks=resolver.codes,
        shared_codes=parks.filter("code_is_shared")["zone_code"].to_list(),
        classes=reader.industry_classes(settings.reference_dir) if settings.reference_dir else None,
    )
    kept, superseded = reader.resolve_duplicates(reader.validate(received, rules))
    return pl.concat([kept, superseded], how="diagonal"), _file_errors(received)


def _no_rows() -> pl.DataFrame:
    """What reading no file returns: the read columns, no row (a batch with nothing new reconciles 0 = 0 + 0)."""
    schema = dict.fromkeys(reader.LANDED_COLUMNS, pl.String) | {"_source_file": pl.String, "_source_row": pl.Int64}
    return pl.DataFrame(schema=schema | {REJECT_REASON: pl.String})


def _file_errors(received: pl.DataFrame) -> dict[str, str]:
    """The error of each file rejected whole (its lines carry ``_raw_row``), by file."""
    if reader.RAW_ROW_COLUMN not in received.columns:
        return {}
    whole = received.filter(pl.col(reader.RAW_ROW_COLUMN).is_not_null()).unique("_source_file")
    return dict(zip(whole["_source_file"], whole[REJECT_REASON], strict=True))


def _landings(report: BatchReport, file_errors: dict[str, str], files: dict) -> list[Landing]:
    """Each receipt's rows in the batch, and the error of a file rejected whole."""
    counts = {counts.source_file: counts for counts in report.files}
    landings = []
    for path, receipt in files.items():
        found = counts.get(str(path))
        landings.append(
            Landing(
                receipt_id=receipt.receipt_id,
                batch_id=report.batch_id,
                rows_received=found.received if found else 0,
                rows_landed=found.landed if found else 0,
                rows_quarantined=found.quarantined if found else 0,
                file_error=file_errors.get(str(path)),
            )
        )
    return landings


def period_folder(settings: Settings, period: str) -> Path:
    """Where the offices' files for ``period`` are kept in the inbox (one folder per park below it)."""
    return Inbox.from_settings(settings).root / SOURCE / period


def extract(settings: Settings, logical_date: date) -> BatchReport:
    """Land every accepted receipt of the inbox not landed yet (a re-run of the date lands its receipts again)."""
    inbox = Inbox.from_settings(settings)
    resolver = ParkResolver.from_settings(settings)
    for receipt in inbox.scan(SOURCE, resolver):
        log.info("%s: found %s in the inbox (%s)", SOURCE, receipt.path, receipt.status)
    receipts = inbox.pending(SOURCE, batch_id_of(SOURCE, logical_date))
    log.info("%s: %d file(s) to land from %s", SOURCE, len(receipts), inbox.root / SOURCE)
    return land_receipts(settings, logical_date, receipts, inbox=inbox, resolver=resolver)


def land_files(settings: Settings, logical_date: date, files: list) -> BatchReport:
    """Land the batch of ``logical_date`` from these inbox files (reprocessing a batch from the files it read)."""
    inbox = Inbox.from_settings(settings)
    wanted = {str(path) for path in files}
    receipts = [receipt for receipt in inbox.receipts(SOURCE) if str(inbox.path(receipt)) in wanted]
    return land_receipts(settings, logical_date, receipts, inbox=inbox, resolver=ParkResolver.from_settings(settings))
