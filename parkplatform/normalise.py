"""Polars normalisation of landed batches: types, trimmed text, coded domains, units.

Landing keeps what a source sent (as text); this step turns it into typed columns the warehouse
can trust. Values outside a known domain are kept as they are rather than guessed, so that the
quality gate sees them and blocks publishing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from extractors import (
    alliance_members,
    crm,
    nbs_province_gdp,
    park_registry,
    reference_tables,
    registry_enrichment,
    world_bank,
)
from parkplatform.landing import LANDED_FILE, LINEAGE_COLUMNS

LEVEL_CODES = {"国务院": "national", "省政府": "provincial"}
YUAN_PER_10K = 10_000


def _name_digest(name: str) -> str:
    # hashlib, not Polars' hash: the key must not change with the library version
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]


def _month_start(raw: pl.Expr) -> pl.Expr:
    return pl.concat_str(raw, pl.lit(".01")).str.to_date("%Y.%m.%d", strict=False)


def normalise_registry(landed: pl.DataFrame) -> pl.DataFrame:
    """One row per catalogue zone, typed, with a stable surrogate key ``park_id``, its geocode quality
    and the typos detected (extractors.registry_enrichment: flagged, never corrected).

    ``zone_code`` is the catalogue's key except where the source gives one code to several zones
    (S377018 in 2018): those keep their code, are flagged ``zone_code_clash`` and get
    ``park_id = code~<first 6 hex of the name's hash>``, stable whatever the row order.
    """
    typed = _typed_registry(landed)
    return registry_enrichment.flag_typos(registry_enrichment.flag_suspect_geocodes(typed)).select(
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
    terms = registry_enrichment.split_leading_industries(registry)
    clusters = registry_enrichment.map_clusters(terms)
    return (
        terms.join(clusters, on=["park_id", "industry_term"], how="left")
        .select("park_id", "position", "industry_term", "cluster_code")
        .unique(maintain_order=True)
        .sort("park_id", "position", "cluster_code", nulls_last=True)
    )


def _typed_registry(landed: pl.DataFrame) -> pl.DataFrame:
    zone_types = park_registry.zone_types().select("zone_type_cn", "zone_type")
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


def normalise_submissions(landed: pl.DataFrame) -> pl.DataFrame:
    """Enterprise rows typed, money in yuan, with the period (YYYY-MM) the submission reports; the
    optional columns (tax, R&D, origin, incubation stage, status) are null where a file had none."""
    return landed.select(
        pl.col("credit_code").str.to_uppercase(),
        "enterprise_name",
        "park_code",
        "industry_code",
        "ownership",
        pl.col("established").str.to_date("%Y-%m-%d", strict=False).alias("established_date"),
        pl.col("employees").cast(pl.Int64),
        (pl.col("revenue_10k_cny").cast(pl.Float64) * YUAN_PER_10K).alias("revenue_cny"),
        (pl.col("high_tech") == "Y").alias("is_high_tech"),
        (pl.col("tax_10k_cny").cast(pl.Float64) * YUAN_PER_10K).alias("tax_cny"),
        (pl.col("rnd_10k_cny").cast(pl.Float64) * YUAN_PER_10K).alias("rnd_cny"),
        pl.col("origin_country").alias("origin_country_iso3"),
        "incubation_stage",
        pl.col("status").alias("operating_status"),
        "period",
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def normalise_alliance_members(landed: pl.DataFrame) -> pl.DataFrame:
    """Members typed (``join_date`` a date), with their match to the catalogue as landed."""
    return landed.select(
        "member_id",
        "member_name",
        "province",
        "city",
        "country_iso3",
        pl.col("zone_code").alias("member_zone_code"),
        pl.col("join_date").str.to_date("%Y-%m-%d"),
        "committees",
        "member_key",
        "member_province",
        "match_status",
        "park_id",
        "catalogue_code",
        "catalogue_name",
        "candidate_park_ids",
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def member_committees(members: pl.DataFrame) -> pl.DataFrame:
    """One row per member x committee it sits in (the export lists them comma-separated)."""
    return (
        members.select("member_id", pl.col("committees").str.split(",").alias("committee"))
        .explode("committee")
        .with_columns(pl.col("committee").str.strip_chars())
        .unique(maintain_order=True)
    )


def _crm_timestamp(column: str) -> pl.Expr:
    return crm.parse_timestamp(pl.col(column)).alias(column)


def _crm_date(column: str) -> pl.Expr:
    return pl.col(column).str.to_date(crm.DATE_FORMAT).alias(column)


def _crm_amount(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Decimal(20, 2)).alias(column)


def normalise_crm_projects(landed: pl.DataFrame) -> pl.DataFrame:
    """Every landed version of each investment project (a project lands again whenever it changes),
    typed: stage dates as dates, timestamps in UTC, amounts as exact decimals (original currency for
    ``contracted_amount`` and ``paid_in_amount``)."""
    return landed.select(
        *(
            _crm_date(column)
            if column in crm.PROJECT_DATES
            else _crm_timestamp(column)
            if column in crm.PROJECT_TIMESTAMPS
            else _crm_amount(column)
            if column in crm.PROJECT_AMOUNTS
            else pl.col(column)
            for column in crm.PROJECT_COLUMNS
        ),
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def normalise_crm_match_events(landed: pl.DataFrame) -> pl.DataFrame:
    """The matchmaking log, typed: ``event_at`` and ``updated_at`` in UTC."""
    return landed.select(
        *(_crm_timestamp(column) if column in crm.EVENT_TIMESTAMPS else pl.col(column) for column in crm.EVENT_COLUMNS),
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def normalise_world_bank(landed: pl.DataFrame) -> pl.DataFrame:
    """WDI observations, long: one row per indicator x country (or aggregate) x year; ``value``
    Float64 (null where the API has no observation), ``year`` Int32, ``decimals`` Int32."""
    return landed.select(
        "indicator_id",
        "indicator_name",
        "country_id",
        "country_iso3",
        "country_name",
        pl.col("year").cast(pl.Int32),
        pl.col("value").cast(pl.Float64),
        "unit",
        "obs_status",
        pl.col("decimal").cast(pl.Int32, strict=False).alias("decimals"),
        *LINEAGE_COLUMNS,
    )


def normalise_nbs_province_gdp(landed: pl.DataFrame) -> pl.DataFrame:
    """Gross Regional Product per province and year: ``gdp_cny`` in yuan (Float64, converted from
    100 million yuan with exact decimals at landing), the figure as published in
    ``gdp_100m_cny`` (Decimal(38, 6), exact), ``year`` Int32, the GB/T 2260 6-digit adcode."""
    return landed.select(
        "province_adcode",
        "province_name_en",
        pl.col("year").cast(pl.Int32),
        pl.col("gdp_cny").cast(pl.Float64),
        pl.col("gdp_100m_cny").cast(pl.Decimal(38, 6)),
        *LINEAGE_COLUMNS,
    )


def normalise_reference_tables(landed: pl.DataFrame) -> pl.DataFrame:
    """The long layout of landing kept (one raw table; dbt staging splits it into divisions,
    industry classes and the crosswalk). Codes stay text (leading zeros, section letters); added:
    ``adcode``, the 6-digit GB/T 2260 form of a division code (``11`` -> ``110000``, ``1301`` ->
    ``130100``), and ``province_code`` for every division level (the first 2 digits); a country's
    ``m49_code`` is given its 3-digit form (``4`` -> ``004``), its other columns (Chinese name, UN
    region / sub-region / intermediate region, ISO 4217 codes as published) are kept as landed."""
    is_division = pl.col("reference_table") == reference_tables.ADMIN_TABLE
    return landed.select(
        "reference_table",
        "level",
        "code",
        "name",
        "parent_code",
        pl.when(is_division).then(pl.col("code").str.pad_end(6, "0")).alias("adcode"),
        pl.when(is_division).then(pl.coalesce("province_code", pl.col("code").str.slice(0, 2))).alias("province_code"),
        "isic_code",
        "isic_name",
        "name_cn",
        pl.col("m49_code").str.pad_start(3, "0"),
        "un_region",
        "un_sub_region",
        "un_intermediate_region",
        "currency_codes",
        *LINEAGE_COLUMNS,
    )


NORMALISERS = {
    park_registry.SOURCE: normalise_registry,
    "park_submissions": normalise_submissions,
    alliance_members.SOURCE: normalise_alliance_members,
    crm.SOURCE_PROJECTS: normalise_crm_projects,
    crm.SOURCE_EVENTS: normalise_crm_match_events,
    world_bank.SOURCE: normalise_world_bank,
    nbs_province_gdp.SOURCE: normalise_nbs_province_gdp,
    reference_tables.SOURCE: normalise_reference_tables,
}

# Landed columns of the sources that need PARK_REFERENCE_DIR: without it they are not extracted and
# the transform loads them empty (normalised from an empty landed frame), so dbt staging still builds.
_LINEAGE_SCHEMA = {
    "_source": pl.String,
    "_batch_id": pl.String,
    "_loaded_at": pl.Datetime("us", "UTC"),
    "_source_file": pl.String,
    "_source_row": pl.Int64,
}
LANDED_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    world_bank.SOURCE: {
        **{
            column: pl.String
            for column in (
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
        },
        **_LINEAGE_SCHEMA,
    },
    nbs_province_gdp.SOURCE: {
        "province_adcode": pl.String,
        "province_name_en": pl.String,
        "year": pl.String,
        "gdp_cny": pl.Float64,
        "gdp_100m_cny": pl.String,
        **_LINEAGE_SCHEMA,
    },
    reference_tables.SOURCE: {
        **{column: pl.String for column in reference_tables.LANDED_COLUMNS},
        **_LINEAGE_SCHEMA,
    },
}


# Tables derived from a source's normalised table, loaded beside it (name -> function of the table).
DERIVED_TABLES = {
    park_registry.SOURCE: {"park_registry_industries": registry_industries},
    alliance_members.SOURCE: {"alliance_member_committees": member_committees},
}


def normalise_batch(source: str, batches: list[Path], target_dir: Path) -> dict[str, Path]:
    """Normalise the landed rows of ``batches`` of ``source`` into ``target_dir/<table>.parquet``:
    the source's own table and the tables derived from it; returns table name -> file."""
    landed = pl.concat([pl.read_parquet(batch / LANDED_FILE) for batch in batches], how="diagonal_relaxed")
    return _write_tables(source, NORMALISERS[source](landed), target_dir)


def normalise_empty(source: str, target_dir: Path) -> dict[str, Path]:
    """The normalised tables of ``source`` with their columns and no row (a skipped source)."""
    return _write_tables(source, NORMALISERS[source](pl.DataFrame(schema=LANDED_SCHEMAS[source])), target_dir)


def _write_tables(source: str, normalised: pl.DataFrame, target_dir: Path) -> dict[str, Path]:
    target_dir.mkdir(parents=True, exist_ok=True)
    tables = {source: normalised} | {
        name: derive(normalised) for name, derive in DERIVED_TABLES.get(source, {}).items()
    }
    written = {}
    for name, frame in tables.items():
        written[name] = target_dir / f"{name}.parquet"
        frame.write_parquet(written[name])
    return written
