"""The whole platform at the tiny scale on the real catalogue, run by a real embedded Airflow
(dag.test), real dbt through Cosmos and a real GX checkpoint."""

import hashlib
from datetime import date, timedelta

import duckdb
import polars as pl
import pytest

from park.runs import DagRunFailed, midnight_utc, prepare_airflow, run_dag, run_platform
from parkplatform.config import get_settings
from parkplatform.landing import LANDED_FILE, batch_dir, land_batch
from parkplatform.warehouse import read_table, table_row_counts

pytestmark = pytest.mark.airflow

DAY = date(2026, 11, 23)
MARTS = (
    "dim_park",
    "dim_enterprise",
    "bridge_park_cluster",
    "mart_parks_by_province_zone_type",
    "mart_cluster_park_year",
    "fct_match_event",
    "fct_match",
    "mart_investment_flows_month",
    "mart_match_funnel",
    "mart_regional_indicators",
    "mart_weekly_indicators",
    "mart_weekly_indicators_by_area",
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory, reference_dir):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DATA_DIR", str(tmp_path_factory.mktemp("e2e") / "data"))
        patch.setenv("PARK_SCALE", "tiny")
        patch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
        patch.delenv("PARK_SEED", raising=False)
        patch.delenv("PARK_BAD_ROW_RATE", raising=False)
        # no internet: run_platform serves WDI from the reference folder on loopback
        # (park.runs.wdi_served_from_reference, the demo's own mirror)
        patch.delenv("PARK_WDI_BASE_URL", raising=False)
        timings = run_platform(DAY)
        yield get_settings(), timings


