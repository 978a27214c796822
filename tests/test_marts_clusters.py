"""Cluster marts on the tiny build: one park's LQ, HHI and tier recomputed by hand from the landed
submissions (independently of the SQL), and the laws every row obeys."""

from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest

from parkplatform.landing import LANDED_FILE
from simulators import submissions as generator

PARK = "S357066"  # 4 clusters at the tiny scale: small enough to check on paper
# From the landed rows of 2026 (the monthly offices' 2026-10 and the quarterly offices' 2026Q3; the yearly offices'
# 2025 rows belong to another year), computed as in the test below: S357066 reports monthly, so its file lists its
# enterprises as they stood at the end of October (2026-10/S357066.csv, read with Polars and joined to the
# class -> cluster seed: 5 biomedicine enterprises with 319 employees, 1 food 23, 2 metallurgy 77, 1 new
# materials 2, 421 in all; biomedicine had 321 when the office sent the month in progress); its LQs moved when
# S347025 began reporting its (smaller) third quarter and the yearly offices left 2026.
EXPECTED_PARK_ROWS = [
    ("biomedicine", 319, 2.4228, "strong"),
    ("food", 23, 0.2687, "emerging"),
    # its park's highest LQ, yet below metallurgy's median (two other parks have LQs near 150)
    ("metallurgy", 77, 27.1186, "emerging"),
    ("new_materials", 2, 0.2547, "emerging"),
]
EXPECTED_PARK_HHI = 0.6106


