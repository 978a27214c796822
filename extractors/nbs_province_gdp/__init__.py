"""NBS 'Annual by Province' export of Gross Regional Product, read monthly from the reference folder."""

from extractors.nbs_province_gdp.contract import CONTRACTS
from parkplatform.sources import SourceSpec

SOURCE = SourceSpec(
    name="nbs_province_gdp",
    schedule="@monthly",
    description="NBS 'Annual by Province' export of Gross Regional Product (31 provinces x 20 years, "
    "in yuan), read from PARK_REFERENCE_DIR/china/province_gdp_annual.xls (else .xlsx).",
    requires_reference=True,
    extract="extractors.nbs_province_gdp.extract:extract",
    normalise="extractors.nbs_province_gdp.normalise:normalise_nbs_province_gdp",
    contracts=CONTRACTS,
    empty_landed={
        "province_adcode": "String",
        "province_name_en": "String",
        "year": "String",
        "gdp_cny": "Float64",
        "gdp_100m_cny": "String",
    },
)
