"""Registry enrichment on the real 2018 catalogue: geocode flags, typos, industries, clusters.

The counts were checked by hand against parks/development_zones_2018.csv (grep/awk on the raw
CSV, independently of Polars).
"""

from __future__ import annotations

import polars as pl
import pytest

from parkplatform import catalogue as park_registry
from parkplatform.registry_enrichment import (
    CLUSTER_KEYWORDS_FILE,
    cluster_coverage,
    flag_suspect_geocodes,
    flag_typos,
    load_cluster_keywords,
    main,
    map_clusters,
    normalise_registry,
    split_leading_industries,
)

XINJIANG_PLACEHOLDERS = {(87.072143, 44.098379): 22, (80.378629, 40.65968): 29}
DESIGN_CLUSTERS = {
    "new_materials",
    "electronic_information",
    "equipment_manufacturing",
    "automotive",
    "biomedicine",
    "new_energy",
    "energy_saving_environment",
    "petroleum_gas_equipment",
    "semiconductor_lighting",
    "chemicals",
    "metallurgy",
    "building_materials",
    "textiles_apparel",
    "food",
    "logistics",
    "e_commerce",
    "software_it_services",
    "finance_business_services",
    "cultural_tourism",
    "modern_agriculture",
}


@pytest.fixture(scope="module")
def registry(reference_dir) -> pl.DataFrame:
    received = park_registry.validate(park_registry.read_catalogue(reference_dir))
    assert received["_reject_reason"].null_count() == received.height
    landed = received.drop("_reject_reason").with_columns(
        pl.lit("park_registry").alias("_source"), pl.lit("b").alias("_batch_id"), pl.lit(None).alias("_loaded_at")
    )
    return normalise_registry(landed)


@pytest.fixture(scope="module")
def geocoded(registry) -> pl.DataFrame:
    return flag_suspect_geocodes(registry)


def test_xinjiang_placeholder_points_are_shared_and_suspect(geocoded):
    for (lon, lat), zones in XINJIANG_PLACEHOLDERS.items():
        on_point = geocoded.filter((pl.col("longitude") == lon) & (pl.col("latitude") == lat))
        assert on_point.height == zones
        assert on_point["geocode_point_zones"].unique().to_list() == [zones]
        assert on_point["geocode_shared_point"].all()
        assert set(on_point["geocode_quality"]) == {"suspect"}
        assert set(on_point["geocode_status"]) == {"ok"}, "the source still says ok: that is the fault"
    # every point shared by zones with different 城市/区县: 40 points, 146 zones (checked on the CSV)
    shared = geocoded.filter("geocode_shared_point")
    assert shared.height == 146
    assert shared.select("longitude", "latitude").unique().height == 40


def test_same_point_same_city_is_not_a_shared_point(geocoded):
    # the two 中哈霍尔果斯国际 zones and the eight 张江 parks on one point share their 城市/区县
    khorgos = geocoded.filter(pl.col("city_district") == "中哈霍尔果斯国际")
    assert khorgos.height == 2 and not khorgos["geocode_shared_point"].any()
    zhangjiang = geocoded.filter((pl.col("longitude") == 114.935158) & (pl.col("latitude") == 25.81427))
    assert zhangjiang.height == 8 and not zhangjiang["geocode_shared_point"].any()
    # ...but their address lies in 江西省, not 上海市
    assert zhangjiang["geocode_province_mismatch"].all()
    assert set(zhangjiang["geocode_address_province"]) == {"江西省"}


def test_province_mismatch_uses_full_and_short_names(geocoded):
    assert geocoded["geocode_province_mismatch"].sum() == 152
    row = geocoded.filter(pl.col("park_id") == "G156020").row(0, named=True)
    assert (row["province_name"], row["geocode_address_province"], row["geocode_province_mismatch"]) == (
        "内蒙古自治区",
        "黑龙江省",
        True,
    )
    # 珠澳跨境工业区: the address is in Macao, not one of the 31 provinces: no evidence of a mismatch
    macao = geocoded.filter(pl.col("park_id") == "G443108").row(0, named=True)
    assert macao["geocode_address_province"] is None and macao["geocode_province_mismatch"] is False


