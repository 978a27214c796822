"""The member list typed for the warehouse, and the committees each member sits in."""

from __future__ import annotations

import polars as pl

from parkplatform.landing import LINEAGE_COLUMNS


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
