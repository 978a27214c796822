"""The intake receipts' table in the warehouse: one row per file received into the inbox."""

from __future__ import annotations

from parkplatform.contracts import Contract
from parkplatform.receipts import ACCEPTED, INBOX_SOURCES, REVIEW

CONTRACTS = (
    Contract(
        "raw.intake_receipts",
        "receipt_id text, source text, period text, period_kind text, period_start date, period_end date, "
        "park_as_sent text, park_code text, receipt_status text, review_reason text, original_name text, path text, "
        "size_bytes integer, sha256 text, sender text, received_at timestamp, generated boolean, "
        "superseded_by text, batch_id text, rows_received integer, rows_landed integer, rows_quarantined integer, "
        "file_error text",
        key=("receipt_id",),
        required=(
            "source",
            "period",
            "period_kind",
            "receipt_status",
            "original_name",
            "path",
            "sha256",
            "received_at",
        ),
        # period_kind is tested in staging: a receipt's kinds (day, unknown too) are not a submission's
        domains={"source": list(INBOX_SOURCES), "receipt_status": [ACCEPTED, REVIEW]},
        non_negative=("size_bytes", "rows_received", "rows_landed", "rows_quarantined"),
        source="intake_receipts",
        lineage=True,
        non_empty=False,
    ),
)
