"""The published marts of two builds, compared number for number: a DuckDB warehouse file against the
serving schema ``main`` of a PostgreSQL warehouse (the engines, the profiles)."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

# table -> the columns that order its rows (its grain)
COMPARED = {
    "dim_park": ["park_id"],
    "dim_cluster": ["cluster_code"],
    "bridge_park_cluster": ["park_id", "cluster_code"],
    "mart_parks_by_province_zone_type": ["province_adcode", "level", "zone_type"],
    "fct_enterprise_period": ["credit_code", "period"],
    "mart_cluster_park_year": ["park_id", "cluster_code", "year"],
    "mart_cluster_province_year": ["province_adcode", "cluster_code", "year"],
    "fct_investment_project": ["project_id"],
    "fct_paid_in_payment": ["payment_id"],
    "fct_match_event": ["event_id"],
    "fct_match": ["match_id"],
    "mart_investment_flows_month": [
        "direction",
        "origin_country_iso3",
        "committee",
        "origin_province_adcode",
        "park_id",
        "destination_country_iso3",
        "cluster_code",
        "signed_month",
    ],
    "mart_match_funnel": ["committee", "channel", "match_type", "cluster_code", "cohort_month"],
    "mart_match_funnel_stages": ["committee", "channel", "match_type", "cluster_code", "cohort_month", "stage_rank"],
    "dim_region": ["region_key"],
    "bridge_country_committee": ["country_iso3", "committee"],
    "mart_regional_indicators": ["region_type", "region_key", "year"],
    "mart_weekly_indicators": ["iso_week_label", "indicator_code"],
    "mart_weekly_indicators_by_area": ["iso_week_label", "indicator_code", "area_key"],
    "fct_intake_receipt": ["receipt_id"],
    "mart_intake_status": ["park_code", "period"],
}


def same(left, right) -> bool:
    """Equal, floats to 1e-9 (the engines sum in different orders)."""
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
    return left == right


def assert_same_mart(table: str, duckdb_warehouse: Path, postgres) -> None:
    """``main.<table>`` holds the same columns and rows, in its grain's order, in both (``postgres``: an open
    psycopg2 connection); fails naming the table, the row's key and each differing column."""
    order = ", ".join(COMPARED[table])
    with duckdb.connect(str(duckdb_warehouse), read_only=True) as con:
        duck = con.execute(f"select * from main.{table} order by {order}")
        duck_columns = [column[0] for column in duck.description]
        duck_rows = duck.fetchall()
    with postgres.cursor() as cursor:
        cursor.execute(f"select * from main.{table} order by {order}")
        pg_columns = [column[0] for column in cursor.description]
        pg_rows = cursor.fetchall()
    assert pg_columns == duck_columns, table
    assert len(pg_rows) == len(duck_rows) > 0, table
    for pg_row, duck_row in zip(pg_rows, duck_rows, strict=True):
        differing = [
            (column, p, d) for column, p, d in zip(pg_columns, pg_row, duck_row, strict=True) if not same(p, d)
        ]
        assert not differing, f"{table} row {duck_row[: len(COMPARED[table])]}: {differing}"
