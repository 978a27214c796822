from datetime import date

import polars as pl
import pytest

from extractors.park_registry import extract as park_registry
from parkplatform import catalogue
from parkplatform.config import get_settings
from parkplatform.landing import LANDED_FILE, batch_dir
from parkplatform.registry_enrichment import normalise_registry


def _row(**overrides) -> dict:
    row = {
        "catalogue_seq": "1",
        "zone_code": "G321001",
        "zone_name": "示范经济技术开发区",
        "province_name": "江苏省",
        "city_district": "南京",
        "approval_level": "国务院",
        "zone_type_cn": "经济技术开发区",
        "approval_date_raw": "1992.04",
        "approved_area_ha_raw": "120.5",
        "leading_industries": "电子、汽车",
        "longitude_raw": "118.1",
        "latitude_raw": "32.0",
        "formatted_address": "江苏省南京市",
        "geocode_status": "ok",
        "data_origin": "catalogue_2018",
        "_source_file": "x.csv",
        "_source_row": 2,
    }
    return {**row, **overrides}


def test_each_registry_rule_rejects_with_its_reason():
    rows = [
        _row(),
        _row(zone_code=None),
        _row(zone_code="X12"),
        _row(zone_name=None),
        _row(approval_level="市政府"),
        _row(approval_date_raw="1992-04"),
        _row(approved_area_ha_raw="-3"),
        _row(approval_date_raw="2000.04/2002.12"),
    ]
    reasons = catalogue.validate(pl.DataFrame(rows))["_reject_reason"].to_list()
    assert reasons == [
        None,
        "zone_code (代码) is missing",
        "zone_code (代码) is not G or S followed by 6 digits",
        "zone_name (开发区名称) is missing",
        "approval_level (批准级别) is not 国务院 or 省政府",
        "approval_date_raw (批准时间) is not YYYY.MM or YYYY.MM/YYYY.MM",
        "approved_area_ha_raw (核准面积_公顷) is not a non-negative number",
        None,
    ]


def _landed(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows).with_columns(
        pl.lit("park_registry").alias("_source"), pl.lit("b").alias("_batch_id"), pl.lit(None).alias("_loaded_at")
    )


def test_normalisation_types_levels_dates_and_clashing_codes():
    frame = normalise_registry(
        _landed(
            [
                _row(zone_name=" 甲开发区 ", zone_code="S377018", approval_level="省政府", zone_type_cn="工业园区"),
                _row(zone_name="乙开发区", zone_code="S377018", approval_level="省政府", zone_type_cn="经济开发区"),
                _row(approval_date_raw="2000.04/2002.12", approved_area_ha_raw="20.96"),
            ]
        )
    )
    assert frame["zone_name"].to_list() == ["甲开发区", "乙开发区", "示范经济技术开发区"]
    assert frame["level"].to_list() == ["provincial", "provincial", "national"]
    assert frame["zone_type"].to_list() == ["industrial_park", "economic_development", "etdz"]
    assert frame["zone_code_clash"].to_list() == [True, True, False]
    clashing = frame["park_id"].to_list()[:2]
    assert all(key.startswith("S377018~") and len(key) == len("S377018~") + 6 for key in clashing)
    assert clashing[0] != clashing[1]
    assert frame["park_id"][2] == "G321001"
    assert frame["approval_date"][2] == date(2000, 4, 1)
    assert frame["approval_date_second"][2] == date(2002, 12, 1)
    assert frame["approved_area_ha"][2] == 20.96


def test_surrogate_keys_do_not_depend_on_row_order():
    rows = [_row(zone_name="甲", zone_code="S377018"), _row(zone_name="乙", zone_code="S377018")]
    forward = normalise_registry(_landed(rows)).select("zone_name", "park_id").sort("zone_name")
    backward = normalise_registry(_landed(rows[::-1])).select("zone_name", "park_id").sort("zone_name")
    assert forward.equals(backward)


def test_real_catalogue_lands_all_2543_zones(tiny):
    report = park_registry.extract(get_settings(), date(2026, 11, 23))
    assert (report.received, report.landed, report.quarantined) == (2543, 2543, 0)
    landed = normalise_registry(
        pl.read_parquet(batch_dir(get_settings().landing_dir, "park_registry", date(2026, 11, 23)) / LANDED_FILE)
    )
    assert landed["level"].value_counts().sort("level").rows() == [("national", 552), ("provincial", 1991)]
    assert landed["park_id"].n_unique() == 2543
    assert landed.filter("zone_code_clash")["zone_name"].sort().to_list() == [
        "山东临淄经济开发区",
        "山东淄川经济开发区",
    ]
    assert set(landed["data_origin"]) == {"catalogue_2018"}
    # the batch records the keyword seed's cluster coverage and the terms it misses, most frequent first
    assert {key: report.details[key] for key in ("zones", "zones_with_cluster", "cluster_coverage")} == {
        "zones": 2543,
        "zones_with_cluster": 2517,
        "cluster_coverage": 0.9898,
    }
    assert report.details["unmapped_terms"][:3] == [["电力", 60], ["能源", 35], ["木材加工", 31]]


def test_without_reference_the_registry_says_what_to_set(monkeypatch, data_dir):
    # no registry is generated any more: a run without the real data points PARK_REFERENCE_DIR at a
    # folder written by simulators.reference (tests/test_generated_reference.py)
    monkeypatch.delenv("PARK_REFERENCE_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="PARK_REFERENCE_DIR is not set.*simulators.reference"):
        park_registry.extract(get_settings(), date(2026, 11, 23))
