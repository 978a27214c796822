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

No public member list exists: the demo and the tests have a simulator (:mod:`simulators.members`) write the
export where the CRM would, from real catalogue names, labelled generated.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from extractors.alliance_members.contract import COMMITTEES, MATCH_STATUSES
from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.intake import Inbox, Landing, Receipt
from parkplatform.landing import BatchReport, first_reject_reason, land_batch, read_text_csv
from parkplatform.origin import ORIGIN_GENERATED
from parkplatform.park_names import ZONE_TYPE_SUFFIXES, normalise_park_name, normalise_province

log = logging.getLogger(__name__)

MIN_STEM_CHARS = 2
MEMBER_COLUMNS = ("member_id", "member_name", "province", "zone_code")


# --------------------------------------------------------------------------- normalisation


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


# --------------------------------------------------------------------------- the source

SOURCE = "alliance_members"
MEMBER_LIST_FILE = "members.csv"
ORIGIN_CRM = "crm"
# The CRM export's columns, in order.
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


def newest_export(inbox: Inbox, logical_date: date) -> Receipt:
    """The newest member list received for an export date up to ``logical_date`` (the member list is a
    snapshot: the newest export is the whole list)."""
    inbox.scan(SOURCE)
    exports = [
        receipt for receipt in inbox.receipts(SOURCE) if receipt.accepted and receipt.period <= logical_date.isoformat()
    ]
    if not exports:
        raise FileNotFoundError(
            f"{SOURCE}: no member list received for an export date up to {logical_date} in "
            f"{inbox.root / SOURCE} (the CRM's export arrives there: park intake submit --source {SOURCE} "
            "--period <export date> FILE; the demo sends a generated one with python -m simulators.sources)"
        )
    return max(exports, key=lambda receipt: (receipt.period, receipt.received_at))


def extract(settings: Settings, logical_date: date) -> BatchReport:
    """Land the newest member list the CRM exported into the inbox (labelled generated when its receipt says the
    demo's simulator sent it), and record the outcome in the inbox's ledger."""
    registry = registry_enrichment.registry_frame(catalogue.read_registry(settings))
    inbox = Inbox.from_settings(settings)
    export = newest_export(inbox, logical_date)
    path = inbox.path(export)
    origin = ORIGIN_GENERATED if export.generated else ORIGIN_CRM
    received = read_member_list(path).with_columns(pl.lit(origin).alias("data_origin"))
    report = land_members(received, registry, logical_date=logical_date, landing_dir=settings.landing_dir)
    inbox.record_landing(
        [Landing(export.receipt_id, report.batch_id, report.received, report.landed, report.quarantined, None)]
    )
    return report
