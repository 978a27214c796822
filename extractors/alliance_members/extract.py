"""Alliance member parks matched to the catalogue (DESIGN.md section 3, "Alliance member parks").

The alliance keeps its own member list: the park's name as the member writes it, province and city,
join date, committees, sometimes the catalogue code. :func:`match_members` resolves each member, in
this order:

1. ``code``: the member gave a catalogue code (代码) that names exactly one zone. A code the source
   gives to several zones (S377018) is narrowed with the member's normalised name.
2. ``name``: the normalised name (see :func:`normalise_park_name`) equals the normalised name of
   exactly one catalogue zone in the member's province (in any province when the member gave none).
3. Otherwise the member is *not* matched automatically:

   - ``ambiguous``: more than one catalogue candidate (same normalised name, e.g. 东乡经济开发区 in
     江西 and 甘肃 for a member without province; or, when no name is equal, several zones of the
     same type in the province whose distinctive stem starts with the member's, e.g. 苏州综保区 →
     苏州工业园综合保税区 and 苏州高新技术产业开发区综合保税区). Candidates are listed for review.
   - ``review``: exactly one such stem candidate: a likely match that a person confirms.
   - ``alliance_only``: no candidate at all. The park gets its own stable code
     ``"A" + first 6 hex of sha1("<normalised name>|<province>")`` (province as its full name, empty
     when unknown), so the code does not depend on row order, member ids or the run.

``park_id`` is the catalogue ``park_id`` (code/name), the alliance code (alliance_only) or null
(ambiguous/review: nothing is picked automatically).

As a source (:func:`extract`), the member list is the CRM's export ``members.csv``; each row is
validated first (:data:`MEMBER_RULES`: id, name, join date, committees), a failing row is quarantined
with its reason, and the valid rows are matched and landed with their match status; the match rate
and the members left for review are logged with the batch.

:func:`generate_members` makes a deterministic sample member list from real catalogue names
(labelled ``data_origin = generated``): exact names, codes, abbreviations, written variants, the
founding meeting's examples and parks the catalogue does not list.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from extractors import park_registry
from parkplatform.config import Settings
from parkplatform.landing import BatchReport, first_reject_reason, land_batch, read_text_csv

log = logging.getLogger(__name__)

# As members write them → as the catalogue writes them.
ABBREVIATIONS = {
    "经开区": "经济技术开发区",
    "高新区": "高新技术产业开发区",
    "综保区": "综合保税区",
}
# Spaces, brackets of every width, middle dots and dashes carry no meaning in a park's name.
NAME_NOISE = r"[\s()\[\]{}<>（）【】〔〕［］《》「」『』〈〉·・•—–\-－~～_]"
# Zone-type endings, longest first: the part of a name before one is its distinctive stem.
ZONE_TYPE_SUFFIXES = (
    "边境经济合作区",
    "高新技术产业开发区",
    "高新技术产业园区",
    "经济技术开发区",
    "出口加工区",
    "旅游度假区",
    "综合保税区",
    "工业集中区",
    "经济开发区",
    "产业园区",
    "工业园区",
    "保税港区",
    "保税区",
    "开发区",
    "产业园",
    "工业园",
    "科技园",
)
MIN_STEM_CHARS = 2
MATCH_STATUSES = ("code", "name", "ambiguous", "review", "alliance_only")
MEMBER_COLUMNS = ("member_id", "member_name", "province", "zone_code")

# The alliance's regional committees (DESIGN.md section 4); a member park may sit in several.
COMMITTEES = ("north_america", "europe", "africa", "latin_america", "southeast_asia", "arab_states")
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


# --------------------------------------------------------------------------- normalisation


def _province_lookup() -> tuple[str, dict[str, str]]:
    table = park_registry.provinces()
    to_full = dict(zip(table["province_name_cn"], table["province_name_cn"], strict=True))
    to_full |= dict(zip(table["province_short_cn"], table["province_name_cn"], strict=True))
    return "|".join(sorted(to_full, key=len, reverse=True)), to_full


def normalise_province(province: pl.Expr) -> pl.Expr:
    """A province as its full catalogue name (江苏, 江苏省 → 江苏省); unknown names stay as written."""
    _, to_full = _province_lookup()
    trimmed = province.str.strip_chars().replace("", None)
    return trimmed.replace_strict(to_full, default=trimmed, return_dtype=pl.String)


def normalise_park_name(name: pl.Expr) -> pl.Expr:
    """The comparable form of a park name.

    Unicode NFKC (full-width → half-width), spaces, brackets, middle dots and dashes removed (their
    content kept), abbreviations expanded (经开区, 高新区, 综保区) and a leading province name
    removed (江苏省/江苏 苏州高新区 → 苏州高新技术产业开发区), since members write it or leave it out.
    The province is compared separately.
    """
    alternatives, _ = _province_lookup()
    normalised = name.str.normalize("NFKC").str.replace_all(NAME_NOISE, "")
    for short, full in ABBREVIATIONS.items():
        normalised = normalised.str.replace_all(short, full, literal=True)
    return normalised.str.replace(f"^({alternatives})", "").replace("", None)


def _stem_and_suffix(key: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    pattern = "(" + "|".join(ZONE_TYPE_SUFFIXES) + ")$"
    suffix = key.str.extract(pattern, 1)
    stem = key.str.replace(pattern, "")
    return stem, suffix


def alliance_code(key: str, province: str | None) -> str:
    """The stable code of an alliance-only park from its normalised name and full province name."""
    return "A" + hashlib.sha1(f"{key}|{province or ''}".encode()).hexdigest()[:6]


# --------------------------------------------------------------------------- matching


def _registry_keys(registry: pl.DataFrame) -> pl.DataFrame:
    stem, suffix = _stem_and_suffix(pl.col("key"))
    return (
        registry.select(
            "park_id",
            pl.col("zone_code").alias("catalogue_code"),
            "zone_name",
            pl.col("province_name").alias("catalogue_province"),
        )
        .with_columns(normalise_park_name(pl.col("zone_name")).alias("key"))
        .with_columns(stem.alias("stem"), suffix.alias("suffix"))
    )


def _candidates(pairs: pl.DataFrame, name: str) -> pl.DataFrame:
    return pairs.group_by("member_id").agg(pl.col("park_id").unique().sort().alias(name))


def match_members(members: pl.DataFrame, registry: pl.DataFrame) -> pl.DataFrame:
    """Each member with ``member_key``, ``member_province``, ``match_status``, ``park_id``,
    ``catalogue_code``, ``catalogue_name`` and ``candidate_park_ids`` (rules in the module docstring).

    ``members`` needs ``member_id`` (unique), ``member_name``, ``province`` and ``zone_code`` (both
    may be null); other columns are kept. ``registry`` is the normalised registry.
    """
    missing = set(MEMBER_COLUMNS) - set(members.columns)
    if missing:
        raise ValueError(f"members lack columns {sorted(missing)}")
    if members["member_id"].is_duplicated().any():
        raise ValueError("member_id must be unique")

    catalogue = _registry_keys(registry)
    stem, suffix = _stem_and_suffix(pl.col("member_key"))
    keyed = members.with_columns(
        normalise_park_name(pl.col("member_name")).alias("member_key"),
        normalise_province(pl.col("province")).alias("member_province"),
        pl.col("zone_code").str.strip_chars().str.to_uppercase().replace("", None).alias("_code"),
    ).with_columns(stem.alias("_stem"), suffix.alias("_suffix"))
    probe = keyed.select("member_id", "member_key", "member_province", "_code", "_stem", "_suffix")

    # 1. by code, narrowed by name where the source repeats a code
    by_code = probe.filter(pl.col("_code").is_not_null()).join(
        catalogue, left_on="_code", right_on="catalogue_code", how="inner"
    )
    same_key = (pl.col("member_key") == pl.col("key")).fill_null(False)
    by_code = by_code.filter((pl.len().over("member_id") == 1) | same_key | (same_key.sum().over("member_id") == 0))
    code_candidates = _candidates(by_code, "_code_candidates")

    # 2. by normalised name within the province (any province when the member gave none)
    same_name = probe.join(catalogue, left_on="member_key", right_on="key", how="inner").filter(
        pl.col("member_province").is_null() | (pl.col("member_province") == pl.col("catalogue_province"))
    )
    name_candidates = _candidates(same_name, "_name_candidates")

    # 3. same zone type in the province, one stem starting with the other
    similar = (
        probe.filter(
            pl.col("member_province").is_not_null()
            & pl.col("_suffix").is_not_null()
            & (pl.col("_stem").str.len_chars() >= MIN_STEM_CHARS)
        )
        .join(
            catalogue.filter(pl.col("stem").str.len_chars() >= MIN_STEM_CHARS),
            left_on=["member_province", "_suffix"],
            right_on=["catalogue_province", "suffix"],
            how="inner",
        )
        .filter(pl.col("stem").str.starts_with(pl.col("_stem")) | pl.col("_stem").str.starts_with(pl.col("stem")))
    )
    stem_candidates = _candidates(similar, "_stem_candidates")

    n_code = pl.col("_code_candidates").list.len().fill_null(0)
    n_name = pl.col("_name_candidates").list.len().fill_null(0)
    n_stem = pl.col("_stem_candidates").list.len().fill_null(0)
    status = (
        pl.when(n_code == 1)
        .then(pl.lit("code"))
        .when(n_name == 1)
        .then(pl.lit("name"))
        .when((n_code > 1) | (n_name > 1) | (n_stem > 1))
        .then(pl.lit("ambiguous"))
        .when(n_stem == 1)
        .then(pl.lit("review"))
        .otherwise(pl.lit("alliance_only"))
    )
    candidates = (
        pl.when(n_code > 0)
        .then(pl.col("_code_candidates"))
        .when(n_name > 0)
        .then(pl.col("_name_candidates"))
        .otherwise(pl.col("_stem_candidates"))
    )
    resolved = (
        keyed.join(code_candidates, on="member_id", how="left")
        .join(name_candidates, on="member_id", how="left")
        .join(stem_candidates, on="member_id", how="left")
        .with_columns(status.alias("match_status"), candidates.fill_null([]).alias("candidate_park_ids"))
    )
    own_codes = (
        resolved.filter(pl.col("match_status") == "alliance_only")
        .select("member_key", "member_province")
        .unique()
        .with_columns(
            pl.struct("member_key", "member_province")
            .map_elements(
                lambda row: alliance_code(row["member_key"] or "", row["member_province"]), return_dtype=pl.String
            )
            .alias("_alliance_code")
        )
    )
    names = catalogue.select("park_id", "catalogue_code", pl.col("zone_name").alias("catalogue_name"))
    return (
        resolved.join(own_codes, on=["member_key", "member_province"], how="left", nulls_equal=True)
        .with_columns(
            pl.when(pl.col("match_status").is_in(["code", "name"]))
            .then(pl.col("candidate_park_ids").list.first())
            .when(pl.col("match_status") == "alliance_only")
            .then(pl.col("_alliance_code"))
            .alias("park_id")
        )
        .join(names, on="park_id", how="left")
        .drop("_code", "_stem", "_suffix", "_code_candidates", "_name_candidates", "_stem_candidates", "_alliance_code")
    )


@dataclass(frozen=True)
class MatchReport:
    members: int
    by_status: dict[str, int]
    ambiguous: pl.DataFrame  # member_id, member_name, member_province, match_status, candidates (names)

    @property
    def matched(self) -> int:
        return self.by_status.get("code", 0) + self.by_status.get("name", 0)

    @property
    def match_rate(self) -> float:
        """Share of members matched to a catalogue zone (by code or name)."""
        return self.matched / self.members if self.members else 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{status} {self.by_status.get(status, 0)}" for status in MATCH_STATUSES)
        return f"{self.members} members, match rate {self.match_rate:.1%} ({counts})"


def match_report(matched: pl.DataFrame, registry: pl.DataFrame) -> MatchReport:
    """Match rate and the members left for review (ambiguous and review), with candidate names."""
    counts = matched.group_by("match_status").len()
    by_status = {status: 0 for status in MATCH_STATUSES} | dict(counts.iter_rows())
    names = registry.select(
        pl.col("park_id").alias("candidate_park_id"),
        pl.format("{} {} ({})", "park_id", "zone_name", "province_name").alias("candidate"),
    )
    open_ = matched.filter(pl.col("match_status").is_in(["ambiguous", "review"]))
    candidates = (
        open_.select("member_id", pl.col("candidate_park_ids").alias("candidate_park_id"))
        .explode("candidate_park_id")
        .join(names, on="candidate_park_id", how="left")
        .group_by("member_id")
        .agg(pl.col("candidate").sort().alias("candidates"))
    )
    ambiguous = (
        open_.select("member_id", "member_name", "member_province", "match_status", "candidate_park_ids")
        .join(candidates, on="member_id", how="left")
        .sort("member_id")
    )
    return MatchReport(members=matched.height, by_status=by_status, ambiguous=ambiguous)


# --------------------------------------------------------------------------- sample generator


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
    provinces = park_registry.provinces()
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
            "data_origin": park_registry.ORIGIN_GENERATED,
        },
        schema_overrides={
            "province": pl.String,
            "city": pl.String,
            "zone_code": pl.String,
            "expected_zone_code": pl.String,
        },
    )


# --------------------------------------------------------------------------- the source

SOURCE = "alliance_members"
MEMBER_LIST_FILE = "members.csv"
# The CRM export's columns, in order (the generator's truth columns are not part of it).
EXPORT_COLUMNS = (
    "member_id",
    "member_name",
    "province",
    "city",
    "country_iso3",
    "zone_code",
    "join_date",
    "committees",
)
MEMBER_FAULT_KINDS = ("missing_name", "duplicate_member_id", "bad_join_date", "unknown_committee")


def member_list_path(sources_dir: Path, logical_date: date) -> Path:
    return sources_dir / SOURCE / f"export_date={logical_date.isoformat()}" / MEMBER_LIST_FILE


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


def member_rules(logical_date: date) -> list[tuple[str, pl.Expr]]:
    """(reason, fails) per rule, first failing rule wins; columns are the export's, as text."""
    committees = pl.col("committees").str.split(",").list.eval(pl.element().str.strip_chars())
    return [
        ("member_id: missing", pl.col("member_id").is_null()),
        ("member_id: duplicate (kept the first row)", pl.col("member_id").is_duplicated() & ~_first_of_id()),
        ("member_name: missing", pl.col("member_name").is_null()),
        ("join_date: not a date (YYYY-MM-DD)", pl.col("join_date").str.to_date("%Y-%m-%d", strict=False).is_null()),
        (
            f"join_date: after the logical date {logical_date}",
            pl.col("join_date").str.to_date("%Y-%m-%d", strict=False) > pl.lit(logical_date),
        ),
        (
            f"committees: not among {', '.join(COMMITTEES)}",
            ~committees.list.eval(pl.element().is_in(COMMITTEES)).list.all(),
        ),
    ]


