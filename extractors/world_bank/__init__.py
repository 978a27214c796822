"""World Bank World Development Indicators (API v2), pulled weekly."""

from extractors.world_bank.contract import CONTRACTS, LANDED_COLUMNS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="world_bank",
    schedule="@weekly",
    description="World Bank World Development Indicators (API v2): GDP, GDP growth, GDP per capita, "
    "population, FDI net inflows and the CNY/USD rate, every country and aggregate, 2000 to the logical "
    "date's year. PARK_WDI_BASE_URL sets the API; `make demo` serves it on loopback from "
    "PARK_REFERENCE_DIR/world/wdi.",
    requires_reference=True,
    extract="extractors.world_bank.extract:extract",
    normalise="extractors.world_bank.normalise:normalise_world_bank",
    contracts=CONTRACTS,
    empty_landed=dict.fromkeys(LANDED_COLUMNS, "String"),
)
