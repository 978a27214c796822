"""Enrichment of the normalised park registry: geocode quality, typos, leading industries, clusters.

The registry is normalised here (:func:`normalise_registry`: typed, with a stable ``park_id``); every
other function takes the frame it returns and
works with Polars expressions over whole columns. Nothing here corrects the catalogue: faults are
*flagged* next to the value as it was published (PROVENANCE.md, "Known faults"), so that the marts
can show, count and filter them.

Geocode quality (``geocode_quality``), first rule that holds wins:

``missing``
    longitude or latitude is absent or not a number.
``suspect``
    the point is shared by zones in different places (``geocode_shared_point``: two or more zones
    with different 城市/区县 on exactly the same lon/lat, such as the Xinjiang placeholders
    87.072143,44.098379 and 80.378629,40.65968), or the formatted address lies in another province
    than 省份 (``geocode_province_mismatch``), or the point is outside mainland China's bounding box.
``city_only``
    the geocoder says so (状态 = city_only), or the formatted address names nothing finer than a
    province or a prefecture-level city (for 北京/天津/上海/重庆: nothing finer than a district or
    county), i.e. the point is an administrative centroid, not the zone.
``ok``
    everything else.

Leading industries (主导产业) are free text; :func:`split_leading_industries` turns them into one
row per term and :func:`map_clusters` maps terms to the ~20 clusters of DESIGN.md section 4 with the
keyword seed ``dbt_project/seeds/cluster_keywords.csv`` (Chinese keywords, substring match). When
several keywords match one term, a keyword contained in a longer matching keyword is dropped, so
电子商务 maps to e-commerce only (not also to electronic information through 电子), 非金属矿物制品
to building materials only (not to metallurgy through 金属) and 石油机械 to petroleum equipment only.

``python -m parkplatform.registry_enrichment`` prints the cluster coverage of the configured registry
(the real catalogue when ``PARK_REFERENCE_DIR`` is set) and its most frequent unmapped terms.
"""

from __future__ import annotations

import argparse
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from parkplatform import catalogue
from parkplatform.config import REPO_ROOT
from parkplatform.landing import LINEAGE_COLUMNS, REJECT_REASON

CLUSTER_KEYWORDS_FILE = REPO_ROOT / "dbt_project" / "seeds" / "cluster_keywords.csv"

GEOCODE_QUALITY_LEVELS = ("ok", "suspect", "city_only", "missing")
MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")
# mainland China with a margin: lon 73.4–135.1 E, lat 18.1–53.6 N
CHINA_BOUNDS = {"lon": (73.0, 136.0), "lat": (3.0, 54.0)}

# Misspellings seen in the catalogue, kept as published and flagged: wrong → right.
KNOWN_MISSPELLINGS = {"湽博": "淄博"}
TYPO_COLUMNS = ("zone_name", "city_district", "leading_industries", "formatted_address")

# Separators between leading industries: Chinese and Western enumeration marks and list marks.
INDUSTRY_SEPARATORS = r"[、，,;；/／|｜\s]+"
# Characters trimmed from both ends of a term (stray punctuation around an industry).
TERM_PUNCTUATION = " \t\u3000.。，,;；、:：!！?？·\"'“”‘’-—_"
# Characters a 主导产业 value may contain besides Chinese characters: separators, letters, digits,
# brackets. Anything else (e.g. the full stop in "食品.、木制品加工") is stray punctuation.
INDUSTRY_ALLOWED = r"\p{Han}A-Za-z0-9、，,;；/()（）\s"
DASHES = "—–\\-－"


# --------------------------------------------------------------------------- geocodes


def _province_alternatives() -> tuple[str, dict[str, str]]:
    """Regex alternation of province names (full before short, longest first) and name → full name."""
    table = catalogue.provinces()
    to_full = dict(zip(table["province_name_cn"], table["province_name_cn"], strict=True))
    to_full |= dict(zip(table["province_short_cn"], table["province_name_cn"], strict=True))
    names = sorted(to_full, key=len, reverse=True)
    return "|".join(names), to_full


def address_province(address: pl.Expr) -> pl.Expr:
    """The province (full name) a formatted address starts with, or null when it names none."""
    alternatives, to_full = _province_alternatives()
    return address.str.extract(f"^({alternatives})", 1).replace_strict(to_full, default=None, return_dtype=pl.String)