def test_geocode_quality_levels_follow_the_rule(geocoded):
    counts = dict(geocoded["geocode_quality"].value_counts().iter_rows())
    assert set(counts) <= {"ok", "suspect", "city_only", "missing"}
    assert counts.get("missing", 0) == 0  # every real row has a point
    suspect = geocoded.filter(pl.col("geocode_shared_point") | pl.col("geocode_province_mismatch"))
    assert counts["suspect"] == suspect.height
    # the ten rows the geocoder marked city_only are city_only unless they are also suspect
    marked = geocoded.filter(pl.col("geocode_status") == "city_only")
    assert marked.height == 10
    assert set(marked["geocode_quality"]) <= {"city_only", "suspect"}
    # a province/prefecture-only address is a centroid even when the source says ok
    hefei = geocoded.filter(pl.col("park_id") == "G343064").row(0, named=True)
    assert (hefei["formatted_address"], hefei["geocode_status"]) == ("安徽省合肥市", "ok")
    assert hefei["geocode_quality"] == "city_only"
    # suspect wins over city_only: three Shenyang zones with different 城市/区县 on one centroid
    shenyang = geocoded.filter(pl.col("park_id") == "G216022").row(0, named=True)
    assert (shenyang["formatted_address"], shenyang["geocode_point_zones"]) == ("辽宁省沈阳市", 3)
    assert shenyang["geocode_quality"] == "suspect"
    precise = geocoded.filter(pl.col("park_id") == "G216034").row(0, named=True)
    assert precise["geocode_quality"] == "ok"


def test_missing_and_out_of_range_points():
    frame = pl.DataFrame(
        {
            "park_id": ["a", "b", "c"],
            "city_district": ["甲", "乙", "丙"],
            "province_name": ["江苏省", "江苏省", "江苏省"],
            "longitude": [None, 10.0, 118.8],
            "latitude": [32.0, 10.0, 32.0],
            "formatted_address": [None, "江苏省南京市玄武区某路", "江苏省南京市玄武区某路"],
            "geocode_status": ["ok", "ok", "ok"],
        }
    )
    assert flag_suspect_geocodes(frame)["geocode_quality"].to_list() == ["missing", "suspect", "ok"]


def test_typos_are_flagged_and_values_kept(registry):
    flagged = flag_typos(registry)
    assert flagged["zone_name"].equals(registry["zone_name"])
    with_flags = flagged.filter(pl.col("typo_flags").is_not_null())
    # 湽博 (1) + "食品.、木制品加工" (1) + 城市/区县 starting 省/自治区 (24) + "—东盟" (1) + "额尔古纳自治区级" (1)
    assert with_flags.height == 28
    flags = dict(with_flags.select("park_id", "typo_flags").iter_rows())
    assert "zone_name: known misspelling 湽博 (for 淄博)" in flags["G372026"]
    assert "city_district: known misspelling 湽博 (for 淄博)" in flags["G372026"]
    assert flags["S237008"] == "leading_industries: stray punctuation '.' in 食品.、木制品加工、医药"
    assert flags["S328112"] == "city_district: province-name leftover at the start of 省南京白马"
    assert flags["S549004"] == "city_district: province-name leftover at the start of 自治区藏青"
    assert flags["G451185"] == "city_district: dangling dash in —东盟"
    assert flags["S159060"] == "city_district: approval-level leftover in 额尔古纳自治区级"
    # 市北 (上海市北工业园区) is a real place name, not a leftover; 中国—马来西亚钦州 is a name
    assert "S319001" not in flags and "G451187" not in flags


