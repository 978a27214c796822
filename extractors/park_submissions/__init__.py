"""Park submissions: park offices' spreadsheets of the enterprises in their parks, per reporting period."""

from extractors.park_submissions.contract import CONTRACTS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="park_submissions",
    schedule="@weekly",
    incremental=True,
    description="Park offices' spreadsheets of the enterprises in their parks, as they arrive in the inbox "
    "$PARK_INBOX_DIR/park_submissions/<period>/<park>/ (park intake submit; generated offices send theirs in the "
    "demo: no public data).",
    extract="extractors.park_submissions.extract:extract",
    normalise="extractors.park_submissions.normalise:normalise_submissions",
    reread="extractors.park_submissions.extract:land_files",
    contracts=CONTRACTS,
)
