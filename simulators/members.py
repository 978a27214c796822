"""A simulated alliance member list: what the alliance's CRM would export, written where it would be.

:func:`generate_members` makes a deterministic sample member list from real catalogue names: exact
names, codes, abbreviations, written variants, the founding meeting's examples and parks the catalogue
does not list; :func:`write_member_list` writes it as the CRM exports it, with faulty rows, and marks the
export folder generated.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from extractors.alliance_members.extract import COMMITTEES, EXPORT_COLUMNS, MEMBER_LIST_FILE, SOURCE
from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.origin import ORIGIN_GENERATED
from parkplatform.park_names import ABBREVIATIONS
from simulators.sending import send

FOUNDING_MEMBERS = (
    # name as written, province as written, city, founding note
    ("辽宁北方新材料产业园", "辽宁省", "沈阳", "catalogue zone S219066"),
    ("京津科技谷产业园", "天津市", "天津", "not in the catalogue"),
    ("天津鑫茂科技园", "天津市", "天津", "company-run, not in the catalogue"),
    ("四川长江工业园", "四川省", "宜宾", "founded 2014, not in the catalogue"),
)
# Parks the 2018 catalogue does not list: company-run or approved later (China) and overseas parks.
NON_CATALOGUE_PARKS = (
    ("长沙金霞智慧物流园", "湖南省", "长沙", "CHN", "company-run"),
    ("青岛蓝谷海洋科技园", "山东", "青岛", "CHN", "approved after 2018"),
    ("重庆两江数字经济产业园", "重庆市", "重庆", "CHN", "approved after 2018"),
    ("中白工业园", None, "明斯克", "BLR", "overseas"),
    ("泰中罗勇工业园", None, "罗勇", "THA", "overseas"),
    ("中埃·泰达苏伊士经贸合作区", None, "苏伊士", "EGY", "overseas"),
)
# Written so that the catalogue cannot decide alone: two candidates each.
AMBIGUOUS_MEMBERS = (
    ("东乡经济开发区", None, None, "same name in 江西省 and 甘肃省, no province given"),
    ("苏州综保区", "江苏", "苏州", "two 综合保税区 in 苏州"),
)
# An abbreviation that must resolve to its zone (G322018).
ABBREVIATED_MEMBERS = (("苏州高新区", "江苏省", "苏州", "abbreviation of 苏州高新技术产业开发区"),)
FIXED_CATALOGUE_CODES = ("S219066", "G322018")
VARIANTS = ("coded", "exact", "abbreviated", "altered")


def _abbreviate(name: str) -> str:
    for short, full in ABBREVIATIONS.items():
        name = name.replace(full, short)
    return name


def _alter(name: str, province_full: str, province_short: str, choice: int) -> str:
    """A written variant that normalisation undoes: province prefix added or dropped, spaces, brackets."""
    prefix = next((p for p in (province_full, province_short) if name.startswith(p)), "")
    if choice == 0:
        return name[len(prefix) :] if prefix else province_short + name
    cut = len(prefix) or 2
    if choice == 1:
        return f"{name[:cut]} {name[cut:]}"
    if "（" in name:
        return name.replace("（", "(").replace("）", ")")
    return f"{name[:cut]}（{name[cut:]}）"


def generate_members(registry: pl.DataFrame, n: int = 120, seed: int = 20180101) -> pl.DataFrame:
    """A deterministic sample member list of ``n`` parks (fewer on a registry too small), labelled generated.

    Holds the founding meeting's four examples, two members the catalogue cannot decide
    (ambiguous), 苏州高新区, six parks outside the catalogue (company-run, approved after 2018,
    overseas) and real catalogue zones written four ways in turn: with their code, by exact
    name, abbreviated (经开区/高新区/综保区 where the name has the long form) and altered
    (province prefix added or dropped, spaces, brackets). ``generated_as`` says which and
    ``expected_zone_code`` is the catalogue zone the member really is (null when none or
    undecidable), so that tests know the truth.
    """
    fixed = [
        *(
            (name, prov, city, "CHN", None, "founding", note, "S219066" if "S219066" in note else None)
            for name, prov, city, note in FOUNDING_MEMBERS
        ),
        *((name, prov, city, "CHN", None, "ambiguous", note, None) for name, prov, city, note in AMBIGUOUS_MEMBERS),
        *(
            (name, prov, city, "CHN", None, "abbreviated", note, "G322018")
            for name, prov, city, note in ABBREVIATED_MEMBERS
        ),
        *(
            (name, prov, city, iso3, None, "not_in_catalogue", note, None)
            for name, prov, city, iso3, note in NON_CATALOGUE_PARKS
        ),
    ]
    if n < len(fixed):
        raise ValueError(f"n must be at least {len(fixed)} (the fixed examples)")
    rng = np.random.default_rng(seed)
    provinces = catalogue.provinces()
    short_of = dict(zip(provinces["province_name_cn"], provinces["province_short_cn"], strict=True))

    pool = registry.filter(~pl.col("zone_code").is_in(FIXED_CATALOGUE_CODES)).sort("park_id")
    # a small (generated) registry cannot fill the list: then every zone of it is a member
    picks = rng.choice(pool.height, size=min(n - len(fixed), pool.height), replace=False)
    sampled = pool[picks.tolist()].select("zone_code", "zone_name", "province_name", "city_district")
    alterations = rng.integers(0, 3, sampled.height)
    short_province = rng.random(sampled.height) < 0.3

    rows = list(fixed)
    for i, (code, name, province, city) in enumerate(sampled.iter_rows()):
        variant = VARIANTS[i % len(VARIANTS)]
        if variant == "abbreviated" and _abbreviate(name) == name:
            variant = "exact"
        written = {
            "coded": name,
            "exact": name,
            "abbreviated": _abbreviate(name),
            "altered": _alter(name, province, short_of[province], int(alterations[i])),
        }[variant]
        written_province = short_of[province] if short_province[i] else province
        coded = code if variant == "coded" else None
        rows.append((written, written_province, city, "CHN", coded, variant, f"catalogue name {name}", code))

    committees = [
        ",".join(sorted({COMMITTEES[j] for j in rng.choice(len(COMMITTEES), size=rng.integers(1, 3), replace=False)}))
        for _ in rows
    ]
    start = date(2015, 1, 1)
    joined = [start + timedelta(days=int(days)) for days in rng.integers(0, 4300, len(rows))]
    return pl.DataFrame(
        {
            "member_id": [f"M{i + 1:04d}" for i in range(len(rows))],
            "member_name": [row[0] for row in rows],
            "province": [row[1] for row in rows],
            "city": [row[2] for row in rows],
            "country_iso3": [row[3] for row in rows],
            "zone_code": [row[4] for row in rows],
            "join_date": joined,
            "committees": committees,
            "generated_as": [row[5] for row in rows],
            "generated_note": [row[6] for row in rows],
            "expected_zone_code": [row[7] for row in rows],
            "data_origin": ORIGIN_GENERATED,
        },
        schema_overrides={
            "province": pl.String,
            "city": pl.String,
            "zone_code": pl.String,
            "expected_zone_code": pl.String,
        },
    )


MEMBER_FAULT_KINDS = ("missing_name", "duplicate_member_id", "bad_join_date", "unknown_committee")


def write_member_list(members: pl.DataFrame, target: Path, *, bad_row_rate: float, seed: int) -> pl.DataFrame:
    """Write the member list as the CRM exports it, with round(rate x rows) rows corrupted (kinds in
    turn, at least one of each when the rate is positive); returns the rows written with ``fault``
    (null for a clean row), the truth the tests check the quarantine against."""
    rng = np.random.default_rng(seed)
    n_bad = max(round(bad_row_rate * members.height), len(MEMBER_FAULT_KINDS)) if bad_row_rate > 0 else 0
    bad = np.sort(rng.choice(np.arange(1, members.height), size=min(n_bad, members.height - 1), replace=False))
    kinds = pl.DataFrame(
        {"_row": bad, "fault": [MEMBER_FAULT_KINDS[i % len(MEMBER_FAULT_KINDS)] for i in range(bad.size)]},
        schema={"_row": pl.Int64, "fault": pl.String},
    )
    fault = pl.col("fault")
    written = (
        members.with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64), pl.col("join_date").cast(pl.String))
        .join(kinds, on="_row", how="left")
        .with_columns(
            pl.when(fault == "missing_name").then(None).otherwise(pl.col("member_name")).alias("member_name"),
            # a second record under the id of the row before it, as a CRM merge gone wrong would leave
            pl.when(fault == "duplicate_member_id")
            .then(pl.col("member_id").shift(1))
            .otherwise(pl.col("member_id"))
            .alias("member_id"),
            pl.when(fault == "bad_join_date")
            .then(pl.col("join_date").str.replace_all("-", "/"))
            .otherwise(pl.col("join_date"))
            .alias("join_date"),
            pl.when(fault == "unknown_committee")
            .then(pl.col("committees") + ",oceania")
            .otherwise(pl.col("committees"))
            .alias("committees"),
        )
        .drop("_row")
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    written.select(EXPORT_COLUMNS).write_csv(target)
    return written


def write_export(settings: Settings, logical_date: date) -> Path:
    """The member list as the CRM exports it for ``logical_date`` (parks that join later are not members
    yet), sent into the inbox as the CRM's export would be; returns its path in the inbox."""
    registry = registry_enrichment.registry_frame(catalogue.read_registry(settings))
    members = generate_members(registry, seed=settings.seed)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.data_dir) as scratch:
        path = Path(scratch) / MEMBER_LIST_FILE
        write_member_list(
            members.filter(pl.col("join_date") <= logical_date),
            path,
            bad_row_rate=settings.bad_row_rate,
            seed=settings.seed,
        )
        (received,) = send(
            settings, SOURCE, [(path, None)], period=logical_date.isoformat(), sender="simulators.members"
        )
    return received