def _address_is_centroid(address: pl.Expr, province: pl.Expr) -> pl.Expr:
    """The formatted address names nothing finer than a province or prefecture (municipality district)."""
    full_names = "|".join(sorted(catalogue.provinces()["province_name_cn"], key=len, reverse=True))
    rest = address.str.replace(f"^({full_names})", "")
    prefecture_only = rest.str.contains(r"^([^市州盟区县]{1,8}(市|地区|自治州|盟))?$")
    municipality_district = province.is_in(MUNICIPALITIES) & rest.str.contains(r"^[^区县]{1,6}(区|县)$")
    return (prefecture_only | municipality_district).fill_null(False)


def flag_suspect_geocodes(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``geocode_point_zones``, ``geocode_shared_point``, ``geocode_address_province``,
    ``geocode_province_mismatch`` and ``geocode_quality`` (rule in the module docstring)."""
    lon, lat = pl.col("longitude"), pl.col("latitude")
    has_point = lon.is_not_null() & lat.is_not_null() & lon.is_not_nan() & lat.is_not_nan()
    point = ["longitude", "latitude"]
    (lon_min, lon_max), (lat_min, lat_max) = CHINA_BOUNDS["lon"], CHINA_BOUNDS["lat"]
    return (
        frame.with_columns(
            pl.when(has_point).then(pl.len().over(point)).cast(pl.Int64).alias("geocode_point_zones"),
            (has_point & (pl.col("city_district").n_unique().over(point) > 1)).alias("geocode_shared_point"),
            address_province(pl.col("formatted_address")).alias("geocode_address_province"),
        )
        .with_columns(
            (pl.col("geocode_address_province") != pl.col("province_name"))
            .fill_null(False)
            .alias("geocode_province_mismatch"),
        )
        .with_columns(
            pl.when(~has_point)
            .then(pl.lit("missing"))
            .when(
                pl.col("geocode_shared_point")
                | pl.col("geocode_province_mismatch")
                | ~lon.is_between(lon_min, lon_max)
                | ~lat.is_between(lat_min, lat_max)
            )
            .then(pl.lit("suspect"))
            .when(
                (pl.col("geocode_status") == "city_only").fill_null(False)
                | _address_is_centroid(pl.col("formatted_address"), pl.col("province_name"))
            )
            .then(pl.lit("city_only"))
            .otherwise(pl.lit("ok"))
            .alias("geocode_quality")
        )
    )


# --------------------------------------------------------------------------- typos


def _typo_checks() -> list[pl.Expr]:
    """One expression per check, each a message or null."""
    checks: list[pl.Expr] = []
    for column in TYPO_COLUMNS:
        for wrong, right in KNOWN_MISSPELLINGS.items():
            checks.append(
                pl.when(pl.col(column).str.contains(wrong, literal=True)).then(
                    pl.lit(f"{column}: known misspelling {wrong} (for {right})")
                )
            )
    industries = pl.col("leading_industries")
    stray = industries.str.extract_all(f"[^{INDUSTRY_ALLOWED}]").list.unique(maintain_order=True).list.join("")
    checks.append(
        pl.when(stray.str.len_chars() > 0).then(
            pl.format("leading_industries: stray punctuation '{}' in {}", stray, industries)
        )
    )
    checks.append(
        pl.when(industries.str.contains(r"[、，,;；]{2}|^[、，,;；]|[、，,;；]$")).then(
            pl.format("leading_industries: empty item or dangling separator in {}", industries)
        )
    )
    city = pl.col("city_district")
    checks.append(
        pl.when(city.str.contains(r"^(省|自治区)")).then(
            pl.format("city_district: province-name leftover at the start of {}", city)
        )
    )
    checks.append(
        pl.when(city.str.contains(f"^[{DASHES}]|[{DASHES}]$")).then(
            pl.format("city_district: dangling dash in {}", city)
        )
    )
    checks.append(
        pl.when(city.str.contains(r"(国家|省|自治区|市|县)级")).then(
            pl.format("city_district: approval-level leftover in {}", city)
        )
    )
    return checks


def flag_typos(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``typo_flags``: what was detected ("; "-separated), null when nothing was.

    Values stay as published. Detected: known misspellings (湽博 for 淄博) in names, 城市/区县,
    主导产业 and addresses; stray punctuation or empty items in 主导产业 ("食品.、木制品加工");
    城市/区县 parsing leftovers: a province suffix at the start ("省南京白马", "自治区藏青"), a
    dangling dash ("—东盟") or an approval-level word ("额尔古纳自治区级").
    """
    flags = pl.concat_list(_typo_checks()).list.drop_nulls()
    return frame.with_columns(pl.when(flags.list.len() > 0).then(flags.list.join("; ")).alias("typo_flags"))


# --------------------------------------------------------------------------- leading industries


def split_leading_industries(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per declared leading industry: ``park_id``, ``industry_term``, ``position`` (1-based).

    Splits on 、，, ; ； / | and white space, trims stray punctuation around each term and drops
    empty items; the position counts the kept terms in the order written.
    """
    terms = (
        pl.col("leading_industries")
        .str.replace_all(INDUSTRY_SEPARATORS, "、")
        .str.split("、")
        .list.eval(pl.element().str.strip_chars(TERM_PUNCTUATION))
        .list.eval(pl.element().filter(pl.element().str.len_chars() > 0))
    )
    return (
        frame.select("park_id", terms.alias("industry_term"))
        .filter(pl.col("industry_term").list.len() > 0)
        .with_columns(pl.int_ranges(1, pl.col("industry_term").list.len() + 1).alias("position"))
        .explode("industry_term", "position")
        .with_columns(pl.col("position").cast(pl.Int32))
    )


# --------------------------------------------------------------------------- clusters


def load_cluster_keywords(path: Path = CLUSTER_KEYWORDS_FILE) -> pl.DataFrame:
    """The keyword seed: cluster_code, cluster_name_cn, cluster_name_en, keyword."""
    keywords = pl.read_csv(path, infer_schema=False).with_columns(pl.all().str.strip_chars())
    duplicated = keywords.filter(pl.struct("cluster_code", "keyword").is_duplicated())
    if not duplicated.is_empty():
        raise ValueError(f"{path}: keywords listed twice for one cluster: {duplicated.rows()}")
    return keywords


def map_clusters(terms: pl.DataFrame, keywords: pl.DataFrame | None = None) -> pl.DataFrame:
    """``(park_id, industry_term, cluster_code)`` for each term that contains a cluster keyword.

    A term may map to several clusters (机械电子 → equipment and electronics). A matching keyword
    that lies inside a longer matching keyword of the same term is dropped (电子 inside 电子商务).
    Terms that match nothing are absent.
    """
    keywords = (keywords if keywords is not None else load_cluster_keywords()).select("cluster_code", "keyword")
    distinct = terms.select("industry_term").unique()
    matches = distinct.join(keywords, how="cross").filter(
        pl.col("industry_term").str.contains(pl.col("keyword"), literal=True)
    )
    shadowed = (
        matches.select("industry_term", "keyword")
        .join(matches.select("industry_term", pl.col("keyword").alias("longer")), on="industry_term")
        .filter(
            (pl.col("longer").str.len_chars() > pl.col("keyword").str.len_chars())
            & pl.col("longer").str.contains(pl.col("keyword"), literal=True)
        )
        .select("industry_term", "keyword")
        .unique()
    )
    term_clusters = (
        matches.join(shadowed, on=["industry_term", "keyword"], how="anti")
        .select("industry_term", "cluster_code")
        .unique()
    )
    return (
        terms.join(term_clusters, on="industry_term", how="inner")
        .sort("park_id", "position", "cluster_code")
        .select("park_id", "industry_term", "cluster_code")
        .unique(maintain_order=True)
    )


def declared_clusters(zones: pl.DataFrame) -> pl.DataFrame:
    """``zone_code`` and ``clusters`` (sorted, empty when none maps) of zones given with their
    ``leading_industries``: the clusters a zone declares, as the generators use them."""
    terms = split_leading_industries(zones.select(pl.col("zone_code").alias("park_id"), "leading_industries"))
    mapped = (
        map_clusters(terms)
        .group_by(pl.col("park_id").alias("zone_code"))
        .agg(pl.col("cluster_code").unique().sort().alias("clusters"))
    )
    return (
        zones.select("zone_code")
        .unique()
        .join(mapped, on="zone_code", how="left")
        .with_columns(pl.col("clusters").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    )


@dataclass(frozen=True)
class CoverageReport:
    zones: int
    zones_with_cluster: int
    terms: int
    terms_mapped: int
    unmapped_terms: pl.DataFrame  # industry_term, occurrences, zones; most frequent first
    unmapped_zones: pl.DataFrame  # park_id, zone_name, leading_industries
    zones_per_cluster: pl.DataFrame  # cluster_code, cluster_name_en, zones

    @property
    def share(self) -> float:
        """Share of zones with at least one mapped cluster."""
        return self.zones_with_cluster / self.zones if self.zones else 0.0

    @property
    def term_share(self) -> float:
        """Share of term occurrences that map to at least one cluster."""
        return self.terms_mapped / self.terms if self.terms else 0.0


def cluster_coverage(frame: pl.DataFrame, keywords: pl.DataFrame | None = None) -> CoverageReport:
    """How well the keyword seed covers the registry's declared leading industries.

    A zone is covered when at least one of its terms maps to a cluster; zones without 主导产业
    count as not covered.
    """
    keywords = keywords if keywords is not None else load_cluster_keywords()
    terms = split_leading_industries(frame)
    mapped = map_clusters(terms, keywords)
    mapped_terms = mapped.select("industry_term").unique()
    unmapped = terms.join(mapped_terms, on="industry_term", how="anti")
    covered = mapped.select("park_id").unique()
    names = keywords.select("cluster_code", "cluster_name_en").unique()
    return CoverageReport(
        zones=frame.height,
        zones_with_cluster=covered.height,
        terms=terms.height,
        terms_mapped=terms.height - unmapped.height,
        unmapped_terms=unmapped.group_by("industry_term")
        .agg(pl.len().alias("occurrences"), pl.col("park_id").n_unique().alias("zones"))
        .sort(["occurrences", "industry_term"], descending=[True, False]),
        unmapped_zones=frame.join(covered, on="park_id", how="anti")
        .select("park_id", "zone_name", "leading_industries")
        .sort("park_id"),
        zones_per_cluster=mapped.group_by("cluster_code")
        .agg(pl.col("park_id").n_unique().alias("zones"))
        .join(names, on="cluster_code", how="left")
        .select("cluster_code", "cluster_name_en", "zones")
        .sort(["zones", "cluster_code"], descending=[True, False]),
    )


# --------------------------------------------------------------------------- the normalised registry


LEVEL_CODES = {"国务院": "national", "省政府": "provincial"}


def _name_digest(name: str) -> str:
    # hashlib, not Polars' hash: the key must not change with the library version
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]


def _month_start(raw: pl.Expr) -> pl.Expr:
    return pl.concat_str(raw, pl.lit(".01")).str.to_date("%Y.%m.%d", strict=False)


def normalise_registry(landed: pl.DataFrame) -> pl.DataFrame:
    """One row per catalogue zone, typed, with a stable surrogate key ``park_id``, its geocode quality
    and the typos detected (flagged, never corrected).

    ``zone_code`` is the catalogue's key except where the source gives one code to several zones
    (S377018 in 2018): those keep their code, are flagged ``zone_code_clash`` and get
    ``park_id = code~<first 6 hex of the name's hash>``, stable whatever the row order.
    """
    typed = _typed_registry(landed)
    return flag_typos(flag_suspect_geocodes(typed)).select(
        *(column for column in typed.columns if column not in LINEAGE_COLUMNS),
        "geocode_quality",
        "geocode_shared_point",
        "geocode_province_mismatch",
        "geocode_address_province",
        "typo_flags",
        *LINEAGE_COLUMNS,
    )


def registry_industries(registry: pl.DataFrame) -> pl.DataFrame:
    """One row per zone x declared leading industry (主导产业 term, in the order written) x cluster it
    maps to through the keyword seed; ``cluster_code`` is null for a term no keyword maps, so the
    unmapped terms stay visible in the warehouse and the seed can grow."""
    terms = split_leading_industries(registry)
    clusters = map_clusters(terms)
    return (
        terms.join(clusters, on=["park_id", "industry_term"], how="left")
        .select("park_id", "position", "industry_term", "cluster_code")
        .unique(maintain_order=True)
        .sort("park_id", "position", "cluster_code", nulls_last=True)
    )


def _typed_registry(landed: pl.DataFrame) -> pl.DataFrame:
    zone_types = catalogue.zone_types().select("zone_type_cn", "zone_type")
    dates = pl.col("approval_date_raw").str.split("/")
    return (
        landed.with_columns(pl.col(pl.String).str.strip_chars())
        .join(zone_types, on="zone_type_cn", how="left")
        .with_columns(
            (pl.len().over("zone_code") > 1).alias("zone_code_clash"),
            pl.col("approval_level").replace(LEVEL_CODES).alias("level"),
            pl.coalesce("zone_type", "zone_type_cn").alias("zone_type"),
            _month_start(dates.list.first()).alias("approval_date"),
            _month_start(dates.list.get(1, null_on_oob=True)).alias("approval_date_second"),
            pl.col("approved_area_ha_raw").cast(pl.Float64).alias("approved_area_ha"),
            pl.col("longitude_raw").cast(pl.Float64, strict=False).alias("longitude"),
            pl.col("latitude_raw").cast(pl.Float64, strict=False).alias("latitude"),
        )
        .with_columns(
            pl.when(pl.col("zone_code_clash"))
            .then(pl.col("zone_code") + "~" + pl.col("zone_name").map_elements(_name_digest, return_dtype=pl.String))
            .otherwise(pl.col("zone_code"))
            .alias("park_id")
        )
        .select(
            "park_id",
            "zone_code",
            "zone_code_clash",
            "zone_name",
            "province_name",
            "city_district",
            "level",
            "zone_type",
            "zone_type_cn",
            "approval_date",
            "approval_date_second",
            "approved_area_ha",
            "leading_industries",
            "longitude",
            "latitude",
            "formatted_address",
            "geocode_status",
            "data_origin",
            *LINEAGE_COLUMNS,
        )
    )


# --------------------------------------------------------------------------- CLI


def registry_frame(received: pl.DataFrame) -> pl.DataFrame:
    """The normalised registry from a received (read) registry: valid rows, placeholder lineage."""
    valid = catalogue.validate(received).filter(pl.col(REJECT_REASON).is_null()).drop(REJECT_REASON)
    return normalise_registry(
        valid.with_columns(
            pl.lit(catalogue.SOURCE).alias("_source"),
            pl.lit("adhoc").alias("_batch_id"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_loaded_at"),
        )
    )


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from parkplatform.config import get_settings

    parser = argparse.ArgumentParser(description="Cluster coverage of the park registry's leading industries.")
    parser.add_argument("--top", type=int, default=25, help="how many unmapped terms to list")
    args = parser.parse_args(argv)

    settings = get_settings()
    registry = registry_frame(catalogue.read_registry(settings))
    report = cluster_coverage(registry)
    origin = ", ".join(sorted(set(registry["data_origin"])))

    console = Console()
    summary = Table(title=f"Cluster coverage of the park registry ({origin})")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("zones", f"{report.zones:,}")
    summary.add_row("zones with ≥ 1 cluster", f"{report.zones_with_cluster:,}")
    summary.add_row("zone coverage", f"{report.share:.1%}")
    summary.add_row("term occurrences mapped", f"{report.terms_mapped:,} / {report.terms:,} ({report.term_share:.1%})")
    summary.add_row("distinct unmapped terms", f"{report.unmapped_terms.height:,}")
    console.print(summary)

    clusters = Table(title="Zones per cluster")
    for column in ("cluster", "name", "zones"):
        clusters.add_column(column, justify="right" if column == "zones" else "left")
    for code, name, zones in report.zones_per_cluster.iter_rows():
        clusters.add_row(code, name, f"{zones:,}")
    console.print(clusters)

    unmapped = Table(title=f"Top {args.top} unmapped terms")
    for column in ("term", "occurrences", "zones"):
        unmapped.add_column(column, justify="left" if column == "term" else "right")
    for term, occurrences, zones in report.unmapped_terms.head(args.top).iter_rows():
        unmapped.add_row(term, str(occurrences), str(zones))
    console.print(unmapped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
