"""The dbt project is portable: built on PostgreSQL from the same loaded data as the tiny DuckDB
build, its marts hold the same numbers. Write–audit–publish on PostgreSQL: dbt writes build schemas,
the gate validates them, one transaction swaps them for the serving schemas."""

import json
import re
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg2
import pytest
from marts_comparison import COMPARED, assert_same_mart

from expectations import gate
from expectations.gate import QualityGateFailed
from parkplatform import pipeline
from parkplatform.config import REPO_ROOT, get_settings
from parkplatform.dbt import build_project, generate_docs
from parkplatform.serving import open_serving, published_row_counts
from parkplatform.warehouse import (
    POSTGRES_BUILD_SCHEMAS,
    copy_raw_to_postgres,
    reset_postgres_build,
    table_row_counts,
)
from report.data import read_report_data
from report.render import latest_complete_week, render_html


@pytest.fixture(scope="module")
def reader_role(postgres_dsn: str) -> Iterator[str]:
    """A read-only role of this module's own (roles are cluster-wide), dropped after its database."""
    import uuid

    role = f"park_reader_{uuid.uuid4().hex[:8]}"
    yield role
    admin = psycopg2.connect(postgres_dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'drop role if exists "{role}"')
    finally:
        admin.close()


@pytest.fixture(scope="module")
def postgres_warehouse(
    tiny_warehouse, reader_role, postgres_database, reference_dir, tmp_path_factory
) -> Iterator[dict]:
    """PARK_WAREHOUSE_ENGINE=postgres on a database of its own, with a copy of the tiny DuckDB build
    (its ``raw`` tables) as the build file the pipeline loads from and the gate reads through."""
    data = tmp_path_factory.mktemp("postgres") / "data"
    (data / "warehouse").mkdir(parents=True)
    shutil.copyfile(tiny_warehouse, data / "warehouse" / "build.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(data))
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        patch.setenv("PARK_WAREHOUSE_ENGINE", "postgres")
        patch.setenv("PARK_PG_HOST", postgres_database.get("host", "127.0.0.1"))
        patch.setenv("PARK_PG_PORT", str(postgres_database.get("port", "5432")))
        patch.setenv("PARK_PG_USER", postgres_database.get("user", "postgres"))
        patch.setenv("PARK_PG_PASSWORD", postgres_database.get("password", ""))
        patch.setenv("PARK_PG_DATABASE", postgres_database["dbname"])
        patch.setenv("PARK_PG_READER_ROLE", reader_role)
        assert get_settings().postgres_dsn.endswith(f"dbname={postgres_database['dbname']}")
        yield postgres_database


def build_on_postgres() -> None:
    """The build schemas from the loaded raw tables, as the transform DAG makes them on PostgreSQL."""
    settings = get_settings()
    reset_postgres_build(settings.postgres_dsn)
    copy_raw_to_postgres(settings.build_warehouse, settings.postgres_dsn)
    build_project("--target", "postgres")


@pytest.fixture(scope="module")
def postgres_build(postgres_warehouse) -> dict:
    """Built, validated and published (write–audit–publish): the marts are in the serving schema main."""
    build_on_postgres()
    gate.quality_gate("postgres-first")
    assert pipeline.publish() == "raw, reference, staging, intermediate, main"
    return postgres_warehouse


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_postgres_marts_equal_the_duckdb_marts_number_for_number(table, tiny_warehouse, postgres_build):
    connection = psycopg2.connect(**postgres_build)
    try:
        assert_same_mart(table, tiny_warehouse, connection)
    finally:
        connection.close()


def _serving_checksums(cursor) -> dict[str, str]:
    """md5 of every row of every table in the serving marts' schema, in a stable order."""
    cursor.execute("select table_name from information_schema.tables where table_schema = 'main' order by 1")
    tables = [name for (name,) in cursor.fetchall()]
    checksums = {}
    for table in tables:
        cursor.execute(f"select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from main.{table} as t")
        checksums[table] = cursor.fetchone()[0]
    return checksums


def _schemas(cursor) -> set[str]:
    cursor.execute("select nspname from pg_namespace")
    return {name for (name,) in cursor.fetchall()}


def _serving_generation(cursor) -> str:
    """What Superset's chart-data cache keys hold of a PostgreSQL warehouse (infra/superset/park_cache.py)."""
    superset_dir = str(REPO_ROOT / "infra" / "superset")
    if superset_dir not in sys.path:
        sys.path.insert(0, superset_dir)
    import park_cache

    cursor.execute(park_cache.POSTGRES_GENERATION_SQL)
    return cursor.fetchone()[0]


class _Reader(threading.Thread):
    """Another connection reading the serving marts (and a staging view) in a loop: records the
    table's oid and row count per read, and any error."""

    def __init__(self, dsn: dict):
        super().__init__(daemon=True)
        self.dsn, self.stop, self.reads, self.errors = dsn, threading.Event(), [], []

    def run(self) -> None:
        connection = psycopg2.connect(**self.dsn)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    try:
                        cursor.execute(
                            "select 'main.dim_park'::regclass::oid, (select count(*) from main.dim_park), "
                            "(select count(*) from staging.stg_landing__batches)"
                        )
                        self.reads.append(cursor.fetchone())
                    except psycopg2.Error as error:
                        self.errors.append(str(error))
                    time.sleep(0.002)
        finally:
            connection.close()


def test_postgres_a_failed_validation_leaves_serving_unchanged_and_a_good_build_swaps_in_atomically(postgres_build):
    build_on_postgres()
    connection = psycopg2.connect(**postgres_build)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            serving_before = _serving_checksums(cursor)
            assert len(serving_before) >= 16 and set(POSTGRES_BUILD_SCHEMAS.values()) <= _schemas(cursor)
            generation_before = _serving_generation(cursor)

            # a build that breaks a critical expectation: validated, not published
            cursor.execute("create temporary table kept as select park_id, level from marts_build.dim_park limit 3")
            cursor.execute("update marts_build.dim_park set level = '市级' where park_id in (select park_id from kept)")
            with pytest.raises(QualityGateFailed, match="dim_park"):
                gate.quality_gate("postgres-broken")
            assert _serving_checksums(cursor) == serving_before
            assert "marts_build" in _schemas(cursor)
            assert _serving_generation(cursor) == generation_before  # Superset's cached charts still hold

            # the same build repaired passes and swaps in while another connection keeps reading
            cursor.execute(
                "update marts_build.dim_park as d set level = k.level from kept as k where d.park_id = k.park_id"
            )
            gate.quality_gate("postgres-good")
            reader = _Reader(postgres_build)
            reader.start()
            while len(reader.reads) < 20:
                time.sleep(0.01)
            pipeline.publish()
            seen = len(reader.reads)
            while len(reader.reads) < seen + 20:
                time.sleep(0.01)
            reader.stop.set()
            reader.join()

            assert reader.errors == []
            # every chart-data cache key Superset makes from now on differs from those made before the publish
            assert _serving_generation(cursor) != generation_before
            oids = [oid for oid, _, _ in reader.reads]
            old, new = oids[0], oids[-1]
            assert old != new  # the reader saw the old table, then the new one ...
            assert oids == [old] * oids.count(old) + [new] * oids.count(new)  # ... and nothing between
            assert {(parks, batches) for _, parks, batches in reader.reads} == {(2552, 10)}
            # the same marts published anew; the gate's results history gained this build's runs
            after = _serving_checksums(cursor)
            assert after.pop("quality_validation_results") != serving_before.pop("quality_validation_results")
            assert after == serving_before
            assert not set(POSTGRES_BUILD_SCHEMAS.values()) & _schemas(cursor)
            assert not {schema for schema in _schemas(cursor) if schema.endswith("_retired")}
    finally:
        connection.close()


def test_postgres_serving_reader_reads_the_marts_and_can_write_nothing(postgres_build, reader_role, tmp_path):
    """The role Superset reads a PostgreSQL warehouse through: SELECT on the published marts; no file, no
    program, no write, no other schema, no other role, even when it turns its read-only default off."""
    written = tmp_path / "written.csv"
    connection = psycopg2.connect(**{**postgres_build, "user": reader_role, "password": None})
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select count(*) from main.dim_park")
            assert cursor.fetchone() == (2552,)
            cursor.execute(
                "select rolsuper, rolcreaterole, rolcreatedb, pg_has_role(rolname, 'pg_read_server_files', 'member'),"
                " pg_has_role(rolname, 'pg_write_server_files', 'member'),"
                " pg_has_role(rolname, 'pg_execute_server_program', 'member') from pg_roles where rolname = %s",
                [reader_role],
            )
            assert cursor.fetchone() == (False, False, False, False, False, False)
            refused: dict[str, str] = {}
            statements = (
                f"copy main.dim_park to '{written}'",
                "copy (select 1) to program 'touch /tmp/park-reader-was-here'",
                "copy main.dim_park from '/etc/passwd'",
                "select pg_read_file('/etc/passwd')",
                "select lo_import('/etc/passwd')",
                "select * from raw.crm_projects limit 1",
                "select * from staging.stg_landing__batches limit 1",
                "create table main.made_by_reader (a int)",
                "create table public.made_by_reader (a int)",
                "insert into main.dim_cluster (cluster_code) values ('x')",
                "delete from main.dim_park",
                "drop table main.dim_park",
                "set role postgres",
                "alter system set log_statement = 'all'",
                "create extension if not exists file_fdw",
                "set default_transaction_read_only = off; create table main.made_by_reader (a int)",
            )
            for statement in statements:
                try:
                    cursor.execute(statement)
                except psycopg2.Error as error:
                    refused[statement] = error.pgcode
                finally:
                    cursor.execute("reset all")
            assert [statement for statement in statements if statement not in refused] == []
            # insufficient privilege or a read-only transaction; an extension that is not installed
            assert set(refused.values()) <= {"42501", "25006", "58P01"}, refused
    finally:
        connection.close()
    assert not written.exists() and not Path("/tmp/park-reader-was-here").exists()


def _visible(html: str) -> str:
    """The report as a reader sees it: without the raw values kept in data-raw attributes for machines, and
    with drawing coordinates to six decimals (the engines' sums of doubles differ in the last bits)."""
    return re.sub(r"(\d+\.\d{6})\d+", r"\1", re.sub(r' data-raw="[^"]*"', "", html))


def test_every_reader_reads_whichever_engine_published(postgres_build, tiny_warehouse, tmp_path):
    """The demo's summary, the weekly report and dbt docs read the PostgreSQL serving schemas through the
    same interface as the DuckDB file, and find the same things there."""
    with open_serving() as reader:
        assert reader.engine == "postgres" and reader.location.endswith(f"/{postgres_build['dbname']}")
        assert published_row_counts(reader) == table_row_counts(tiny_warehouse)
    week = latest_complete_week()
    assert week == latest_complete_week(tiny_warehouse)
    on_postgres, on_duckdb = read_report_data(None, week), read_report_data(tiny_warehouse, week)
    assert on_postgres.quality.batches == on_duckdb.quality.batches
    assert on_postgres.quality.intake == on_duckdb.quality.intake
    # what a reader sees is the same: the report's text, without the raw values it keeps in data-raw
    # attributes for machines (sums of doubles may differ in the last bit between the engines); only the
    # gate's runs differ, one per warehouse
    for language in ("zh", "en"):
        same_runs = replace(on_postgres, quality=on_duckdb.quality)
        assert _visible(render_html(same_runs, language)) == _visible(render_html(on_duckdb, language))
    index = generate_docs(target=tmp_path / "docs")
    catalog = json.loads((index.parent / "catalog.json").read_text(encoding="utf-8"))
    dim_park = catalog["nodes"]["model.park_indicators.dim_park"]
    assert dim_park["metadata"]["schema"] == "main" and "park_id" in dim_park["columns"]
