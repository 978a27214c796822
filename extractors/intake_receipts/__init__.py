"""Intake receipts: every file that arrived in the inbox, for which park and period, and what became of it."""

from extractors.intake_receipts.contract import CONTRACTS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="intake_receipts",
    schedule="@daily",
    after=("alliance_members", "park_submissions"),
    description="The inbox's ledger ($PARK_INBOX_DIR/receipts.jsonl): each file received (sender, time, size, "
    "SHA-256, park, period), sent for review, superseded or landed with its row counts. Landed after each inbox "
    "source lands, so the intake report sees their outcome.",
    extract="extractors.intake_receipts.extract:extract",
    normalise="extractors.intake_receipts.extract:normalise_receipts",
    contracts=CONTRACTS,
)
