"""Generated offices and the CRM send their files the way real ones do: into the inbox, with receipts.

The generator writes each file into a scratch folder, as an office would on its own computer, then
submits it through :class:`parkplatform.intake.Inbox` with the receipt marked generated (so that what
lands is labelled generated demo data). Sending the same bytes again (a re-run of the same date) sends
nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from parkplatform.config import Settings
from parkplatform.intake import Inbox, ParkResolver


def send(
    settings: Settings,
    source: str,
    items: Sequence[tuple[Path, str | None]],
    *,
    period: str,
    sender: str,
    resolver: ParkResolver | None = None,
) -> list[Path]:
    """Submit ``(file, park)`` items for ``period``; return the inbox files that are now the period's current
    generated files (received now or, identical, before)."""
    inbox = Inbox.from_settings(settings)
    inbox.receive(source, items, period=period, sender=sender, resolver=resolver, generated=True, skip_identical=True)
    superseded = inbox.superseded(source)
    return sorted(
        inbox.path(receipt)
        for receipt in inbox.receipts(source)
        if receipt.period == period and receipt.generated and receipt.accepted and receipt.receipt_id not in superseded
    )