def _first_of_id() -> pl.Expr:
    return pl.int_range(pl.len()).over("member_id") == 0


def read_member_list(path: Path) -> pl.DataFrame:
    return read_text_csv(path, {column: column for column in EXPORT_COLUMNS})


def land_members(
    received: pl.DataFrame, registry: pl.DataFrame, *, logical_date: date, landing_dir: Path
) -> BatchReport:
    """Validate, match the valid members to ``registry`` (normalised) and land both parts."""
    checked = received.with_columns(first_reject_reason(member_rules(logical_date)))
    valid = checked.filter(pl.col("_reject_reason").is_null())
    matched = match_members(valid, registry)
    report = match_report(matched, registry)
    log.info("%s: %s", SOURCE, report.summary())
    for member_id, name, province, status, candidates in report.ambiguous.select(
        "member_id", "member_name", "member_province", "match_status", "candidates"
    ).iter_rows():
        log.warning("%s: %s %s (%s) is %s: %s", SOURCE, member_id, name, province, status, "; ".join(candidates))
    rejected = checked.filter(pl.col("_reject_reason").is_not_null())
    return land_batch(
        pl.concat([matched.with_columns(pl.col("candidate_park_ids").list.join("|")), rejected], how="diagonal"),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=landing_dir,
        details={
            "match_rate": round(report.match_rate, 4),
            "by_status": report.by_status,
            "for_review": [
                {"member_id": member_id, "member_name": name, "status": status, "candidates": candidates}
                for member_id, name, status, candidates in report.ambiguous.select(
                    "member_id", "member_name", "match_status", "candidates"
                ).iter_rows()
            ],
        },
    )


def extract(settings: Settings, logical_date: date) -> BatchReport:
    """Land the member list exported for ``logical_date`` (generated from the registry, labelled so)."""
    from extractors.registry_enrichment import registry_frame

    registry = registry_frame(park_registry.read_registry(settings))
    path = member_list_path(settings.sources_dir, logical_date)
    members = generate_members(registry, seed=settings.seed)
    write_member_list(
        # parks that join after the export date are not members yet
        members.filter(pl.col("join_date") <= logical_date),
        path,
        bad_row_rate=settings.bad_row_rate,
        seed=settings.seed,
    )
    received = read_member_list(path).with_columns(pl.lit(park_registry.ORIGIN_GENERATED).alias("data_origin"))
    return land_members(received, registry, logical_date=logical_date, landing_dir=settings.landing_dir)
