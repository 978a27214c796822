"""Alliance member matching against the real 2018 catalogue (DESIGN.md section 3)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from extractors.alliance_members.extract import (
    land_members,
    match_members,
    match_report,
    read_member_list,
)
from parkplatform import catalogue as park_registry
from parkplatform.park_names import normalise_park_name, normalise_province
from parkplatform.registry_enrichment import normalise_registry
from simulators.members import MEMBER_FAULT_KINDS, generate_members, write_member_list


@pytest.fixture(scope="module")
def registry(reference_dir) -> pl.DataFrame:
    received = park_registry.validate(park_registry.read_catalogue(reference_dir))
    landed = received.drop("_reject_reason").with_columns(
        pl.lit("park_registry").alias("_source"), pl.lit("b").alias("_batch_id"), pl.lit(None).alias("_loaded_at")
    )
    return normalise_registry(landed)


@pytest.fixture(scope="module")
def members(registry) -> pl.DataFrame:
    return generate_members(registry, n=120, seed=20180101)


@pytest.fixture(scope="module")
def matched(members, registry) -> pl.DataFrame:
    return match_members(members, registry)


def _member(matched: pl.DataFrame, name: str) -> dict:
    return matched.filter(pl.col("member_name") == name).row(0, named=True)


def _sha_code(key: str, province: str) -> str:
    return "A" + hashlib.sha1(f"{key}|{province}".encode()).hexdigest()[:6]


def test_name_normalisation():
    names = pl.DataFrame(
        {
            "name": [
                "苏州高新区",
                "江苏省 苏州高新区",
                "江苏苏州高新技术产业开发区",
                "中德(沈阳)高端装备制造产业园",
                "中德（沈阳）高端装备制造产业园",
                "广西-东盟经开区",
                "无锡综保区",
            ]
        }
    )
    assert names.select(normalise_park_name(pl.col("name")))["name"].to_list() == [
        "苏州高新技术产业开发区",
        "苏州高新技术产业开发区",
        "苏州高新技术产业开发区",
        "中德沈阳高端装备制造产业园",
        "中德沈阳高端装备制造产业园",
        "东盟经济技术开发区",
        "无锡综合保税区",
    ]
    provinces = pl.DataFrame({"p": ["江苏", "江苏省", "广西", None, "Ontario"]})
    assert provinces.select(normalise_province(pl.col("p")))["p"].to_list() == [
        "江苏省",
        "江苏省",
        "广西壮族自治区",
        None,
        "Ontario",
    ]


def test_founding_examples(matched):
    north = _member(matched, "辽宁北方新材料产业园")
    assert (north["match_status"], north["park_id"], north["catalogue_code"]) == ("name", "S219066", "S219066")
    expected = {
        "京津科技谷产业园": _sha_code("京津科技谷产业园", "天津市"),
        "天津鑫茂科技园": _sha_code("鑫茂科技园", "天津市"),
        "四川长江工业园": _sha_code("长江工业园", "四川省"),
    }
    for name, code in expected.items():
        row = _member(matched, name)
        assert (row["match_status"], row["park_id"], row["candidate_park_ids"]) == ("alliance_only", code, [])


def test_alliance_codes_are_stable(members, registry, matched):
    founding = ["京津科技谷产业园", "天津鑫茂科技园", "四川长江工业园"]
    # another member list (other seed, other size, other order, other ids) gives the same codes
    other = (
        generate_members(registry, n=40, seed=7).reverse().with_columns(("X" + pl.col("member_id")).alias("member_id"))
    )
    again = match_members(other, registry)
    # and a member writing the name differently (short province, spaces) is the same alliance park
    variant = pl.DataFrame(
        {"member_id": ["v1"], "member_name": ["天津 鑫茂科技园"], "province": ["天津"], "zone_code": [None]},
        schema_overrides={"zone_code": pl.String},
    )
    variant_code = match_members(variant, registry)["park_id"].item()
    codes = dict(matched.filter(pl.col("member_name").is_in(founding)).select("member_name", "park_id").iter_rows())
    assert codes == dict(
        again.filter(pl.col("member_name").is_in(founding)).select("member_name", "park_id").iter_rows()
    )
    assert variant_code == codes["天津鑫茂科技园"]
    assert len(set(codes.values())) == 3


def test_abbreviation_matches_its_zone(matched):
    row = _member(matched, "苏州高新区")
    assert (row["match_status"], row["park_id"], row["catalogue_name"]) == ("name", "G322018", "苏州高新技术产业开发区")


def test_every_sampled_catalogue_member_finds_its_zone(matched):
    sampled = matched.filter(pl.col("generated_as").is_in(["coded", "exact", "abbreviated", "altered"]))
    assert sampled.height == 108  # 107 sampled zones + 苏州高新区
    assert (sampled["catalogue_code"] == sampled["expected_zone_code"]).all()
    assert set(sampled.filter(pl.col("generated_as") == "coded")["match_status"]) == {"code"}
    assert set(sampled.filter(pl.col("generated_as") != "coded")["match_status"]) == {"name"}
    # the variants really differ from the catalogue's spelling
    assert (
        sampled.filter(pl.col("generated_as") == "altered")["member_name"]
        != sampled.filter(pl.col("generated_as") == "altered")["catalogue_name"]
    ).all()


def test_match_rate_and_ambiguous_members_are_reported(matched, registry):
    report = match_report(matched, registry)
    assert report.members == 120
    assert report.by_status == {"code": 27, "name": 82, "ambiguous": 2, "review": 0, "alliance_only": 9}
    assert report.match_rate == pytest.approx(109 / 120)
    ambiguous = report.ambiguous
    assert ambiguous["member_name"].to_list() == ["东乡经济开发区", "苏州综保区"]
    assert ambiguous["candidate_park_ids"].to_list() == [["S367087", "S627030"], ["G323040", "G323041"]]
    assert ambiguous["candidates"].to_list()[1] == [
        "G323040 苏州高新技术产业开发区综合保税区 (江苏省)",
        "G323041 苏州工业园综合保税区 (江苏省)",
    ]
    # nothing is picked for them
    assert matched.filter(pl.col("match_status") == "ambiguous")["park_id"].null_count() == 2
    assert set(matched.filter(pl.col("generated_as") == "not_in_catalogue")["match_status"]) == {"alliance_only"}


def test_codes_narrowing_review_and_type_sensitivity(registry):
    members = pl.DataFrame(
        {
            "member_id": ["a", "b", "c", "d", "e", "f"],
            "member_name": ["山东临淄经济开发区", "某园", "无锡综保区", "张江高新区", "任意名称", "淄川经开区"],
            "province": ["山东省", "山东省", "江苏", "上海", None, "山东"],
            "zone_code": ["S377018", "S377018", None, None, "g216034", None],
        }
    )
    rows = {row["member_id"]: row for row in match_members(members, registry).iter_rows(named=True)}
    # S377018 names two zones in the source: the member's name decides...
    assert rows["a"]["match_status"] == "code" and rows["a"]["catalogue_name"] == "山东临淄经济开发区"
    # ...and when it cannot, both are listed and neither is picked
    assert rows["b"]["match_status"] == "ambiguous" and rows["b"]["park_id"] is None
    assert len(rows["b"]["candidate_park_ids"]) == 2
    # one zone of the same type whose stem starts with 无锡: proposed for review, not picked
    assert rows["c"]["match_status"] == "review" and rows["c"]["candidate_park_ids"] == ["G323035"]
    assert rows["c"]["park_id"] is None
    assert rows["d"]["park_id"] == "G312014"  # 上海张江高新技术产业开发区, province prefix handled
    assert rows["e"]["match_status"] == "code" and rows["e"]["park_id"] == "G216034"  # code is case-insensitive
    # 山东淄川经济开发区 is an 经济开发区, not an 经济技术开发区: no match invented
    assert rows["f"]["match_status"] == "alliance_only"


def test_generator_is_deterministic_and_labelled(registry, members):
    assert members.equals(generate_members(registry, n=120, seed=20180101))
    assert not members.equals(generate_members(registry, n=120, seed=1))
    assert members["member_id"].n_unique() == 120
    assert set(members["data_origin"]) == {"generated"}
    assert {"辽宁北方新材料产业园", "京津科技谷产业园", "天津鑫茂科技园", "四川长江工业园"} <= set(
        members["member_name"]
    )
    assert (
        members.filter(pl.col("generated_as") == "abbreviated")["member_name"]
        .str.contains("经开区|高新区|综保区")
        .all()
    )
    with pytest.raises(ValueError, match="at least"):
        generate_members(registry, n=5, seed=1)


MEMBER_FAULT_REASONS = {
    "missing_name": "member_name: missing",
    "duplicate_member_id": "member_id: duplicate (kept the first row)",
    "bad_join_date": "join_date: not a date (YYYY-MM-DD)",
    "unknown_committee": (
        "committees: not among north_america, europe, africa, latin_america, southeast_asia, arab_states"
    ),
}


def test_member_list_faults_are_quarantined_with_their_reason_and_the_rest_matched(registry, members, tmp_path):
    day = date(2026, 11, 23)
    path = tmp_path / "export" / "members.csv"
    written = write_member_list(members, path, bad_row_rate=0.05, seed=3)
    assert set(MEMBER_FAULT_KINDS) <= set(written["fault"].drop_nulls())

    report = land_members(read_member_list(path), registry, logical_date=day, landing_dir=tmp_path / "landing")
    assert (report.received, report.landed, report.quarantined) == (120, 114, 6)
    quarantined = pl.read_parquet(Path(report.path) / "quarantined.parquet").sort("_source_row")
    # the CSV line of written row i is i + 2 (line 1 is the header)
    expected = (
        written.with_row_index("row")
        .filter(pl.col("fault").is_not_null())
        .select((pl.col("row") + 2).cast(pl.Int64).alias("_source_row"), pl.col("fault").replace(MEMBER_FAULT_REASONS))
    )
    assert quarantined.select("_source_row", pl.col("_reject_reason").alias("fault")).equals(expected)
    landed = pl.read_parquet(Path(report.path) / "landed.parquet")
    assert landed["member_id"].is_unique().all() and landed["match_status"].null_count() == 0
    # the batch records the match rate and the members left for a person to decide
    assert report.details["by_status"] == {"code": 25, "name": 79, "ambiguous": 2, "review": 0, "alliance_only": 8}
    assert report.details["match_rate"] == round(104 / 114, 4)
    assert [member["member_name"] for member in report.details["for_review"]] == ["东乡经济开发区", "苏州综保区"]
    # a rerun of the date replaces the batch: same rows, no duplicates
    again = land_members(read_member_list(path), registry, logical_date=day, landing_dir=tmp_path / "landing")
    assert (again.received, again.landed, again.quarantined) == (120, 114, 6)
    assert pl.read_parquet(Path(again.path) / "landed.parquet").drop("_loaded_at").equals(landed.drop("_loaded_at"))


def test_a_member_joining_after_the_logical_date_is_quarantined(registry, tmp_path):
    day = date(2026, 1, 1)
    path = tmp_path / "export" / "members.csv"
    row = {"member_id": "X1", "member_name": "中白工业园", "province": None, "city": "明斯克", "country_iso3": "BLR"}
    members = pl.DataFrame([row | {"zone_code": None, "join_date": date(2026, 3, 1), "committees": "europe"}])
    write_member_list(members, path, bad_row_rate=0, seed=1)
    report = land_members(read_member_list(path), registry, logical_date=day, landing_dir=tmp_path / "landing")
    assert report.quarantine_reasons == {"join_date: after the logical date 2026-01-01": 1}
