"""The dbt project is portable: built on PostgreSQL from the same loaded data as the tiny DuckDB
build, its marts hold the same numbers."""

import math
import os
import uuid
from collections.abc import Iterator

import duckdb
import psycopg2
import pytest
from psycopg2.extensions import make_dsn, parse_dsn

from parkplatform.dbt import build_project
from parkplatform.warehouse import copy_raw_to_postgres

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
    "dim_region": ["region_key"],
    "bridge_country_committee": ["country_iso3", "committee"],
    "mart_regional_indicators": ["region_type", "region_key", "year"],
    "mart_weekly_indicators": ["iso_week_label", "indicator_code"],
}


@pytest.fixture(scope="module")
def postgres_database(postgres_dsn: str) -> Iterator[dict]:
    """A database of its own on the test PostgreSQL, dropped afterwards."""
    name = f"park_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield {**parse_dsn(postgres_dsn), "dbname": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


@pytest.fixture(scope="module")
def postgres_build(tiny_warehouse, postgres_database, reference_dir) -> dict:
    copy_raw_to_postgres(tiny_warehouse, make_dsn(**postgres_database))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(tiny_warehouse.parent.parent))
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        patch.setenv("PARK_PG_HOST", postgres_database.get("host", "127.0.0.1"))
        patch.setenv("PARK_PG_PORT", str(postgres_database.get("port", "5432")))
        patch.setenv("PARK_PG_USER", postgres_database.get("user", "postgres"))
        patch.setenv("PARK_PG_PASSWORD", postgres_database.get("password", ""))
        patch.setenv("PARK_PG_DATABASE", postgres_database["dbname"])
        assert os.environ["PARK_PG_DATABASE"].startswith("park_test_")
        build_project("--target", "postgres")
    return postgres_database


def _rows(cursor, table: str, order: list[str]) -> tuple[list[str], list[tuple]]:
    cursor.execute(f"select * from main.{table} order by {', '.join(order)}")
    return [column[0] for column in cursor.description], cursor.fetchall()


def _same(left, right) -> bool:
    if isinstance(left, float) or isinstance(right, float):
        if left is None or right is None:
            return left is right
        return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-9)
    return left == right


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_postgres_marts_equal_the_duckdb_marts_number_for_number(table, tiny_warehouse, postgres_build):
    order = COMPARED[table]
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        duck = con.execute(f"select * from main.{table} order by {', '.join(order)}")
        duck_columns = [column[0] for column in duck.description]
        duck_rows = duck.fetchall()
    connection = psycopg2.connect(**postgres_build)
    try:
        with connection.cursor() as cursor:
            pg_columns, pg_rows = _rows(cursor, table, order)
    finally:
        connection.close()
    assert pg_columns == duck_columns
    assert len(pg_rows) == len(duck_rows) > 0
    for pg_row, duck_row in zip(pg_rows, duck_rows, strict=True):
        differing = [
            (column, p, d) for column, p, d in zip(pg_columns, pg_row, duck_row, strict=True) if not _same(p, d)
        ]
        assert not differing, f"{table} row {duck_row[: len(order)]}: {differing}"
