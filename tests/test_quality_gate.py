"""The publish gate on a real build: a broken build is not published and serving keeps its bytes."""

import shutil
from datetime import date

import duckdb
import pytest

from expectations.gate import QualityGateFailed
from parkplatform import pipeline
from parkplatform.config import get_settings
from parkplatform.dbt import build_project
from parkplatform.demo import wdi_served_from_reference
from parkplatform.sources import runnable_sources


@pytest.fixture
def good_build(tiny):
    """A tiny build made by the same steps the DAG runs (dbt from the command line here)."""
    day = date(2026, 11, 23)
    settings = get_settings()
    # every source, as the extract DAGs land them (WDI through the demo's loopback mirror)
    with wdi_served_from_reference():
        for spec in runnable_sources(settings.uses_real_registry):
            pipeline.extract(spec.name, day)
    pipeline.load_build(day, pipeline.normalise(day))
    build_project()
    return settings


def test_a_good_build_passes_and_publishes(good_build):
    result = pipeline.quality_gate("good-run")
    # 10 checks on dim_park, 5 on dim_enterprise, 5 on the mart; none fails, not even a warning
    assert (result["expectations"], result["warnings"]) == (20, 0)
    pipeline.publish()
    assert good_build.serving_warehouse.exists() and not good_build.build_warehouse.exists()


def test_a_broken_build_is_not_published_and_serving_keeps_its_bytes(good_build):
    settings = good_build
    shutil.copy(settings.build_warehouse, settings.serving_warehouse)
    before = settings.serving_warehouse.read_bytes()
    with duckdb.connect(str(settings.build_warehouse)) as con:
        con.execute(
            "update dim_park set level = '市级' where park_id in (select park_id from dim_park order by park_id limit 3)"
        )
        con.execute(
            "update mart_parks_by_province_zone_type set enterprises = -1 where parks = (select max(parks) from mart_parks_by_province_zone_type)"
        )

    with pytest.raises(QualityGateFailed) as failure:
        pipeline.quality_gate("broken-run")

    message = str(failure.value)
    assert "dim_park.level: expect_column_values_to_be_in_set" in message
    assert "3 of 2552 rows unexpected" in message
    assert "mart_parks_by_province_zone_type.enterprises: expect_column_values_to_be_between" in message
    assert {o.suite for o in failure.value.result.failed_critical} == {"dim_park", "mart_parks_by_province_zone_type"}
    assert settings.serving_warehouse.read_bytes() == before
    assert (settings.quality_dir / "broken-run" / "outcomes.json").exists()


def test_a_failed_warning_is_reported_but_does_not_block(good_build):
    with duckdb.connect(str(good_build.build_warehouse)) as con:
        con.execute("update dim_park set longitude = null")
    result = pipeline.quality_gate("warning-run")
    assert result["warnings"] == 1
