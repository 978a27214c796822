"""World Development Indicators as the warehouse holds them: one row per indicator, country and year."""

from __future__ import annotations

from pathlib import Path

from parkplatform.contracts import Contract, Rule

FIRST_YEAR = 2000
INDICATORS: dict[str, str] = {
    "BX.KLT.DINV.CD.WD": "Foreign direct investment, net inflows (BoP, current US$)",
    "NY.GDP.MKTP.CD": "GDP (current US$)",
    "NY.GDP.MKTP.KD.ZG": "GDP growth (annual %)",
    "NY.GDP.PCAP.CD": "GDP per capita (current US$)",
    "SP.POP.TOTL": "Population, total",
    "PA.NUS.FCRF": "Official exchange rate (LCU per US$, period average)",
}


def wdi_csv(reference_dir: Path, code: str) -> Path:
    """Where a reference folder keeps an indicator's WDI extract (Country Name, Country Code, Year, Value): the
    file `park reference fetch` writes and the loopback WDI mirror serves."""
    return reference_dir / "world" / "wdi" / f"{code.lower()}.csv"


# the columns a batch lands (text, as the API sends them)
LANDED_COLUMNS = (
    "indicator_id",
    "indicator_name",
    "country_id",
    "country_iso3",
    "country_name",
    "year",
    "value",
    "unit",
    "obs_status",
    "decimal",
)

CONTRACTS = (
    Contract(
        "raw.world_bank",
        "indicator_id text, indicator_name text, country_id text, country_iso3 text, country_name text, "
        "year integer, value double, unit text, obs_status text, decimals integer",
        key=("indicator_id", "country_id", "year"),
        required=("indicator_id", "country_id", "year", "value"),
        domains={"indicator_id": sorted(INDICATORS)},
        source="world_bank",
        lineage=True,
        rules=(Rule("between", "year", low=FIRST_YEAR),),
    ),
)
