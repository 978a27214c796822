"""Alliance members: the alliance's member list, matched to the development-zone catalogue."""

from extractors.alliance_members.contract import CONTRACTS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="alliance_members",
    schedule="@weekly",
    description="The alliance's member list (CRM export, generated in the demo: no public data), matched to the "
    "catalogue by code, then by normalised name and province, else kept as alliance-only parks.",
    extract="extractors.alliance_members.extract:extract",
    normalise="extractors.alliance_members.normalise:normalise_alliance_members",
    derived={"alliance_member_committees": "extractors.alliance_members.normalise:member_committees"},
    contracts=CONTRACTS,
)
