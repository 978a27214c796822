"""Land the inbox's ledger as a snapshot: the receipts and each one's outcome so far.

Before landing, the inbox is scanned for files put there without ``park intake submit`` so that they have
receipts too. Each receipt is one row (``_source_file`` the ledger, ``_source_row`` the receipt's place in
it); a receipt is never quarantined: a file sent for review is a receipt with status ``review``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from parkplatform.config import Settings
from parkplatform.intake import Inbox, ParkResolver
from parkplatform.landing import LINEAGE_COLUMNS, REJECT_REASON, BatchReport, land_batch
from parkplatform.receipts import INBOX_SOURCES, SUBMISSIONS

SOURCE = "intake_receipts"


def extract(settings: Settings, logical_date: date) -> BatchReport:
    inbox = Inbox.from_settings(settings)
    resolver = ParkResolver.from_settings(settings)
    for source in INBOX_SOURCES:
        inbox.scan(source, resolver if source == SUBMISSIONS else None)
    receipts = inbox.table().with_columns(
        pl.lit(str(inbox.ledger)).alias("_source_file"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_source_row"),
        pl.lit(None, dtype=pl.String).alias(REJECT_REASON),
    )
    return land_batch(receipts, source=SOURCE, logical_date=logical_date, landing_dir=settings.landing_dir)


def normalise_receipts(landed: pl.DataFrame) -> pl.DataFrame:
    """The receipts as landed (already typed by the ledger's schema)."""
    columns = [name for name in landed.columns if name not in LINEAGE_COLUMNS]
    return landed.select(*columns, *LINEAGE_COLUMNS)
