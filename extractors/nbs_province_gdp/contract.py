"""NBS Gross Regional Product as the warehouse holds it: one row per province and year."""

from __future__ import annotations

from parkplatform.contracts import Contract, Rule

PROVINCES = 31  # the mainland's provincial divisions the export covers

CONTRACTS = (
    Contract(
        "raw.nbs_province_gdp",
        "province_adcode text, province_name_en text, year integer, gdp_cny double, gdp_100m_cny decimal",
        key=("province_adcode", "year"),
        required=("province_adcode", "year", "gdp_cny"),
        non_negative=("gdp_cny", "gdp_100m_cny"),
        source="nbs_province_gdp",
        lineage=True,
        rules=(Rule("distinct_at_least", "province_adcode", value=PROVINCES),),
    ),
)