def test_typo_rules_on_small_frame():
    frame = pl.DataFrame(
        {
            "zone_name": ["甲", "乙", "丙"],
            "city_district": ["南京", "南京—", None],
            "leading_industries": ["电子、、汽车", "食品", None],
            "formatted_address": [None, None, "山东省湽博市"],
        }
    )
    assert flag_typos(frame)["typo_flags"].to_list() == [
        "leading_industries: empty item or dangling separator in 电子、、汽车",
        "city_district: dangling dash in 南京—",
        "formatted_address: known misspelling 湽博 (for 淄博)",
    ]


def test_split_leading_industries(registry):
    terms = split_leading_industries(registry)
    assert terms.columns == ["park_id", "industry_term", "position"]
    # 114 zones with 4 terms, 1,860 with 3, 425 with 2, 144 with 1: 7,030 terms
    assert terms.height == 7030
    assert terms["park_id"].n_unique() == 2543
    assert terms.filter(pl.col("park_id") == "S237008").rows() == [
        ("S237008", "食品", 1),
        ("S237008", "木制品加工", 2),
        ("S237008", "医药", 3),
    ]
    mixed = pl.DataFrame({"park_id": ["x"], "leading_industries": [" 电子信息，汽车; 新材料/物流 、 。食品. 、"]})
    assert split_leading_industries(mixed)["industry_term"].to_list() == ["电子信息", "汽车", "新材料", "物流", "食品"]
    assert split_leading_industries(mixed)["position"].to_list() == [1, 2, 3, 4, 5]


def test_keyword_seed_defines_the_design_clusters():
    seed = load_cluster_keywords()
    assert seed.columns == ["cluster_code", "cluster_name_cn", "cluster_name_en", "keyword"]
    assert set(seed["cluster_code"]) == DESIGN_CLUSTERS
    assert seed.null_count().sum_horizontal().item() == 0
    names = seed.select("cluster_code", "cluster_name_cn", "cluster_name_en").unique()
    assert names.height == 20, "one Chinese and one English name per cluster"
    assert CLUSTER_KEYWORDS_FILE.parent.name == "seeds"


def test_map_clusters_prefers_the_longer_keyword():
    terms = pl.DataFrame(
        {
            "park_id": ["p"] * 8,
            "industry_term": [
                "电子商务",
                "机械电子",
                "非金属矿物制品",
                "石油机械",
                "新能源汽车",
                "生物质能源",
                "轻工",
                "在建",
            ],
            "position": list(range(1, 9)),
        }
    )
    mapped = map_clusters(terms)
    by_term = mapped.group_by("industry_term").agg(pl.col("cluster_code").sort())
    assert dict(by_term.iter_rows()) == {
        "电子商务": ["e_commerce"],
        "机械电子": ["electronic_information", "equipment_manufacturing"],
        "非金属矿物制品": ["building_materials"],
        "石油机械": ["petroleum_gas_equipment"],
        "新能源汽车": ["automotive"],
        "生物质能源": ["new_energy"],
    }, "generic words (轻工, 在建) stay unmapped"


def test_coverage_on_the_real_catalogue_is_at_least_95_percent(registry):
    report = cluster_coverage(registry)
    assert report.zones == 2543
    assert report.share >= 0.95
    assert report.zones_with_cluster + report.unmapped_zones.height == report.zones
    assert set(report.zones_per_cluster["cluster_code"]) == DESIGN_CLUSTERS
    unmapped = report.unmapped_terms
    assert unmapped.columns == ["industry_term", "occurrences", "zones"]
    assert unmapped["occurrences"].sum() == report.terms - report.terms_mapped
    # the most frequent unmapped terms are generic or outside the twenty clusters, on purpose
    assert unmapped.head(3)["industry_term"].to_list() == ["电力", "能源", "木材加工"]
    # 13 customs zones declare only 在建 (under construction): nothing to map
    assert unmapped.filter(pl.col("industry_term") == "在建")["zones"].item() == 13


def test_cli_prints_coverage(monkeypatch, reference_dir, data_dir, capsys):
    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    assert main(["--top", "5"]) == 0
    out = capsys.readouterr().out
    assert "zone coverage" in out and "电力" in out and "catalogue_2018" in out
