"""Reference tables: administrative divisions, industry classes and their ISIC crosswalk, countries."""

from extractors.reference_tables.contract import CONTRACTS, LANDED_COLUMNS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="reference_tables",
    schedule="@monthly",
    description="GB/T 2260 administrative divisions, GB/T 4754-2017 industry classes and their ISIC Rev.4 "
    "crosswalk, and the ISO 3166 countries with their UN M49 regions and currencies, read from "
    "PARK_REFERENCE_DIR/admin_divisions, PARK_REFERENCE_DIR/industry and PARK_REFERENCE_DIR/world "
    "(the standards change rarely: a monthly pull re-lands the same rows).",
    requires_reference=True,
    extract="extractors.reference_tables.extract:extract",
    normalise="extractors.reference_tables.normalise:normalise_reference_tables",
    contracts=CONTRACTS,
    empty_landed=dict.fromkeys(LANDED_COLUMNS, "String"),
)
