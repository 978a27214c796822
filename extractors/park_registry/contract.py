"""The park registry's tables in the warehouse: the catalogue's zones and their declared industries."""

from __future__ import annotations

from parkplatform.contracts import Contract, Rule

LEVELS = ["national", "provincial"]
ZONE_TYPES = [
    "border_cooperation",
    "customs_special",
    "economic_development",
    "etdz",
    "high_tech",
    "industrial_park",
    "other",
]
GEOCODE_QUALITY = ["ok", "suspect", "city_only", "missing"]

CONTRACTS = (
    Contract(
        "raw.park_registry",
        "park_id text, zone_code text, zone_code_clash boolean, zone_name text, province_name text, "
        "city_district text, level text, zone_type text, zone_type_cn text, approval_date date, "
        "approval_date_second date, approved_area_ha double, leading_industries text, longitude double, "
        "latitude double, formatted_address text, geocode_status text, data_origin text, geocode_quality text, "
        "geocode_shared_point boolean, geocode_province_mismatch boolean, geocode_address_province text, "
        "typo_flags text",
        key=("park_id",),
        required=("zone_code", "zone_name", "province_name", "level", "zone_type"),
        domains={"level": LEVELS, "zone_type": ZONE_TYPES, "geocode_quality": GEOCODE_QUALITY},
        non_negative=("approved_area_ha",),
        not_future=("approval_date", "approval_date_second"),
        source="park_registry",
        lineage=True,
        rules=(
            Rule("between", "longitude", low=73, high=136),
            Rule("between", "latitude", low=3, high=54),
        ),
    ),
    Contract(
        "raw.park_registry_industries",
        "park_id text, position integer, industry_term text, cluster_code text",
        required=("park_id", "position", "industry_term"),
        source="park_registry",
        rules=(
            Rule(
                "not_null",
                "cluster_code",
                mostly=0.85,
                severity="warning",
                why="a declared industry no keyword maps: the seed should grow (registry enrichment)",
            ),
        ),
    ),
)