def _sql(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def by_hand(tiny_warehouse: Path) -> pl.DataFrame:
    """Employment per park and cluster for 2026, from the landed rows of 2026's periods and the class -> cluster
    seed (each office sends one period: no enterprise is in two)."""
    landed = pl.read_parquet(
        tiny_warehouse.parent.parent / "landing" / "park_submissions" / "batch_date=2026-11-23" / LANDED_FILE
    ).filter(pl.col("period").str.starts_with("2026"))
    return (
        landed.join(generator.cluster_classes(), on="industry_code", how="left")
        .with_columns(pl.col("employees").cast(pl.Int64))
        .select(pl.col("park_code").alias("park_id"), "cluster_code", "employees")
    )


def test_one_parks_location_quotients_hhi_and_tiers_match_the_hand_computation(tiny_warehouse, by_hand):
    park_totals = by_hand.group_by("park_id").agg(pl.col("employees").sum().alias("park_employment"))
    cells = (
        by_hand.group_by("park_id", "cluster_code")
        .agg(pl.len().alias("enterprises"), pl.col("employees").sum().alias("employment"))
        .join(park_totals, on="park_id")
    )
    national_total = by_hand["employees"].sum()
    national = by_hand.group_by("cluster_code").agg(
        (pl.col("employees").sum() / national_total).alias("national_share")
    )
    cells = cells.join(national, on="cluster_code").with_columns(
        ((pl.col("employment") / pl.col("park_employment")) / pl.col("national_share")).alias("lq")
    )
    park = cells.filter(pl.col("park_id") == PARK).sort("cluster_code")
    expected_hhi = float(((park["employment"] / park["park_employment"]) ** 2).sum())

    def tier(row: dict) -> str:
        peers = cells.filter(pl.col("cluster_code") == row["cluster_code"])
        p75, median = np.percentile(peers["lq"], 75), np.percentile(peers["lq"], 50)
        p25_employment, p25_enterprises = (
            np.percentile(peers["employment"], 25),
            np.percentile(peers["enterprises"], 25),
        )
        strong = row["lq"] >= max(p75, 1)
        if strong and row["employment"] >= p25_employment and row["enterprises"] >= p25_enterprises:
            return "strong"
        return "significant" if row["lq"] > median else "emerging"

    mart = _sql(
        tiny_warehouse,
        "select cluster_code, enterprises, employment, location_quotient, hhi, cluster_tier "
        f"from mart_cluster_park_year where park_id = '{PARK}' and year = 2026 order by cluster_code",
    )
    assert [row[0] for row in mart] == park["cluster_code"].to_list()
    for (cluster, enterprises, employment, lq, hhi, tier_in_mart), expected in zip(
        mart, park.iter_rows(named=True), strict=True
    ):
        assert (enterprises, employment) == (expected["enterprises"], expected["employment"]), cluster
        assert lq == pytest.approx(expected["lq"], rel=1e-12), cluster
        assert hhi == pytest.approx(expected_hhi, rel=1e-12)
        assert tier_in_mart == tier(expected), cluster
    # the same numbers written down once, so that a change in the generator is noticed here
    assert [(row[0], row[2], round(row[3], 4), row[5]) for row in mart] == EXPECTED_PARK_ROWS
    assert round(mart[0][4], 4) == EXPECTED_PARK_HHI


def test_cluster_marts_obey_their_laws(tiny_warehouse):
    # shares of a park's employment add up to the classified share, and the LQ-weighted national check
    assert _sql(
        tiny_warehouse,
        "select count(*) from (select park_id, year, sum(employment_share) as total from mart_cluster_park_year "
        "group by park_id, year) where total > 1 + 1e-9",
    ) == [(0,)]
    # every enterprise of a cluster is counted once at park level and once at province level
    assert _sql(
        tiny_warehouse,
        "select (select sum(enterprises) from mart_cluster_park_year where year = 2026), "
        "(select sum(enterprises) from mart_cluster_province_year where year = 2026), "
        "(select count(*) from fct_enterprise_period where cluster_code is not null and period_year = 2026)",
    ) == [(486, 486, 486)]  # of the 489 landed, 30 of 2026-10 and 456 of 2026Q3 (tests/test_park_submissions.py)
    # LQ x the cluster's national share = the park's share: summed over parks, employment_share x
    # park_employment gives the cluster's national employment back
    assert _sql(
        tiny_warehouse,
        "select count(*) from (select cluster_code, sum(employment_share * park_employment) - sum(employment) as gap "
        "from mart_cluster_park_year group by cluster_code) where abs(gap) > 1e-6",
    ) == [(0,)]
    # no park has two years yet (only the two yearly offices send 2025, and nothing for 2026): no growth
    assert _sql(tiny_warehouse, "select count(employment_growth) from mart_cluster_park_year") == [(0,)]


def test_rnd_intensity_and_tax_of_one_park_by_hand(tiny_warehouse):
    """R&D intensity = R&D spending / revenue of the enterprises reporting R&D; S357066's office uses
    the current template, so all its 9 enterprises report (values in 万元 read from its inbox file
    2026-10/S357066.csv with Polars, each enterprise's class joined to the cluster seed: its figures as they stood
    at the end of October)."""
    mart = _sql(
        tiny_warehouse,
        "select cluster_code, tax_cny, rnd_intensity from mart_cluster_park_year "
        f"where park_id = '{PARK}' and year = 2026 order by cluster_code",
    )
    expected = [
        # tax 10.6 + 272.1 + 19.8 + 0.2 + 17.5 万元
        ("biomedicine", 3_202_000.0, (0 + 6.8 + 2.1 + 112.4 + 7.2) / (21.4 + 533 + 952.4 + 6647.2 + 703.1)),
        ("food", 372_000.0, 41.7 / 479),
        ("metallurgy", 878_000.0, (19.5 + 46.8) / (237 + 2836.5)),  # tax 6.6 + 81.2 万元
        ("new_materials", 22_000.0, 0.5 / 33.5),
    ]
    assert [row[0] for row in mart] == [row[0] for row in expected]
    for (_, tax, intensity), (_, expected_tax, expected_intensity) in zip(mart, expected, strict=True):
        assert tax == pytest.approx(expected_tax, rel=1e-12)
        assert intensity == pytest.approx(expected_intensity, rel=1e-12)


def test_rnd_intensity_is_null_where_no_enterprise_reports_it(tiny_warehouse):
    """S347025's office still uses the template without tax and R&D columns: unknown, not zero."""
    ((rows, with_intensity, with_tax),) = _sql(
        tiny_warehouse,
        "select count(*), count(rnd_intensity), count(tax_cny) from mart_cluster_park_year where park_id = 'S347025'",
    )
    assert rows > 0 and (with_intensity, with_tax) == (0, 0)


def test_dim_enterprise_carries_origin_incubation_stage_and_status(tiny_warehouse):
    """At tiny: 47 enterprises come from offices on the current template (the others' files have no
    such columns, so null); of those, the 9 foreign or HK/Macao-invested name their origin. Against the numbers
    before the smallest office's file became the incomplete one, read from the two inbox files: S348076.csv (now
    landed) adds 2 private enterprises, stage none, operating; G611044.xlsx (now rejected whole) takes away 1
    foreign one from FRA, stage 无 (none), 存续 (operating)."""
    assert _sql(
        tiny_warehouse,
        "select ownership, count(origin_country_iso3), count(incubation_stage), count(*) from dim_enterprise "
        "group by ownership order by ownership",
    ) == [("foreign", 6, 6, 58), ("hk_macao_taiwan", 3, 3, 36), ("private", 0, 37, 354), ("state", 0, 1, 41)]
    assert _sql(
        tiny_warehouse,
        "select incubation_stage, operating_status, count(*) from dim_enterprise where incubation_stage is not null "
        "group by all order by all",
    ) == [
        ("accelerator", "operating", 2),
        ("incubator", "operating", 8),
        ("none", "closed", 1),
        ("none", "operating", 36),
    ]
    # every origin is a country of dim_region
    assert _sql(
        tiny_warehouse,
        "select count(*) from dim_enterprise e left join dim_region r on e.origin_country_iso3 = r.region_key "
        "where e.origin_country_iso3 is not null and r.region_key is null",
    ) == [(0,)]