def _sql(settings, query: str):
    with duckdb.connect(str(settings.serving_warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


def test_every_stage_ran_and_serving_was_published(platform):
    settings, timings = platform
    assert {t.state for t in timings} == {"success"}
    tasks = {t.task_id for t in timings}
    assert {
        "land_park_registry",
        "land_park_submissions",
        "land_alliance_members",
        "land_crm_projects",
        "land_crm_match_events",
        "land_crm_payments",
        "land_world_bank",
        "land_nbs_province_gdp",
        "land_reference_tables",
        "normalise",
        "load_build",
        "quality_gate",
        "publish",
    } <= tasks
    assert any(task.startswith("dbt.mart_parks_by_province_zone_type") for task in tasks)
    assert settings.serving_warehouse.exists() and not settings.build_warehouse.exists()


def test_tiny_marts_hold_the_hand_checked_counts(platform):
    settings, _ = platform
    assert table_row_counts(settings.serving_warehouse) == {
        "bridge_country_committee": 201,  # 191 countries, 10 of them in two committees (test_marts_regions)
        "bridge_park_cluster": 6238,
        "dim_cluster": 20,
        "dim_date": 11323,  # 2000-01-01 to 2030-12-31
        # the 489 landed enterprises (tests/test_park_submissions.py counts them from the inbox files)
        "dim_enterprise": 489,
        "dim_park": 2552,  # the catalogue's 2,543 zones and 9 alliance-only parks
        "dim_region": 280,  # 31 provinces and 249 countries and territories
        "fct_enterprise_period": 489,  # each once: 30 rows of 2026-10, 456 of 2026Q3, 3 of 2025
        "fct_intake_receipt": 21,  # the 20 offices' files and the member list
        # the CRM counts below are the tiny export's rows less those its fault manifest (_faults.csv) lists,
        # counted with Polars on the export files (test_every_batch_reconciles): 322 projects less 5, 423
        # matches among the 1,303 events landed, the ledger's 372 payments less 7 (test_marts_crm), 4 of
        # them on projects quarantined at landing
        "fct_investment_project": 317,
        "fct_match": 423,
        "fct_match_event": 1303,
        "fct_paid_in_payment": 365,
        # distinct (park or province) x cluster x year of the landed rows, the year the period's first four digits,
        # the cluster from seed cluster_industry_classes, the province from the registry
        "mart_alliance_members": 173,  # the 114 member parks (dim_park) x their committees: 59 sit in two
        "mart_cluster_park_year": 55,
        "mart_cluster_province_year": 53,
        # the 105 member parks of the catalogue x 2026-10, both the only month files arrived for (the monthly
        # offices' folder inbox/park_submissions/2026-10/; the others are 2026Q3 and 2025) and the last complete
        # month (owed since the yearly offices' 2025 files are the first period any file arrived for)
        "mart_intake_status": 105,
        # distinct corridors x signing month of the signed projects
        "mart_investment_flows_month": 176,
        # inbound corridors (country -> park) signed in 2022: 3, 2023: 12, 2024: 12, 2025: 10, 2026: 13
        "mart_investment_corridors_year": 50,
        "mart_match_funnel": 419,  # distinct committee x channel x type x cluster x cohort month of the 423 matches
        "mart_match_funnel_stages": 2514,  # the funnel's 419 rows x 6 stages
        "mart_parks_by_province_zone_type": 192,
        "mart_quarantine_batches": 27,  # batch x reason; its 91 rows = the 4 + 31 + 7 + 5 + 37 + 7 quarantined
        "mart_regional_indicators": 6366,
        "mart_serving_status": 1,  # the published build's as-of date and generated parts (every dashboard's banner)
        # 217 complete ISO weeks x 7 indicators: from the week of the CRM's first date (2022-09-27, the
        # intention of the oldest project migrated at go-live, 104 weeks before it) to 2026-W47
        "mart_weekly_indicators": 1519,
        "mart_weekly_indicators_by_area": 68355,  # the same x 45 committee-and-province areas the CRM names
    }
    assert _sql(settings, "select level, count(*) from dim_park group by level order by level") == [
        ("national", 552),
        ("provincial", 1991),
        ("unlisted", 9),
    ]
    # totals over the mart: every zone once, every landed enterprise once, 19 reporting parks (of 20:
    # the smallest office's file lacks a required column and is quarantined whole)
    assert _sql(
        settings,
        "select sum(parks), sum(parks_reporting_enterprises), sum(enterprises) from mart_parks_by_province_zone_type",
    ) == [(2543, 19, 489)]
    # the catalogue by type, countable in a spreadsheet of development_zones_2018.csv
    assert _sql(
        settings,
        "select zone_type, sum(parks) from mart_parks_by_province_zone_type group by zone_type order by zone_type",
    ) == [
        ("border_cooperation", 19),
        ("customs_special", 135),
        ("economic_development", 986),
        ("etdz", 219),
        ("high_tech", 313),
        ("industrial_park", 848),
        ("other", 23),
    ]
    # Beijing's 19 zones: 3 national (one each of ETDZ, high-tech, customs), 16 provincial
    assert _sql(
        settings,
        "select level, zone_type, parks from mart_parks_by_province_zone_type where province_adcode = '110000' order by all",
    ) == [
        ("national", "customs_special", 1),
        ("national", "etdz", 1),
        ("national", "high_tech", 1),
        ("provincial", "economic_development", 11),
        ("provincial", "industrial_park", 5),
    ]
    assert _sql(settings, "select count(*) from dim_park where province_adcode is null and in_catalogue") == [(0,)]
    # the banner: at tiny scale the submissions, the CRM and the member list are generated, the registry is real
    assert _sql(
        settings,
        "select enterprises_generated, crm_generated, members_generated, registry_generated, data_notice_cn"
        " from mart_serving_status",
    ) == [
        (
            True,
            True,
            True,
            False,
            "演示数据：企业报送、CRM（投资项目与对接）、会员名单为程序生成的模拟数据，不代表真实业务。",
        )
    ]


def test_dim_park_carries_clusters_geocode_quality_and_alliance_membership(platform):
    settings, _ = platform
    # 2,517 of 2,543 zones (99.0%) declare at least one mapped cluster (test_registry_enrichment)
    assert _sql(settings, "select count(*) from dim_park where in_catalogue and declared_cluster_count > 0") == [
        (2517,)
    ]
    assert _sql(settings, "select declared_clusters from dim_park where park_id = 'G111001'") == [
        ("automotive,electronic_information,equipment_manufacturing",)  # 汽车、电子信息、装备制造...
    ]
    assert _sql(
        settings, "select geocode_quality, count(*) from dim_park where in_catalogue group by all order by all"
    ) == [("city_only", 78), ("ok", 2236), ("suspect", 229)]
    # the founding meeting's examples: one catalogue zone, three parks the catalogue does not list
    assert _sql(
        settings,
        "select zone_name, in_catalogue, is_alliance_member from dim_park where zone_name in "
        "('辽宁北方新材料产业园', '京津科技谷产业园', '天津鑫茂科技园', '四川长江工业园') order by zone_name",
    ) == [
        ("京津科技谷产业园", False, True),
        ("四川长江工业园", False, True),
        ("天津鑫茂科技园", False, True),
        ("辽宁北方新材料产业园", True, True),
    ]
    assert _sql(settings, "select zone_code from dim_park where zone_name = '辽宁北方新材料产业园'") == [("S219066",)]
    # 116 valid members: 105 matched to 105 zones, 9 alliance-only, 2 ambiguous left for review
    assert _sql(
        settings,
        "select match_status, count(*) from staging.stg_alliance__members group by all order by all",
    ) == [("alliance_only", 9), ("ambiguous", 2), ("code", 25), ("name", 80)]
    assert _sql(settings, "select count(*) from dim_park where is_alliance_member") == [(114,)]


def test_every_batch_reconciles(platform):
    settings, _ = platform
    assert _sql(
        settings,
        "select source, received_rows, landed_rows, quarantined_rows from staging.stg_landing__batches order by source",
    ) == [
        ("alliance_members", 120, 116, 4),  # one row of each member fault (test_alliance_members)
        # the CRM's first batch holds its whole generated history (26 months up to the logical date) and the
        # portfolio migrated at go-live; quarantined: the rows of the export's fault manifest (12 unknown
        # channels, 6 unknown stages, 5 duplicated ids, 5 events before their match's earlier stage, 3 lost
        # without a reason)
        ("crm_match_events", 1334, 1303, 31),
        # one row per tranche paid by the logical date; 7 corrupted at the default rate (2 negative, 3 dated
        # after the day they were recorded, 2 without their project)
        ("crm_payments", 372, 365, 7),
        ("crm_projects", 322, 317, 5),  # one of each project fault but an unknown currency
        ("intake_receipts", 21, 21, 0),  # a receipt per file received: 20 offices' files and the member list
        ("nbs_province_gdp", 620, 620, 0),  # 31 provinces x 20 years (test_nbs_province_gdp)
        ("park_registry", 2543, 2543, 0),
        ("park_submissions", 526, 489, 37),
        # 7,051 rows of the six files, 7 verbatim repeats of crosswalk pairs (test_reference_tables)
        ("reference_tables", 7051, 7044, 7),
        # WDI rows with year in 2000..2026 of the six real CSVs, served by the demo's loopback mirror
        ("world_bank", 38110, 38110, 0),
    ]
    quarantined = pl.read_parquet(batch_dir(settings.landing_dir, "park_submissions", DAY) / "quarantined.parquet")
    assert quarantined.height == 37 and quarantined["_reject_reason"].null_count() == 0


def test_the_crm_lands_in_the_warehouse_one_row_per_project_and_event(platform):
    settings, _ = platform
    assert _sql(
        settings,
        "select count(*), count(distinct project_id), min(data_origin), max(data_origin) "
        "from intermediate.int_crm__projects_current",
    ) == [(317, 317, "generated", "generated")]
    assert _sql(settings, "select count(*) from intermediate.int_crm__match_events_deduplicated") == [(1303,)]
    # every landed project sits in a catalogue zone (validated at landing, tested by dbt)
    assert _sql(
        settings,
        "select count(*) from intermediate.int_crm__projects_current as p "
        "left join dim_park as d on p.park_code = d.zone_code where d.zone_code is null",
    ) == [(0,)]


def test_the_reference_sources_are_staging_views_in_serving_with_exact_counts(platform):
    settings, _ = platform
    counts = {
        view: _sql(settings, f"select count(*) from staging.{view}")[0][0]
        for view in (
            "stg_world_bank__indicators",
            "stg_nbs__province_gdp",
            "stg_reference__admin_divisions",
            "stg_reference__industry_classes",
            "stg_reference__industry_isic_crosswalk",
        )
    }
    assert counts == {
        "stg_world_bank__indicators": 38110,
        "stg_nbs__province_gdp": 620,
        "stg_reference__admin_divisions": 3351,  # 31 provinces + 342 prefectures + 2,978 counties
        "stg_reference__industry_classes": 1971,  # 20 sections + 97 divisions + 473 groups + 1,381 classes
        "stg_reference__industry_isic_crosswalk": 1473,
    }
    assert _sql(
        settings,
        "select value from staging.stg_world_bank__indicators "
        "where indicator_code = 'NY.GDP.MKTP.CD' and country_iso3 = 'CHN' and year = 2023",
    ) == [(18270356654533.2,)]
    assert _sql(
        settings, "select gdp_cny from staging.stg_nbs__province_gdp where province_adcode = '110000' and year = 2023"
    ) == [(4376070000000.0,)]
    assert _sql(
        settings, "select level, count(*) from staging.stg_reference__admin_divisions group by level order by level"
    ) == [("county", 2978), ("prefecture", 342), ("province", 31)]
    # every WDI row came from the loopback mirror the run started (its page URLs are the lineage)
    assert _sql(
        settings, "select count(*) from staging.stg_world_bank__indicators where source_file like 'http://127.0.0.1:%'"
    ) == [(38110,)]


def test_rerunning_the_same_logical_date_leaves_identical_marts(platform):
    """Byte for byte, three runs of one date: every published table's rows, in one order, written out with every
    digit, hash the same after the second and the third run (the amounts are summed exactly, so the order a
    parallel aggregate adds them in cannot show)."""
    settings, _ = platform
    first = _digests(settings)
    assert set(MARTS) <= set(first)
    for _ in range(2):
        run_platform(DAY)
        again = _digests(settings)
        assert set(again) == set(first)
        assert {table for table in first if again[table] != first[table]} == set()
    assert _sql(settings, "select count(*), count(distinct credit_code) from dim_enterprise") == [(489, 489)]


def test_a_backfill_of_twelve_past_weeks_builds_nothing_and_serving_stays_the_newest_build(platform):
    """The transform run for each of the twelve weeks before the newest date, as an operator backfills it
    (`airflow dags trigger --logical-date`: Airflow's own backfill refuses a DAG scheduled on Assets): each
    run ends at its first task, which skips every later task at once, and no build is started; serving
    afterwards is still the newest date's build, every table hashing as before, and its weekly mart holds
    each of those weeks."""
    settings, _ = platform
    newest = _digests(settings)
    weeks = [DAY - timedelta(weeks=back) for back in range(12, 0, -1)]
    for day in weeks:
        timings = run_dag("transform_publish", midnight_utc(day))
        assert [(t.task_id, t.state) for t in timings if t.state != "skipped"] == [("serving_moves_forward", "success")]
        assert len(timings) > 100 and not settings.build_warehouse.exists()
    assert _digests(settings) == newest
    assert _sql(settings, "select max(logical_date) from staging.stg_landing__batches") == [(DAY,)]
    held = _sql(
        settings,
        f"select distinct week_start from mart_weekly_indicators where week_start >= '{weeks[0]}' order by 1",
    )
    # the twelve weeks starting on the backfilled dates (Mondays, as DAY is), up to the last complete week
    assert [row[0] for row in held] == weeks


def _digests(settings) -> dict[str, str]:
    """Every published table's :func:`_digest`."""
    tables = table_row_counts(settings.serving_warehouse)
    return {table: _digest(read_table(settings.serving_warehouse, table)) for table in tables}


def _digest(frame: pl.DataFrame) -> str:
    """SHA-256 of the rows sorted on every column and written as CSV (floats with all their digits)."""
    return hashlib.sha256(frame.sort(frame.columns, nulls_last=True).write_csv().encode()).hexdigest()


def test_a_broken_load_fails_the_run_and_serving_keeps_its_bytes(platform):
    """A faulty landing (a level outside the catalogue's two) must stop the run before publish."""
    settings, _ = platform
    serving_before = settings.serving_warehouse.read_bytes()
    later = date(2026, 11, 30)
    landed = pl.read_parquet(batch_dir(settings.landing_dir, "park_registry", DAY) / LANDED_FILE)
    broken = landed.with_columns(
        pl.when(pl.int_range(pl.len()) < 2)
        .then(pl.lit("市政府"))
        .otherwise(pl.col("approval_level"))
        .alias("approval_level"),
        pl.lit(None, dtype=pl.String).alias("_reject_reason"),
    ).drop("_source", "_batch_id", "_loaded_at")
    land_batch(broken, source="park_registry", logical_date=later, landing_dir=settings.landing_dir)

    prepare_airflow()
    # only the staging view whose tests guard the level, so the run fails where it must, cheaply
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARK_DBT_SELECT", "stg_park_registry__zones")
        # the one dbt build fails, and so does the task of the model whose test caught it
        with pytest.raises(
            DagRunFailed, match=r"failed tasks: dbt\.dbt_producer_watcher, dbt\.stg_park_registry__zones\.test$"
        ):
            run_dag("transform_publish", midnight_utc(later))
    assert settings.serving_warehouse.read_bytes() == serving_before
