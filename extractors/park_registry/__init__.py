"""Park registry: the 2018 China Development Zone Audit Catalogue, landed weekly from the reference folder."""

from extractors.park_registry.contract import CONTRACTS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="park_registry",
    schedule="@weekly",
    description="China Development Zone Audit Catalogue 2018 (2,543 zones), read from "
    "PARK_REFERENCE_DIR/parks (labelled generated when that folder was written by simulators.reference).",
    extract="extractors.park_registry.extract:extract",
    normalise="parkplatform.registry_enrichment:normalise_registry",
    derived={"park_registry_industries": "parkplatform.registry_enrichment:registry_industries"},
    contracts=CONTRACTS,
)
