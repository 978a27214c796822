"""Deterministic generator of the alliance CRM: investment projects, the matchmaking event log and the
payment ledger of paid-in funds.

No public data exists for the CRM (DESIGN.md section 3), so the extractors read a generated one,
labelled as generated, written as the real system would: tables in PostgreSQL (:func:`load_postgres`)
or the CRM's file exports (:func:`write_exports`).

**One universe, many snapshots.** Everything created on a calendar day (its matches with all their
future events, its projects with their whole future timeline) comes from a random generator seeded
by ``(seed, day)``, so a day's universe never depends on the date it is looked at. A snapshot *as of
D* holds what had happened by the end of D (Asia/Shanghai): the events recorded by then, each
project in its state then (later stage dates null, paid-in to date, ``updated_at`` its latest change
by then). A later snapshot therefore contains every row of an earlier one, unchanged unless
``updated_at`` moved past the earlier date; that is what makes the extractors' watermark honest.

**History and scale.** The CRM goes live 113 weeks (791 days, 26 months) before the first as-of date
it is generated for (``history_start``, kept with the generated CRM so that later dates extend the
same history). Creation follows weekday weights (quieter weekends) through a cumulative quota, so
*any* 113 consecutive weeks of creation days hold exactly ``scale.investment_projects`` projects and
exactly :func:`target_matches` (``scale.match_events`` / :data:`EVENTS_PER_MATCH`) matches; the number
of events is then ``scale.match_events`` on average (every match's funnel is random), and a snapshot
holds those already recorded. The scale's figures are therefore the alliance's *activity* per 113
weeks, what the CRM records from go-live on; the migrated portfolio below comes on top of them. Ids
come from the global creation order (``IP`` + 9 digits per project, ``M`` + 9 digits per match, event
``ME`` + 10 digits = match number × 10 + stage slot).

**Go-live: the migrated portfolio.** A CRM does not go live empty: the alliance's portfolio is migrated
into it from the system before, so every weekly series is in steady state from the first week (no
year-over-year comparison is made against a CRM filling up). The universe is the same before go-live as
after (the creation days of the :data:`PORTFOLIO_WEEKS` weeks before it, same quotas, same seeded days:
by then nearly every project and match has finished moving), and the migration, run at 22:00 the evening
before go-live (:func:`migration_moment`), brings over what was still open then, as a migration would,
leaving the closed records in the old system's archive:

- every project not dropped by then, at whatever stage, with its business dates as the old system had
  them (``intention_date`` and the stage dates before go-live) and ``created_at`` the migration; its
  later moves are recorded as they happen, like any project's;
- the payments of those projects: their ledger rows keep their payment dates and are recorded
  (``created_at``/``updated_at``) at the migration, so ``paid_in_amount`` stays the ledger's sum and a
  contract paid in full still reads 100 % (no opening balance: a balance would put years of paid-in in
  one week); the tranches still to come arrive after go-live as in any project;
- every match neither landed nor lost by then (open, or stalled without a lost event), with its
  whole event log, the earlier events recorded (``updated_at``) at the migration.

What happens from go-live on is therefore exactly what the universe does, and the warehouse's rules
hold for the migrated rows (a payment is recorded after its date, a stage after the one before). The
weeks before go-live show only the migrated records' past (what the old system's archive kept is not
there): a weekly series is complete from the go-live week on. At the demo scale (20,000 projects and
100,000 match events per 113 weeks) the first snapshot holds about 12,000 migrated projects, 11,000
migrated matches with 29,000 events before go-live and 13,000 payments before go-live, besides the
scale's own: drawn from the same rates, the portfolio is about 0.6 × ``investment_projects`` projects
and 0.4 × :func:`target_matches` matches at every scale (tiny on 2026-11-23: 122 and 127). Generating it costs the
104 weeks' creation days once more per snapshot, chunk by chunk as the history's (memory does not grow).

**Behaviour.** Matches climb the funnel recommended → contacted → meeting → negotiation → signed →
landed with drop-offs at each stage and delays of days to months; a share of the dropped ones gets a
``lost`` event with a reason, the others stall silently. Projects move intention → signed →
construction started → in production, may be dropped, and receive paid-in funds (到位资金) in
tranches after construction starts: the first when construction starts, the next ones months apart, in
working hours, none after the project is dropped; some contracts are paid in full, the others stop
short. Each tranche is a row of the payment ledger (``payments``: payment id ``PY`` + 10 digits =
project number × 10 + tranche, the project, the payment date, the amount in the contract's currency),
recorded in the CRM within 90 minutes of the payment, the same day; a project's ``paid_in_amount`` is
the sum of its payments recorded by then, so the project's running total and the ledger agree. The
ledger's draws come from a random stream of their own per day, ``(seed, day, 1)``. Amounts are
lognormal. Investment-attraction matches that sign produce a project of the same day, which takes the
match's dates. Events falling on a weekend mostly
move to the next week and those in the Spring Festival holiday mostly wait until it ends: new matches,
signings and paid-in dip at Chinese New Year.

**Faults.** A share ``bad_row_rate`` of rows is corrupted, one kind after the other
(:data:`PROJECT_FAULTS`, :data:`EVENT_FAULTS`, :data:`PAYMENT_FAULTS`), chosen by creation order so that
a corrupted row stays corrupted in every snapshot (a payment fault is chosen per project and corrupts the
project's first payment). The tables and exports look like real CRM data; the truth is the
``_faults.csv`` manifest beside an export (and ``Snapshot.faults``). PostgreSQL cannot hold a row
without its primary key or a second row under one key: :func:`load_postgres` leaves those out, as
the database would, and reports how many.
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from extractors.crm import contract as crm_contract
from extractors.crm import extract as crm
from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.origin import GENERATED_MARKER, GENERATOR_KEY
from parkplatform.progress import progress_bar

log = logging.getLogger(__name__)

# 2: paid-in recorded in the contract's currency (paid_in_amount); 3: the payment ledger; 4: the portfolio
# migrated at go-live
GENERATOR_VERSION = 4
EPOCH = date(2020, 1, 1)  # day 0 of the creation order; ids count from here
EPOCH_UNIX = calendar.timegm(EPOCH.timetuple())  # Shanghai wall-clock seconds are written with +08:00
DAY = 86_400
NEVER = np.iinfo(np.int64).max  # "has not happened" for a timeline moment
HISTORY_WEEKS = 113
HISTORY_DAYS = HISTORY_WEEKS * 7  # 791 days: the 26 months before the first as-of date
# The legacy records migrated at go-live come from the creation days of the 104 weeks before it: within 104
# weeks of its creation a match has had all its events and a project 99.9 % of its signings, 99.7 % of its
# construction starts, 97 % of its payments and 99 % of its paid-in (measured on the 18,600 projects and
# 48,000 matches of a 20,000-project CRM created 2020-01 .. 2023-05, seen in December 2026).
PORTFOLIO_WEEKS = 104
PORTFOLIO_DAYS = PORTFOLIO_WEEKS * 7
MIGRATION_LEAD_SECONDS = 2 * 3600  # the migration ran the evening before go-live, at 22:00, after the working day
WEEKDAY_WEIGHTS = (20, 20, 20, 20, 19, 7, 5)  # Monday .. Sunday, relative creation activity
WEEK_WEIGHT = sum(WEEKDAY_WEIGHTS)
WORKDAY_SECONDS = (8 * 3600 + 1800, 19 * 3600 + 1800)  # things happen between 08:30 and 19:30

# Spring Festival: the holiday runs from New Year's Eve to the sixth day (eight days off).
CHINESE_NEW_YEAR = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
    2036: date(2036, 1, 28),
    2037: date(2037, 2, 15),
    2038: date(2038, 2, 4),
    2039: date(2039, 1, 24),
    2040: date(2040, 2, 12),
}
LAST_AS_OF = date(2040, 12, 31)
CNY_POSTPONED = 0.85  # share of what would happen in the holiday that waits until it ends
WEEKEND_POSTPONED = 0.75  # share of weekend stage events that wait for Monday to Wednesday

# --------------------------------------------------------------------------- matches

MATCH_TYPE_WEIGHTS = (0.40, 0.15, 0.15, 0.20, 0.10)  # order of crm_contract.MATCH_TYPES
CHANNEL_WEIGHTS = (0.20, 0.20, 0.40, 0.20)  # order of crm_contract.CHANNELS
COMMITTEE_WEIGHTS = (0.14, 0.22, 0.14, 0.10, 0.24, 0.16)  # order of crm.COMMITTEES
MATCH_WITH_COMMITTEE = 0.7  # other matches are domestic (no committee) unless referred by one
# chance to reach contacted, meeting, negotiation, signed, landed from the stage before
STAGE_CONTINUES = (0.80, 0.62, 0.55, 0.50, 0.72)
STAGE_DELAY_DAYS = ((2.0, 0.8), (10.0, 0.7), (18.0, 0.7), (30.0, 0.8), (75.0, 0.6))  # lognormal median, sigma
MIN_DELAY_DAYS = 0.1
LOST_SHARE = 0.6  # dropped matches that get a lost event (the others stall)
LOST_DELAY_DAYS = (21.0, 0.8)
LOST_REASON_WEIGHTS = (0.20, 0.20, 0.15, 0.10, 0.15, 0.20)  # order of crm_contract.LOST_REASONS
SLOTS = 10  # event number = match number * SLOTS + stage slot


def _events_per_match() -> float:
    reach = np.cumprod((1.0, *STAGE_CONTINUES))
    return float(reach.sum() + (1.0 - reach[-1]) * LOST_SHARE)


EVENTS_PER_MATCH = _events_per_match()

# --------------------------------------------------------------------------- projects

DIRECTION_WEIGHTS = (0.35, 0.50, 0.15)  # inbound_foreign, domestic, outbound
SIGNS, STARTS_CONSTRUCTION, REACHES_PRODUCTION = 0.55, 0.75, 0.70
SIGN_DELAY_DAYS, CONSTRUCTION_DELAY_DAYS, PRODUCTION_DELAY_DAYS = (75.0, 0.7), (100.0, 0.6), (270.0, 0.5)
DROPPED_AT_STAGE = (0.70, 0.70, 0.40)  # a project stuck before signing / construction / production is dropped
DROP_DELAY_DAYS = (90.0, 0.8)
MAX_TRANCHES = 6
TRANCHE_SPACING_DAYS = (75.0, 0.5)
FULLY_PAID_SHARE = 0.3  # contracts whose investor pays in full (到位率 100 % once every tranche is in)
RECORDING_LAG_SECONDS = 5_400  # a payment or event is recorded within 90 minutes, the same day
PAYMENT_SLOTS = 10  # payment number = project number * PAYMENT_SLOTS + tranche
LEDGER_STREAM = 1  # the ledger's own random stream of a day: (seed, day, 1), leaving the (seed, day) draws as they were
PROJECT_CNY_MEDIAN, PROJECT_CNY_SIGMA = 1.5e8, 1.3  # contracted amount, lognormal (a heavy tail of 10亿+ deals)
PROVINCE_OF_PARK = 0.4  # domestic investors from the park's own province

COMMITTEE_COUNTRIES = {
    "north_america": ("USA", "CAN"),
    "europe": (
        "DEU", "FRA", "GBR", "ITA", "ESP", "NLD", "CHE", "SWE", "POL", "BEL", "AUT",
        "CZE", "HUN", "SRB", "BLR", "RUS", "GRC", "PRT", "IRL", "DNK", "NOR", "FIN",
    ),
    "africa": (
        "EGY", "MAR", "DZA", "TUN", "LBY", "SDN", "NGA", "ETH", "KEN", "ZAF",
        "TZA", "GHA", "AGO", "ZMB", "CIV", "SEN", "UGA", "RWA", "DJI",
    ),
    "latin_america": ("BRA", "MEX", "ARG", "CHL", "PER", "COL", "ECU", "URY", "PAN", "CUB", "VEN"),
    "southeast_asia": ("SGP", "MYS", "THA", "IDN", "VNM", "PHL", "KHM", "LAO", "MMR", "BRN"),
    # League of Arab States members; several are also in the Africa committee
    "arab_states": (
        "SAU", "ARE", "QAT", "KWT", "OMN", "BHR", "JOR", "IRQ", "EGY", "MAR", "DZA", "TUN", "LBY", "SDN", "DJI",
    ),
}  # fmt: skip
COUNTRY_CURRENCY = {
    "USA": "USD", "CAN": "CAD", "DEU": "EUR", "FRA": "EUR", "GBR": "GBP", "ITA": "EUR", "ESP": "EUR",
    "NLD": "EUR", "CHE": "CHF", "SWE": "SEK", "POL": "PLN", "BEL": "EUR", "AUT": "EUR", "GRC": "EUR",
    "PRT": "EUR", "IRL": "EUR", "FIN": "EUR", "RUS": "RUB", "EGY": "EGP", "MAR": "MAD", "NGA": "NGN",
    "KEN": "KES", "ZAF": "ZAR", "BRA": "BRL", "MEX": "MXN", "CHL": "CLP", "SGP": "SGD", "MYS": "MYR",
    "THA": "THB", "IDN": "IDR", "VNM": "VND", "PHL": "PHP", "SAU": "SAR", "ARE": "AED", "QAT": "QAR",
    "KWT": "KWD",
}  # fmt: skip
LEGAL_FORMS = {
    "USA": "Inc.", "GBR": "Ltd", "DEU": "GmbH", "AUT": "GmbH", "CHE": "AG", "FRA": "SA", "BEL": "SA",
    "ITA": "S.p.A.", "ESP": "S.A.", "PRT": "S.A.", "NLD": "B.V.", "SWE": "AB", "FIN": "Oy", "DNK": "A/S",
    "NOR": "AS", "POL": "Sp. z o.o.", "CZE": "s.r.o.", "RUS": "LLC", "SGP": "Pte. Ltd.", "MYS": "Sdn. Bhd.",
    "THA": "Co., Ltd.", "IDN": "Tbk", "VNM": "JSC", "PHL": "Inc.", "ARE": "LLC", "SAU": "Co.",
    "EGY": "S.A.E.", "ZAF": "(Pty) Ltd", "BRA": "Ltda.", "MEX": "S.A. de C.V.", "CHL": "SpA", "ARG": "S.A.",
}  # fmt: skip
# CNY per unit, rounded 2025 averages: the generator's own conversions (sizing deals in yuan); the
# platform converts with the WDI rates, not these.
CNY_PER_UNIT = {
    "CNY": 1.0, "USD": 7.2, "EUR": 7.8, "JPY": 0.048, "GBP": 9.1, "HKD": 0.92, "SGD": 5.4, "AED": 1.96,
    "SAR": 1.92, "QAR": 1.98, "KWD": 23.4, "CHF": 8.2, "CAD": 5.2, "SEK": 0.68, "PLN": 1.8, "RUB": 0.085,
    "MYR": 1.6, "THB": 0.21, "IDR": 0.00044, "VND": 0.00028, "PHP": 0.125, "EGP": 0.145, "MAD": 0.78,
    "ZAR": 0.39, "NGN": 0.0046, "KES": 0.056, "BRL": 1.3, "MXN": 0.39, "CLP": 0.0076,
}  # fmt: skip
PROVINCE_WEIGHTS = {
    "110000": 4, "120000": 2, "130000": 3, "140000": 1.5, "150000": 1.5, "210000": 2, "220000": 1,
    "230000": 1, "310000": 4, "320000": 8, "330000": 7, "340000": 3, "350000": 4, "360000": 2,
    "370000": 6, "410000": 4, "420000": 4, "430000": 3, "440000": 9, "450000": 2, "460000": 0.7,
    "500000": 2, "510000": 4, "520000": 1.5, "530000": 1.5, "540000": 0.2, "610000": 2, "620000": 0.8,
    "630000": 0.3, "640000": 0.4, "650000": 1,
}  # fmt: skip

CN_STEMS = tuple("华新瑞达科联金海恒创鼎信宏安盛泰中远博源汇天启锦")
CN_LEGAL_FORMS = ("有限公司", "股份有限公司", "集团有限公司", "科技有限公司")
FOREIGN_STEMS = (
    "Atlas", "Nordic", "Pacific", "Meridian", "Helios", "Andes", "Sahara", "Danube", "Maple", "Lotus",
    "Orion", "Crescent", "Baltic", "Savanna", "Coral", "Alpine", "Delta", "Aurora", "Cedar", "Falcon",
)  # fmt: skip
PROJECT_KINDS = ("生产基地项目", "研发中心项目", "产业园项目", "扩建项目", "区域总部项目", "智能工厂项目")
FINANCIERS = (
    "国家开发银行", "中国进出口银行", "中国银行", "中国工商银行", "中国建设银行", "丝路基金", "中非发展基金",
    "中信产业投资基金", "Asian Infrastructure Investment Bank", "International Finance Corporation",
    "Standard Chartered", "HSBC",
)  # fmt: skip
TECHNOLOGY_SOURCES = (
    "清华大学", "浙江大学", "上海交通大学", "中国科学院", "哈尔滨工业大学", "华中科技大学",
    "Fraunhofer-Gesellschaft", "Nanyang Technological University", "KTH Royal Institute of Technology",
    "Technion", "University of Cape Town", "Universidade de São Paulo",
)  # fmt: skip
TRAINERS = ("联盟园区发展学院", "中国开发区协会", "UNIDO ITPO Beijing", "中非经贸合作研修中心", "中国—东盟中心")

# --------------------------------------------------------------------------- faults

PROJECT_FAULTS = (
    "unknown_park",
    "negative_amount",
    "unknown_currency",
    "stage_dates_out_of_order",
    "unknown_direction",
    "missing_project_id",
)
EVENT_FAULTS = (
    "unknown_stage",
    "lost_without_reason",
    "unknown_channel",
    "event_before_previous_stage",
    "duplicate_event_id",
)
PAYMENT_FAULTS = (
    "payment_without_project",
    "negative_payment",
    "payment_unknown_currency",
    "payment_dated_after_recording",
)
# payments per project that has any over a 26-month history (measured: 2.48 on 5,000 projects), so that
# payment faults chosen per project hit about bad_row_rate of the payments
PAYMENTS_PER_PAYING_PROJECT = 2.5
# The extractor's reason for each fault (what tests assert against the quarantine).
FAULT_REASONS = {
    "unknown_park": "park_code: not a catalogue zone code",
    "negative_amount": "contracted_amount: negative",
    "unknown_currency": "currency: not an ISO 4217 code we convert",
    "stage_dates_out_of_order": "signed_date: before intention_date",
    "unknown_direction": "direction: not one of inbound_foreign, domestic, outbound",
    "missing_project_id": "project_id: missing",
    "unknown_stage": "stage: not one of " + ", ".join(crm_contract.STAGES),
    "lost_without_reason": "lost_reason: missing for a lost match",
    "unknown_channel": "channel: not one of " + ", ".join(crm_contract.CHANNELS),
    "event_before_previous_stage": "event_at: before the match's earlier stage",
    "duplicate_event_id": "event_id: duplicate (kept the first)",
    "payment_without_project": "project_id: missing",
    "negative_payment": "amount: not positive (a payment is money received)",
    "payment_unknown_currency": "currency: not an ISO 4217 code we convert",
    "payment_dated_after_recording": "payment_date: after the day the CRM recorded the payment (created_at)",
}
# What a PostgreSQL table with a primary key cannot hold (left out by load_postgres).
UNSTORABLE_FAULTS = ("missing_project_id", "duplicate_event_id")
UNKNOWN_PARK_CODES = ("S999999", "G999999", "S000000")
UNKNOWN_CURRENCY = "RMB"  # the everyday name, not the ISO 4217 code
UNKNOWN_DIRECTION = "inbound"
UNKNOWN_STAGE = "site_visit"
UNKNOWN_CHANNEL = "wechat"
RATE_SCALE = 1_000_000

DEFAULT_PART_ROWS = 1_000_000
CHUNK_EVENTS = 250_000  # events generated per chunk of creation days (bounded memory at any scale)
MAX_CHUNK_DAYS = 64
STATE_FILE = "_generator.json"
EXPORT_MARKER = "_export.json"
FAULTS_FILE = "_faults.csv"

assert set(CNY_PER_UNIT) == set(crm_contract.CURRENCIES), (
    "the generator's rates must cover exactly crm_contract.CURRENCIES"
)
assert len(WEEKDAY_WEIGHTS) == 7 and len(CHINESE_NEW_YEAR) == LAST_AS_OF.year - EPOCH.year + 1


# --------------------------------------------------------------------------- the specification


@dataclass(frozen=True)
class CrmSpec:
    """What a generated CRM is: its parks, sizes per 113 weeks, seed, fault rate and go-live date.

    ``parks`` holds ``zone_code``, ``zone_name`` (may be null), ``clusters`` (list of cluster codes,
    may be empty) and ``weight`` (see :func:`choose_parks`). ``history_start`` None means "113 weeks
    before the as-of date" (:meth:`start_for`); :func:`ensure_exports` and :func:`load_postgres` fix it
    at the first snapshot and keep it with the generated CRM.
    """

    parks: pl.DataFrame
    investment_projects: int
    match_events: int
    seed: int
    bad_row_rate: float
    history_start: date | None = None

    def start_for(self, as_of: date) -> date:
        return self.history_start if self.history_start is not None else default_history_start(as_of)

    def identity(self) -> dict:
        """Everything but the go-live date; two specs with one identity generate the same universe."""
        parks = self.parks.select(
            "zone_code", pl.col("clusters").list.join("|"), pl.col("weight").round(9).cast(pl.String)
        )
        digest = hashlib.sha1(parks.write_csv().encode("utf-8")).hexdigest()[:12]
        return {
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "investment_projects": self.investment_projects,
            "match_events": self.match_events,
            "bad_row_rate": self.bad_row_rate,
            "parks": self.parks.height,
            "parks_digest": digest,
        }


def default_history_start(as_of: date) -> date:
    return as_of - timedelta(days=HISTORY_DAYS - 1)


def portfolio_start(history_start: date) -> date:
    """First creation day of the records migrated at go-live: 104 weeks before it, never before day 0."""
    return max(EPOCH, history_start - timedelta(days=PORTFOLIO_DAYS))


def migration_moment(history_start: date) -> int:
    """When the migration wrote the legacy records (seconds from day 0): 22:00 the evening before go-live."""
    return day_number(history_start) * DAY - MIGRATION_LEAD_SECONDS


def target_matches(match_events: int) -> int:
    """Matches created per 113 weeks so that their events number ``match_events`` on average."""
    return max(1, round(match_events / EVENTS_PER_MATCH)) if match_events > 0 else 0


def choose_parks(parks: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """``n`` zones drawn from ``parks`` (zone_code, optional zone_name and clusters) with heavy-tailed
    weights: a few parks attract most projects and matches, as in the real alliance."""
    if parks.is_empty():
        raise ValueError("the CRM generator needs at least one park")
    frame = parks.unique("zone_code", keep="first").sort("zone_code")
    if "zone_name" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("zone_name"))
    if "clusters" not in frame.columns:
        frame = frame.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("clusters"))
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(frame.height, size=min(n, frame.height), replace=False))
    weights = rng.pareto(1.2, chosen.size) + 1.0
    return (
        frame[chosen]
        .select("zone_code", "zone_name", pl.col("clusters").fill_null([]).cast(pl.List(pl.String)))
        .with_columns(pl.Series("weight", weights / weights.sum()))
    )


def spec_from_settings(settings: Settings, parks: pl.DataFrame, history_start: date | None = None) -> CrmSpec:
    """The CRM of the configured scale, seed and bad-row rate, over ``parks`` (the registry's zones)."""
    return CrmSpec(
        parks=choose_parks(parks, settings.scale.parks, settings.seed),
        investment_projects=settings.scale.investment_projects,
        match_events=settings.scale.match_events,
        seed=settings.seed,
        bad_row_rate=settings.bad_row_rate,
        history_start=history_start,
    )


# --------------------------------------------------------------------------- calendar


def day_number(day: date) -> int:
    return (day - EPOCH).days


def _check_range(history_start: date, as_of: date) -> None:
    """Dates the creation order and the holiday table cover (before the go-live a snapshot is empty)."""
    if history_start < EPOCH or as_of > LAST_AS_OF:
        raise ValueError(
            f"CRM history {history_start}..{as_of} is outside {EPOCH}..{LAST_AS_OF} "
            "(the creation order starts in 2020 and the Spring Festival table ends in 2040)"
        )


def _weekday_prefix() -> np.ndarray:
    first = EPOCH.weekday()
    rotated = [WEEKDAY_WEIGHTS[(first + i) % 7] for i in range(7)]
    return np.concatenate([[0], np.cumsum(rotated)])


WEEKDAY_PREFIX = _weekday_prefix()


def created_before(total: int, day: int) -> int:
    """Items created on days 0 .. day-1 when ``total`` are created per 113 weeks (exact integers)."""
    weeks, rest = divmod(day, 7)
    weight = weeks * WEEK_WEIGHT + int(WEEKDAY_PREFIX[rest])
    return total * weight // (HISTORY_WEEKS * WEEK_WEIGHT)


def creation_days(spec: CrmSpec, as_of: date) -> range:
    """Day numbers whose creations a snapshot as of ``as_of`` looks at: the portfolio's, then the history's."""
    return range(day_number(portfolio_start(spec.start_for(as_of))), day_number(as_of) + 1)


def history_counts(spec: CrmSpec, as_of: date) -> dict[str, int]:
    """Projects and matches created from the go-live date to ``as_of`` (both included)."""
    first, last = day_number(spec.start_for(as_of)), day_number(as_of) + 1
    matches = target_matches(spec.match_events)
    return {
        "investment_projects": created_before(spec.investment_projects, last)
        - created_before(spec.investment_projects, first),
        "matches": created_before(matches, last) - created_before(matches, first),
    }


def _holiday_table() -> tuple[np.ndarray, np.ndarray]:
    """Per day number: whether it is a Spring Festival holiday, and the first working day after it."""
    length = day_number(LAST_AS_OF) + 5 * 366
    holiday = np.zeros(length, dtype=bool)
    resumes = np.zeros(length, dtype=np.int64)
    for new_year in CHINESE_NEW_YEAR.values():
        first, last = day_number(new_year) - 1, day_number(new_year) + 6
        if first >= 0:
            holiday[first : last + 1] = True
            resumes[first : last + 1] = last + 1
    return holiday, resumes


HOLIDAY, HOLIDAY_RESUMES = _holiday_table()


def _time_of_day(rng: np.random.Generator, n: int | tuple[int, ...]) -> np.ndarray:
    return rng.integers(*WORKDAY_SECONDS, n, dtype=np.int64)


def _settle(rng: np.random.Generator, moments: np.ndarray, *, weekends: bool = True) -> np.ndarray:
    """Moments moved as people would: most holiday ones to the days after Spring Festival, most weekend
    ones (when ``weekends``) to the start of the next week, at a new time of day. Never earlier than given.

    Draws a fixed amount of randomness whatever the moments, so callers stay deterministic."""
    n = moments.size
    postpone, weekend_u, spread, time_of_day = rng.random(n), rng.random(n), rng.integers(0, 5, n), _time_of_day(rng, n)
    day = moments // DAY
    index = np.clip(day, 0, HOLIDAY.size - 1)
    in_holiday = HOLIDAY[index] & (day >= 0) & (postpone < CNY_POSTPONED)
    new_day = np.where(in_holiday, HOLIDAY_RESUMES[index] + spread, day)
    weekday = (EPOCH.weekday() + new_day) % 7
    to_weekdays = (weekday >= 5) & (in_holiday | (weekends & (weekend_u < WEEKEND_POSTPONED)))
    new_day = np.where(to_weekdays, new_day + 7 - weekday + spread % 3, new_day)  # Monday to Wednesday
    return np.where(new_day != day, new_day * DAY + time_of_day, moments)


def _after(rng: np.random.Generator, start: np.ndarray, days: np.ndarray, happens: np.ndarray) -> np.ndarray:
    """``days`` after ``start``, in working hours and settled, where ``happens`` (and start is set), else NEVER."""
    happens = happens & (start != NEVER)
    begin = np.where(happens, start, 0)
    moment = begin + (np.maximum(days, MIN_DELAY_DAYS) * DAY).astype(np.int64)
    moment = (moment // DAY) * DAY + _time_of_day(rng, start.size)
    moment = np.where(moment <= begin, moment + DAY, moment)  # same day but earlier hour: the next day
    return np.where(happens, _settle(rng, moment), NEVER)


def _lognormal(rng: np.random.Generator, median_sigma: tuple[float, float], size) -> np.ndarray:
    median, sigma = median_sigma
    return rng.lognormal(np.log(median), sigma, size)


# --------------------------------------------------------------------------- the universe of a day


def _phase(seed: int, stream: str = "") -> int:
    return int(hashlib.sha1(f"crm-faults:{seed}{stream}".encode()).hexdigest()[:8], 16) % RATE_SCALE


def _faulty(ordinals: np.ndarray, rate: float, seed: int, stream: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Evenly spread faults: (is corrupted, how many corrupted before it) by creation order."""
    per_million = round(min(rate, 1.0) * RATE_SCALE)
    phase = _phase(seed, stream)
    before = (ordinals * per_million + phase) // RATE_SCALE
    after = ((ordinals + 1) * per_million + phase) // RATE_SCALE
    return after > before, before


def _pick(rng: np.random.Generator, options: np.ndarray, n: int) -> np.ndarray:
    return options[rng.integers(0, options.size, n)]


def _frame(days: list[dict[str, np.ndarray]]) -> pl.DataFrame:
    """One frame of several days' columns; object arrays (text with gaps) become String columns."""
    columns = {}
    for name in days[0]:
        values = np.concatenate([day[name] for day in days])
        columns[name] = pl.Series(values=values.tolist(), dtype=pl.String) if values.dtype == object else values
    return pl.DataFrame(columns)


def _titled(text: str) -> str:
    return " ".join(word if word in {"and", "of"} else word[:1].upper() + word[1:] for word in text.split())


def _ledger_draws(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """What the payment ledger adds to a day's projects, from its own random stream: whether the investor
    pays in full, the time of day each transfer arrives, each tranche's recording delay, and how far a
    mistyped payment date lies ahead."""
    return {
        "fully_paid": rng.random(n) < FULLY_PAID_SHARE,
        "payment_time": _time_of_day(rng, (n, MAX_TRANCHES)),
        "payment_lag": rng.integers(0, RECORDING_LAG_SECONDS + 1, (n, MAX_TRANCHES), dtype=np.int64),
        "payment_fault_days": rng.integers(3, 61, n),
    }


class _Universe:
    """Lookup arrays of a spec, and the rows created on one day (:meth:`day`)."""

    def __init__(self, spec: CrmSpec) -> None:
        self.spec = spec
        self.matches_total = target_matches(spec.match_events)
        parks = spec.parks
        self.park_codes = parks["zone_code"].to_numpy().astype(str)
        self.park_weights = parks["weight"].to_numpy()
        names = parks.select(
            pl.when(pl.col("zone_name").is_not_null())
            .then(pl.col("zone_name") + "管委会")
            .otherwise(pl.col("zone_code") + " 园区管委会")
        ).to_series()
        self.park_offices = names.to_numpy().astype(str)
        clusters = _cluster_names()
        self.cluster_codes = clusters["cluster_code"].to_numpy().astype(str)
        self.cluster_cn = clusters["cluster_name_cn"].to_numpy().astype(str)
        self.cluster_en = np.array([_titled(name) for name in clusters["cluster_name_en"].to_list()])
        position = {code: i for i, code in enumerate(self.cluster_codes)}
        park_clusters = [[position[c] for c in row if c in position] for row in parks["clusters"].to_list()]
        self.park_cluster_count = np.array([len(row) for row in park_clusters], dtype=np.int64)
        self.park_cluster_start = np.concatenate([[0], np.cumsum(self.park_cluster_count)[:-1]]).astype(np.int64)
        self.park_cluster_flat = np.array([c for row in park_clusters for c in row] or [0], dtype=np.int64)
        provinces = np.array(sorted(PROVINCE_WEIGHTS))
        self.provinces = provinces
        weights = np.array([PROVINCE_WEIGHTS[p] for p in provinces], dtype=float)
        self.province_weights = weights / weights.sum()
        park_province = np.array([f"{code[1:3]}0000" for code in self.park_codes])
        self.park_province = np.where(np.isin(park_province, provinces), park_province, "")
        countries = [COMMITTEE_COUNTRIES[c] for c in crm.COMMITTEES]
        self.committee_count = np.array([len(row) for row in countries], dtype=np.int64)
        self.committee_start = np.concatenate([[0], np.cumsum(self.committee_count)[:-1]]).astype(np.int64)
        self.countries = np.array([c for row in countries for c in row])
        self.country_currency = np.array([COUNTRY_CURRENCY.get(c, "USD") for c in self.countries])
        self.country_has_currency = np.array([c in COUNTRY_CURRENCY for c in self.countries])
        self.country_legal = np.array([LEGAL_FORMS.get(c, "Ltd.") for c in self.countries])
        self.currency_codes = np.array(sorted(CNY_PER_UNIT))
        self.rates = np.array([CNY_PER_UNIT[c] for c in self.currency_codes])
        self.unknown_park = next(code for code in UNKNOWN_PARK_CODES if code not in set(self.park_codes))

    # ------------------------------------------------------------------ shared draws

    def _clusters_of(self, rng: np.random.Generator, park: np.ndarray) -> np.ndarray:
        """Mostly one of the park's declared clusters, else any cluster."""
        n = park.size
        use_park, u, anywhere = rng.random(n), rng.random(n), rng.integers(0, self.cluster_codes.size, n)
        count = self.park_cluster_count[park]
        own = self.park_cluster_flat[self.park_cluster_start[park] + (u * np.maximum(count, 1)).astype(np.int64)]
        return np.where((count > 0) & (use_park < 0.8), own, anywhere)

    def _country(self, rng: np.random.Generator, committee: np.ndarray) -> np.ndarray:
        """Index into self.countries of a country of ``committee`` (any country where committee < 0)."""
        safe = np.maximum(committee, 0)
        return self.committee_start[safe] + (rng.random(committee.size) * self.committee_count[safe]).astype(np.int64)

    def _chinese_names(self, rng: np.random.Generator, cluster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stems = np.array(CN_STEMS)[rng.integers(0, len(CN_STEMS), (cluster.size, 2))]
        short = np.char.add(stems[:, 0], stems[:, 1])
        forms = np.array(CN_LEGAL_FORMS)[rng.integers(0, len(CN_LEGAL_FORMS), cluster.size)]
        return np.char.add(np.char.add(short, self.cluster_cn[cluster]), forms), short

    def _foreign_names(
        self, rng: np.random.Generator, cluster: np.ndarray, country: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        short = np.array(FOREIGN_STEMS)[rng.integers(0, len(FOREIGN_STEMS), cluster.size)]
        name = np.char.add(np.char.add(np.char.add(short, " "), self.cluster_en[cluster]), " ")
        return np.char.add(name, self.country_legal[country]), short

    # ------------------------------------------------------------------ one day

    def day(self, day: int) -> tuple[dict[str, np.ndarray] | None, dict[str, np.ndarray] | None]:
        """Columns of the projects and events created on ``day``: whole timelines, faults marked, nothing
        filtered (:func:`_frame` makes a chunk's days one frame)."""
        spec = self.spec
        project_base = created_before(spec.investment_projects, day)
        n_projects = created_before(spec.investment_projects, day + 1) - project_base
        match_base = created_before(self.matches_total, day)
        n_matches = created_before(self.matches_total, day + 1) - match_base
        if n_projects == 0 and n_matches == 0:
            return None, None
        if (match_base + n_matches) * SLOTS >= 10**10 or project_base + n_projects >= 10**9:
            raise ValueError(f"CRM ids overflow their digits on {EPOCH + timedelta(days=day)}")
        rng = np.random.default_rng([spec.seed, day])
        matches = self._matches(rng, day, match_base, n_matches)
        projects = self._projects(rng, day, project_base, n_projects)
        projects |= _ledger_draws(np.random.default_rng([spec.seed, day, LEDGER_STREAM]), n_projects)
        self._link(matches, projects)
        return self._project_columns(rng, projects, matches), self._event_columns(rng, matches)

    def _matches(self, rng: np.random.Generator, day: int, base: int, n: int) -> dict[str, np.ndarray]:
        ordinal = base + np.arange(n, dtype=np.int64)
        match_type = rng.choice(len(crm_contract.MATCH_TYPES), n, p=MATCH_TYPE_WEIGHTS)
        channel = rng.choice(len(crm_contract.CHANNELS), n, p=CHANNEL_WEIGHTS)
        committee = rng.choice(len(crm.COMMITTEES), n, p=COMMITTEE_WEIGHTS)
        referral = channel == crm_contract.CHANNELS.index("committee_referral")
        committee = np.where(referral | (rng.random(n) < MATCH_WITH_COMMITTEE), committee, -1)
        park = rng.choice(self.park_codes.size, n, p=self.park_weights)
        cluster = self._clusters_of(rng, park)
        country = self._country(rng, committee)
        chinese, _ = self._chinese_names(rng, cluster)
        partner, _ = self._chinese_names(rng, cluster)
        foreign, _ = self._foreign_names(rng, cluster, country)
        abroad = committee >= 0
        financier = _pick(rng, np.array(FINANCIERS), n)
        technology = _pick(rng, np.array(TECHNOLOGY_SOURCES), n)
        trainer = _pick(rng, np.array(TRAINERS), n)
        kind = np.array(crm_contract.MATCH_TYPES)[match_type]
        office = self.park_offices[park]
        demand = np.where(np.isin(kind, ("investment_attraction", "training")), office, chinese)
        enterprise = np.where(abroad, foreign, partner)
        supply = np.select(
            [kind == "financing", kind == "technology_transfer", kind == "training"],
            [financier, technology, trainer],
            default=enterprise,  # investors and suppliers: an enterprise
        )
        # the funnel
        continues = rng.random((n, len(STAGE_CONTINUES))) < STAGE_CONTINUES
        reached = 1 + np.cumprod(continues, axis=1).sum(axis=1)
        delays = np.column_stack([_lognormal(rng, md, n) for md in STAGE_DELAY_DAYS])
        times = np.empty((n, len(STAGE_CONTINUES) + 1), dtype=np.int64)
        times[:, 0] = _settle(rng, day * DAY + _time_of_day(rng, n), weekends=False)
        for stage in range(1, times.shape[1]):
            times[:, stage] = _after(rng, times[:, stage - 1], delays[:, stage - 1], np.ones(n, dtype=bool))
        lost = (reached < times.shape[1]) & (rng.random(n) < LOST_SHARE)
        last = times[np.arange(n), reached - 1]
        lost_at = _after(rng, last, _lognormal(rng, LOST_DELAY_DAYS, n), lost)
        lost_reason = rng.choice(len(crm_contract.LOST_REASONS), n, p=LOST_REASON_WEIGHTS)
        bad, bad_before = _faulty(ordinal, self.spec.bad_row_rate * EVENTS_PER_MATCH, self.spec.seed)
        return {
            "ordinal": ordinal,
            "match_type": match_type,
            "channel": channel,
            "committee": committee,
            "park": park,
            "cluster": cluster,
            "demand": demand,
            "supply": supply,
            "reached": reached,
            "times": times,
            "lost": lost,
            "lost_at": lost_at,
            "lost_reason": lost_reason,
            "project": np.full(n, -1, dtype=np.int64),
            "bad": bad,
            "bad_before": bad_before,
            "fault_pick": rng.random(n),
            "fault_shift": rng.integers(DAY, 20 * DAY, n, dtype=np.int64),
        }

    def _projects(self, rng: np.random.Generator, day: int, base: int, n: int) -> dict[str, np.ndarray]:
        ordinal = base + np.arange(n, dtype=np.int64)
        direction = rng.choice(len(crm_contract.DIRECTIONS), n, p=DIRECTION_WEIGHTS)
        domestic = direction == crm_contract.DIRECTIONS.index("domestic")
        outbound = direction == crm_contract.DIRECTIONS.index("outbound")
        committee = np.where(domestic, -1, rng.choice(len(crm.COMMITTEES), n, p=COMMITTEE_WEIGHTS))
        country = self._country(rng, committee)
        park = rng.choice(self.park_codes.size, n, p=self.park_weights)
        cluster = self._clusters_of(rng, park)
        own_province = self.park_province[park]
        province = np.where(
            (own_province != "") & (rng.random(n) < PROVINCE_OF_PARK),
            own_province,
            self.provinces[rng.choice(self.provinces.size, n, p=self.province_weights)],
        )
        chinese, chinese_short = self._chinese_names(rng, cluster)
        foreign, foreign_short = self._foreign_names(rng, cluster, country)
        inbound = ~domestic & ~outbound
        investor = np.where(inbound, foreign, chinese)
        short = np.where(inbound, foreign_short, chinese_short)
        kind = _pick(rng, np.array(PROJECT_KINDS), n)
        name = np.char.add(np.char.add(short, self.cluster_cn[cluster]), kind)
        # currency: CNY at home; abroad the investor's own, US dollars, or HK holding companies' dollars
        u = rng.random(n)
        local = np.where(self.country_has_currency[country], self.country_currency[country], "USD")
        currency = np.select(
            [domestic, inbound & (u < 0.35), inbound & (u < 0.70), inbound & (u < 0.80), inbound, u < 0.45, u < 0.90],
            ["CNY", local, "USD", "HKD", "CNY", "CNY", "USD"],
            default=local,  # outbound in the destination's currency
        )
        rate = self.rates[np.searchsorted(self.currency_codes, currency)]
        amount_cny = rng.lognormal(np.log(PROJECT_CNY_MEDIAN), PROJECT_CNY_SIGMA, n)
        units = np.maximum(np.round(amount_cny / rate / 10_000), 1) * 10_000  # deals are written in round 万
        created = _settle(rng, day * DAY + _time_of_day(rng, n), weekends=False)
        return {
            "ordinal": ordinal,
            "direction": direction,
            "committee": committee,
            "country": country,
            "park": park,
            "cluster": cluster,
            "province": np.where(domestic, province, ""),
            "investor": investor,
            "name": name,
            "currency": currency,
            "contracted_cents": (units * 100).astype(np.int64),
            "created": created,
            "progress_u": rng.random((n, 4)),
            "delays": np.column_stack(
                [
                    _lognormal(rng, md, n)
                    for md in (SIGN_DELAY_DAYS, CONSTRUCTION_DELAY_DAYS, PRODUCTION_DELAY_DAYS, DROP_DELAY_DAYS)
                ]
            ),
            "tranches": rng.integers(1, MAX_TRANCHES + 1, n),
            "tranche_gaps": _lognormal(rng, TRANCHE_SPACING_DAYS, (n, MAX_TRANCHES)),
            "tranche_weights": rng.gamma(2.0, 1.0, (n, MAX_TRANCHES)),
            "paid_ratio": rng.beta(5.0, 2.0, n),
            "match": np.full(n, -1, dtype=np.int64),
            "fault_days": rng.integers(3, 61, n),
        }

    def _link(self, matches: dict[str, np.ndarray], projects: dict[str, np.ndarray]) -> None:
        """Investment-attraction matches that sign produce the day's first projects not going abroad: the
        match takes the project's park, cluster, committee and investor; the project the match's dates."""
        signed = np.flatnonzero(
            (matches["match_type"] == crm_contract.MATCH_TYPES.index("investment_attraction"))
            & (matches["reached"] >= 5)
        )
        attracted = np.flatnonzero(projects["direction"] != crm_contract.DIRECTIONS.index("outbound"))
        pairs = min(signed.size, attracted.size)
        m, p = signed[:pairs], attracted[:pairs]
        for key in ("park", "cluster", "committee"):
            matches[key][m] = projects[key][p]
        matches["supply"] = matches["supply"].astype(object)
        matches["supply"][m] = projects["investor"][p]
        matches["project"][m] = projects["ordinal"][p]
        projects["match"][p] = m

    def _project_timeline(self, rng: np.random.Generator, p: dict, m: dict) -> dict[str, np.ndarray]:
        n = p["ordinal"].size
        linked = p["match"] >= 0
        match = np.maximum(p["match"], 0)
        match_times = m["times"][match] if m["times"].size else np.zeros((n, 6), dtype=np.int64)
        u, delays = p["progress_u"], p["delays"]
        created = np.where(linked, match_times[:, 0], p["created"])
        signed = _after(rng, created, delays[:, 0], u[:, 0] < SIGNS)
        signed = np.where(linked, match_times[:, 4], signed)
        started = _after(rng, signed, delays[:, 1], u[:, 1] < STARTS_CONSTRUCTION)
        match_landed = m["reached"][match] == 6 if m["reached"].size else np.zeros(n, dtype=bool)
        started = np.where(linked, np.where(match_landed, match_times[:, 5], NEVER), started)
        producing = _after(rng, started, delays[:, 2], u[:, 2] < REACHES_PRODUCTION)
        stage = (signed != NEVER).astype(int) + (started != NEVER) + (producing != NEVER)
        last = np.select([producing != NEVER, started != NEVER, signed != NEVER], [producing, started, signed], created)
        drop_chance = np.array((*DROPPED_AT_STAGE, 0.0))[stage]
        dropped = _after(rng, last, delays[:, 3], u[:, 3] < drop_chance)
        match_lost = m["lost"][match] if m["lost"].size else np.zeros(n, dtype=bool)
        lost_at = m["lost_at"][match] if m["lost_at"].size else np.zeros(n, dtype=np.int64)
        dropped = np.where(linked & ~match_landed & match_lost, lost_at, dropped)
        # paid-in tranches from the start of construction, none after the project is dropped
        gaps = np.maximum(p["tranche_gaps"], MIN_DELAY_DAYS)
        gaps[:, 0] = 0.0
        offsets = (np.cumsum(gaps, axis=1) * DAY).astype(np.int64)
        slot = np.arange(MAX_TRANCHES)
        planned = (slot < p["tranches"][:, None]) & (started != NEVER)[:, None]
        tranche_at = np.column_stack(
            [
                np.where(planned[:, j], _settle(rng, np.where(planned[:, j], started, 0) + offsets[:, j]), NEVER)
                for j in range(MAX_TRANCHES)
            ]
        )
        # a transfer arrives in working hours: the tranche's day at a working time (the first when construction starts)
        day_start = (np.where(planned, tranche_at, 0) // DAY) * DAY
        tranche_at = np.where(planned & (slot > 0), day_start + p["payment_time"], tranche_at)
        weights = np.where(slot < p["tranches"][:, None], p["tranche_weights"], 0.0)
        total = np.cumsum(weights, axis=1)
        share = total / np.maximum(total[:, -1:], 1e-12)  # exactly 1 from the last planned tranche on
        # paid in the contract's currency, as a CRM records it, never beyond the contract; in full for some
        final = np.floor(p["contracted_cents"] * np.where(p["fully_paid"], 1.0, p["paid_ratio"]))
        cumulative = np.floor(final[:, None] * share).astype(np.int64)
        cents = np.diff(cumulative, axis=1, prepend=0)
        paid = planned & (tranche_at < dropped[:, None])
        # recorded in the ledger within 90 minutes, the same day
        end_of_day = (np.where(paid, tranche_at, 0) // DAY + 1) * DAY - 1
        recorded = np.where(paid, np.minimum(np.where(paid, tranche_at, 0) + p["payment_lag"], end_of_day), NEVER)
        return {
            "created": created,
            "signed": signed,
            "started": started,
            "producing": producing,
            "dropped": dropped,
            "tranche_at": np.where(paid, tranche_at, NEVER),
            "tranche_cents": np.where(paid, cents, 0),
            "recorded": recorded,
        }

    def _project_columns(self, rng: np.random.Generator, p: dict, m: dict) -> dict[str, np.ndarray] | None:
        n = p["ordinal"].size
        if n == 0:
            return None
        timeline = self._project_timeline(rng, p, m)
        bad, bad_before = _faulty(p["ordinal"], self.spec.bad_row_rate, self.spec.seed)
        fault = np.where(bad, np.array(PROJECT_FAULTS)[bad_before % len(PROJECT_FAULTS)], None)
        # a payment fault per project, on its first payment (none when the project has no payment)
        payment_rate = self.spec.bad_row_rate * PAYMENTS_PER_PAYING_PROJECT
        paying_bad, paying_before = _faulty(p["ordinal"], payment_rate, self.spec.seed, stream=":payments")
        payment_fault = np.where(paying_bad, np.array(PAYMENT_FAULTS)[paying_before % len(PAYMENT_FAULTS)], None)
        committee = np.array(crm.COMMITTEES, dtype=object)[np.maximum(p["committee"], 0)]
        outbound = p["direction"] == crm_contract.DIRECTIONS.index("outbound")
        country = self.countries[p["country"]]
        columns = {
            "_ordinal": p["ordinal"],
            "project_name": p["name"],
            "park_code": self.park_codes[p["park"]],
            "investor_name": p["investor"],
            "direction": np.array(crm_contract.DIRECTIONS)[p["direction"]],
            "origin_country_iso3": np.where(p["committee"] >= 0, np.where(outbound, "CHN", country), "CHN"),
            "origin_province_adcode": np.where(p["province"] != "", p["province"], None),
            "destination_country_iso3": np.where(outbound, country, "CHN"),
            "cluster_code": self.cluster_codes[p["cluster"]],
            "committee": np.where(p["committee"] >= 0, committee, None),
            "currency": p["currency"],
            "_contracted_cents": p["contracted_cents"],
            **{f"_t_{key}": timeline[key] for key in ("created", "signed", "started", "producing", "dropped")},
            **{f"_tranche_at{j}": timeline["tranche_at"][:, j] for j in range(MAX_TRANCHES)},
            **{f"_tranche_cents{j}": timeline["tranche_cents"][:, j] for j in range(MAX_TRANCHES)},
            **{f"_recorded{j}": timeline["recorded"][:, j] for j in range(MAX_TRANCHES)},
            "_fault": fault,
            "_fault_days": p["fault_days"],
            "_payment_fault": payment_fault,
            "_payment_fault_days": p["payment_fault_days"],
        }
        return columns

    def _event_columns(self, rng: np.random.Generator, m: dict) -> dict[str, np.ndarray] | None:
        n = m["ordinal"].size
        if n == 0:
            return None
        funnel = m["times"].shape[1]
        present = np.zeros((n, len(crm_contract.STAGES)), dtype=bool)
        present[:, :funnel] = np.arange(funnel) < m["reached"][:, None]
        present[:, funnel] = m["lost"]
        match, slot = np.nonzero(present)
        event_at = np.where(slot == funnel, m["lost_at"][match], m["times"][match, np.minimum(slot, funnel - 1)])
        lag = rng.integers(0, 5401, match.size, dtype=np.int64)  # recorded within 90 minutes, the same day
        updated_at = np.minimum(event_at + lag, (event_at // DAY) * DAY + DAY - 1)
        # faults: one event of a chosen match, the kinds in turn, skipping kinds the match cannot show
        count = present.sum(axis=1)
        first_row = np.concatenate([[0], np.cumsum(count)[:-1]])
        eligible = np.column_stack([np.ones(n, bool), m["lost"], np.ones(n, bool), count >= 2, count >= 2])
        preferred = m["bad_before"] % len(EVENT_FAULTS)
        kind = np.full(n, -1)
        for step in range(len(EVENT_FAULTS) - 1, -1, -1):  # the first eligible kind from the preferred one on
            candidate = (preferred + step) % len(EVENT_FAULTS)
            kind = np.where(eligible[np.arange(n), candidate], candidate, kind)
        anywhere = (m["fault_pick"] * count).astype(np.int64)
        target = first_row + np.where(np.isin(kind, (0, 2)), anywhere, count - 1)
        fault = np.full(match.size, None, dtype=object)
        chosen = m["bad"] & (kind >= 0)
        fault[target[chosen]] = np.array(EVENT_FAULTS)[kind[chosen]]
        project = m["project"][match]
        committee = m["committee"][match]
        # a match closes when it lands or is lost; one that stalls stays open
        landed = np.where(m["reached"] == funnel, m["times"][:, funnel - 1], NEVER)
        closed = np.where(m["lost"], m["lost_at"], landed)
        return {
            "_event_ordinal": m["ordinal"][match] * SLOTS + slot,
            "_match_ordinal": m["ordinal"][match],
            "_t_event": event_at,
            "_t_updated": updated_at,
            "_t_closed": closed[match],
            "stage": np.array(crm_contract.STAGES)[slot],
            "lost_reason": np.where(slot == funnel, np.array(crm_contract.LOST_REASONS)[m["lost_reason"][match]], None),
            "match_type": np.array(crm_contract.MATCH_TYPES)[m["match_type"][match]],
            "channel": np.array(crm_contract.CHANNELS)[m["channel"][match]],
            "committee": np.where(committee >= 0, np.array(crm.COMMITTEES)[np.maximum(committee, 0)], None),
            "demand_party": m["demand"][match].astype(str),
            "supply_party": m["supply"][match].astype(str),
            "park_code": self.park_codes[m["park"][match]],
            "cluster_code": self.cluster_codes[m["cluster"][match]],
            "_project_ordinal": np.where((project >= 0) & (slot >= 4), project, -1),
            "_first_t": m["times"][match, 0],
            "_fault": fault,
            "_fault_shift": m["fault_shift"][match],
        }


_EVENT_CARRIED = (
    "_event_ordinal",
    "_match_ordinal",
    "_t_event",
    "_t_updated",
    "stage",
    "lost_reason",
    "match_type",
    "channel",
    "committee",
    "demand_party",
    "supply_party",
    "park_code",
    "cluster_code",
    "_project_ordinal",
)


def _inject_event_faults(frame: pl.DataFrame) -> pl.DataFrame:
    """Corrupt the rows marked in ``_fault``; ``_original_ordinal`` keeps the event the row stood for."""
    fault = pl.col("_fault")
    # the event before it sent again (a retried export), under its id: replaces this row's event
    duplicated = (
        pl.when(fault == "duplicate_event_id").then(pl.col(c).shift(1)).otherwise(pl.col(c)).alias(c)
        for c in _EVENT_CARRIED
    )
    return (
        frame.with_columns(pl.col("_event_ordinal").alias("_original_ordinal"))
        .with_columns(*duplicated)
        .with_columns(
            pl.when(fault == "unknown_stage").then(pl.lit(UNKNOWN_STAGE)).otherwise(pl.col("stage")).alias("stage"),
            pl.when(fault == "lost_without_reason").then(None).otherwise(pl.col("lost_reason")).alias("lost_reason"),
            pl.when(fault == "unknown_channel")
            .then(pl.lit(UNKNOWN_CHANNEL))
            .otherwise(pl.col("channel"))
            .alias("channel"),
            # typed in with the wrong date: before the match was even recommended
            pl.when(fault == "event_before_previous_stage")
            .then(pl.col("_first_t") - pl.col("_fault_shift"))
            .otherwise(pl.col("_t_event"))
            .alias("_t_event"),
        )
    )


# --------------------------------------------------------------------------- snapshots


def _cluster_names() -> pl.DataFrame:
    return (
        registry_enrichment.load_cluster_keywords()
        .select("cluster_code", "cluster_name_cn", "cluster_name_en")
        .unique("cluster_code", keep="first")
        .sort("cluster_code")
    )


def _timestamp(seconds: pl.Expr) -> pl.Expr:
    return pl.from_epoch(seconds + EPOCH_UNIX, time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def _date(seconds: pl.Expr) -> pl.Expr:
    return pl.from_epoch(seconds + EPOCH_UNIX, time_unit="s").dt.strftime("%Y-%m-%d")


def _money(cents: pl.Expr) -> pl.Expr:
    whole = (cents.abs() // 100).cast(pl.String)
    fraction = (cents.abs() % 100).cast(pl.String).str.zfill(2)
    return pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit("")) + whole + "." + fraction


def _id(prefix: str, ordinal: pl.Expr, digits: int) -> pl.Expr:
    return pl.lit(prefix) + ordinal.cast(pl.String).str.zfill(digits)


def _recorded(moment: pl.Expr, migrated_at: int) -> pl.Expr:
    """When the CRM recorded what happened at ``moment``: the migration wrote everything that came before it."""
    return pl.max_horizontal(moment, pl.lit(migrated_at, dtype=pl.Int64))


def _projects_as_of(universe: pl.DataFrame, end: int, unknown_park: str, migrated_at: int) -> pl.DataFrame:
    """Projects created before ``end`` (seconds, exclusive) in their state then, faults applied; of those
    created before the migration (``migrated_at``), the ones not dropped by then, recorded by it."""

    def happened_by_end(column: str) -> pl.Expr:
        return pl.when(pl.col(column) < end).then(pl.col(column))

    def recorded_by_end(column: str) -> pl.Expr:
        """When the CRM recorded the change, if by ``end``."""
        return pl.when(pl.col(column) < end).then(_recorded(pl.col(column), migrated_at))

    changes = [
        "_t_created",
        "_t_signed",
        "_t_started",
        "_t_producing",
        "_t_dropped",
        *(f"_tranche_at{j}" for j in range(MAX_TRANCHES)),
    ]
    paid = pl.sum_horizontal(
        pl.when(pl.col(f"_tranche_at{j}") < end).then(pl.col(f"_tranche_cents{j}")).otherwise(0)
        for j in range(MAX_TRANCHES)
    )
    fault = pl.col("_fault")
    state = universe.filter((pl.col("_t_created") < end) & (pl.col("_t_dropped") >= migrated_at)).select(
        _id("IP", pl.col("_ordinal"), 9).alias("project_id"),
        "project_name",
        "park_code",
        "investor_name",
        "direction",
        "origin_country_iso3",
        "origin_province_adcode",
        "destination_country_iso3",
        "cluster_code",
        "committee",
        "currency",
        _money(pl.col("_contracted_cents")).alias("contracted_amount"),
        _money(paid).alias("paid_in_amount"),
        _date(pl.col("_t_created")).alias("intention_date"),
        _date(happened_by_end("_t_signed")).alias("signed_date"),
        _date(happened_by_end("_t_started")).alias("construction_started_date"),
        _date(happened_by_end("_t_producing")).alias("in_production_date"),
        pl.when(pl.col("_t_dropped") < end).then(pl.lit("dropped")).otherwise(pl.lit("active")).alias("status"),
        _timestamp(_recorded(pl.col("_t_created"), migrated_at)).alias("created_at"),
        _timestamp(pl.max_horizontal(recorded_by_end(c) for c in changes)).alias("updated_at"),
        pl.max_horizontal(recorded_by_end(c) for c in changes).alias("_t_updated"),
        "_t_created",
        "_fault",
        "_fault_days",
    )
    return state.with_columns(
        pl.col("project_id").alias("_original_key"),
        pl.when(fault == "unknown_park").then(pl.lit(unknown_park)).otherwise(pl.col("park_code")).alias("park_code"),
        pl.when(fault == "negative_amount")
        .then("-" + pl.col("contracted_amount"))
        .otherwise(pl.col("contracted_amount"))
        .alias("contracted_amount"),
        pl.when(fault == "unknown_currency")
        .then(pl.lit(UNKNOWN_CURRENCY))
        .otherwise(pl.col("currency"))
        .alias("currency"),
        # signed "before" the intention: a date typed in the wrong field, present in every snapshot
        pl.when(fault == "stage_dates_out_of_order")
        .then(_date(pl.col("_t_created") - pl.col("_fault_days") * DAY))
        .otherwise(pl.col("signed_date"))
        .alias("signed_date"),
        pl.when(fault == "unknown_direction")
        .then(pl.lit(UNKNOWN_DIRECTION))
        .otherwise(pl.col("direction"))
        .alias("direction"),
        pl.when(fault == "missing_project_id").then(None).otherwise(pl.col("project_id")).alias("project_id"),
    ).select(*crm_contract.PROJECT_COLUMNS, "_t_updated", "_fault", "_original_key")


def _events_as_of(universe: pl.DataFrame, end: int, migrated_at: int) -> pl.DataFrame:
    """Events recorded before ``end`` (seconds, exclusive); of the matches begun before the migration
    (``migrated_at``), those still open then (neither landed nor lost), their earlier events recorded by it."""
    recorded = universe.with_columns(_recorded(pl.col("_t_updated"), migrated_at).alias("_t_updated"))
    return recorded.filter((pl.col("_t_updated") < end) & (pl.col("_t_closed") >= migrated_at)).select(
        _id("ME", pl.col("_event_ordinal"), 10).alias("event_id"),
        _id("M", pl.col("_match_ordinal"), 9).alias("match_id"),
        _timestamp(pl.col("_t_event")).alias("event_at"),
        "stage",
        "lost_reason",
        "match_type",
        "channel",
        "committee",
        "demand_party",
        "supply_party",
        "park_code",
        "cluster_code",
        pl.when(pl.col("_project_ordinal") >= 0).then(_id("IP", pl.col("_project_ordinal"), 9)).alias("project_id"),
        _timestamp(pl.col("_t_updated")).alias("updated_at"),
        "_t_updated",
        "_fault",
        _id("ME", pl.col("_original_ordinal"), 10).alias("_original_key"),
    )


def _payments_as_of(universe: pl.DataFrame, end: int, migrated_at: int) -> pl.DataFrame:
    """The ledger's payments recorded before ``end`` (seconds, exclusive) of the projects in ``universe``
    that were not dropped before the migration (``migrated_at``; their earlier payments recorded by it), by
    payment id, faults applied (a project's payment fault on its first payment)."""
    in_crm = universe.filter(pl.col("_t_dropped") >= migrated_at)
    tranches = pl.concat(
        [
            in_crm.select(
                "_ordinal",
                pl.lit(j, dtype=pl.Int64).alias("_slot"),
                pl.col(f"_tranche_at{j}").alias("_t_paid"),
                pl.col(f"_tranche_cents{j}").alias("_cents"),
                _recorded(pl.col(f"_recorded{j}"), migrated_at).alias("_t_recorded"),
                "currency",
                pl.when(pl.lit(j) == 0).then(pl.col("_payment_fault")).alias("_fault"),
                "_payment_fault_days",
            )
            for j in range(MAX_TRANCHES)
        ]
    )
    # a tranche rounded to nothing is no payment; one recorded after the snapshot is not there yet
    rows = tranches.filter((pl.col("_cents") > 0) & (pl.col("_t_recorded") < end)).sort("_ordinal", "_slot")
    fault = pl.col("_fault")
    return (
        rows.select(
            _id("PY", pl.col("_ordinal") * PAYMENT_SLOTS + pl.col("_slot"), 10).alias("payment_id"),
            _id("IP", pl.col("_ordinal"), 9).alias("project_id"),
            _date(pl.col("_t_paid")).alias("payment_date"),
            _money(pl.col("_cents")).alias("amount"),
            "currency",
            _timestamp(pl.col("_t_recorded")).alias("created_at"),
            _timestamp(pl.col("_t_recorded")).alias("updated_at"),
            pl.col("_t_recorded").alias("_t_updated"),
            "_fault",
            "_t_recorded",
            "_payment_fault_days",
        )
        .with_columns(
            pl.col("payment_id").alias("_original_key"),
            pl.when(fault == "payment_without_project").then(None).otherwise(pl.col("project_id")).alias("project_id"),
            pl.when(fault == "negative_payment")
            .then("-" + pl.col("amount"))
            .otherwise(pl.col("amount"))
            .alias("amount"),
            pl.when(fault == "payment_unknown_currency")
            .then(pl.lit(UNKNOWN_CURRENCY))
            .otherwise(pl.col("currency"))
            .alias("currency"),
            # typed in with a date weeks ahead of the day the payment was recorded
            pl.when(fault == "payment_dated_after_recording")
            .then(_date(pl.col("_t_recorded") + pl.col("_payment_fault_days") * DAY))
            .otherwise(pl.col("payment_date"))
            .alias("payment_date"),
        )
        .select(*crm_contract.PAYMENT_COLUMNS, "_t_updated", "_fault", "_original_key")
    )


@dataclass(frozen=True)
class Chunk:
    """A run of creation days of one snapshot: projects, events and payments in contract columns, plus
    ``_fault`` (null for a clean row), ``_original_key`` (the row's key before corruption) and
    ``_t_updated`` (seconds, for incremental loads). ``days`` is how many creation days it covers."""

    days: int
    projects: pl.DataFrame
    events: pl.DataFrame
    payments: pl.DataFrame


def snapshot_chunks(spec: CrmSpec, as_of: date, *, since: date | None = None) -> Iterator[Chunk]:
    """The snapshot as of the end of ``as_of``, one chunk of creation days at a time (bounded memory): the
    migrated portfolio's days (:func:`creation_days`), then the history's.

    With ``since``, only rows whose ``updated_at`` is after the end of ``since`` (what changed)."""
    start = spec.start_for(as_of)
    _check_range(start, as_of)
    universe = _Universe(spec)
    end = (day_number(as_of) + 1) * DAY
    migrated_at = migration_moment(start)
    changed_after = None if since is None else (day_number(since) + 1) * DAY
    creation = creation_days(spec, as_of)
    per_day = max(1, spec.match_events // HISTORY_DAYS)
    chunk_days = int(np.clip(CHUNK_EVENTS // per_day, 1, MAX_CHUNK_DAYS))
    for chunk_start in range(creation.start, creation.stop, chunk_days):
        days = range(chunk_start, min(chunk_start + chunk_days, creation.stop))
        made = [universe.day(day) for day in days]
        projects = [p for p, _ in made if p is not None]
        events = [e for _, e in made if e is not None]
        project_frame = _frame(projects) if projects else None
        if project_frame is not None:
            project_rows = _projects_as_of(project_frame, end, universe.unknown_park, migrated_at)
            payment_rows = _payments_as_of(project_frame, end, migrated_at)
        else:
            project_rows = _empty(crm_contract.PROJECTS_TABLE)
            payment_rows = _empty(crm_contract.PAYMENTS_TABLE)
        event_rows = (
            _events_as_of(_inject_event_faults(_frame(events)), end, migrated_at)
            if events
            else _empty(crm_contract.EVENTS_TABLE)
        )
        if changed_after is not None:
            project_rows = project_rows.filter(pl.col("_t_updated") >= changed_after)
            event_rows = event_rows.filter(pl.col("_t_updated") >= changed_after)
            payment_rows = payment_rows.filter(pl.col("_t_updated") >= changed_after)
        yield Chunk(days=len(days), projects=project_rows, events=event_rows, payments=payment_rows)


def _empty(table: str) -> pl.DataFrame:
    schema = dict.fromkeys(crm_contract.TABLE_COLUMNS[table], pl.String) | {
        "_t_updated": pl.Int64,
        "_fault": pl.String,
        "_original_key": pl.String,
    }
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True)
class Snapshot:
    """A whole snapshot in memory (small scales, tests): contract columns only, and the faults:
    table, fault, key (as written), original_key."""

    projects: pl.DataFrame
    events: pl.DataFrame
    payments: pl.DataFrame
    faults: pl.DataFrame


def snapshot(spec: CrmSpec, as_of: date) -> Snapshot:
    chunks = list(snapshot_chunks(spec, as_of))
    projects = pl.concat([c.projects for c in chunks])
    events = pl.concat([c.events for c in chunks])
    payments = pl.concat([c.payments for c in chunks])
    return Snapshot(
        projects=projects.select(crm_contract.PROJECT_COLUMNS),
        events=events.select(crm_contract.EVENT_COLUMNS),
        payments=payments.select(crm_contract.PAYMENT_COLUMNS),
        faults=pl.concat(
            [
                _faults_of(crm_contract.PROJECTS_TABLE, projects),
                _faults_of(crm_contract.EVENTS_TABLE, events),
                _faults_of(crm_contract.PAYMENTS_TABLE, payments),
            ]
        ),
    )


def _faults_of(table: str, rows: pl.DataFrame, positions: pl.DataFrame | None = None) -> pl.DataFrame:
    key = crm_contract.TABLE_KEYS[table]
    frame = rows.select(
        pl.lit(table).alias("table"),
        pl.col("_fault").alias("fault"),
        pl.col(key).alias("key"),
        pl.col("_original_key").alias("original_key"),
    )
    if positions is not None:
        frame = pl.concat([frame, positions], how="horizontal")
    return frame.filter(pl.col("fault").is_not_null())


# --------------------------------------------------------------------------- writers


def _progress(enabled: bool | None):
    """The platform's progress bar, unless ``enabled`` is False (tests)."""
    return progress_bar(disable=enabled is False)


class _PartWriter:
    """Appends rows to ``<table>-NNNNN.<ext>`` files of at most ``part_rows`` rows each."""

    def __init__(self, folder: Path, table: str, part_rows: int) -> None:
        if part_rows < 1:
            raise ValueError(f"part_rows must be positive, got {part_rows}")
        self.folder, self.table, self.part_rows = folder, table, part_rows
        self.csv = table in crm_contract.CSV_TABLES
        self.paths: list[Path] = []
        self.rows_in_part = 0
        self.rows = 0
        self.handle = None

    def _open_next(self) -> None:
        self.close()
        path = self.folder / f"{self.table}-{len(self.paths):05d}{'.csv' if self.csv else '.jsonl'}"
        self.paths.append(path)
        self.handle = path.open("wb")
        self.rows_in_part = 0

    def write(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Write ``frame`` (contract columns); returns each row's ``file`` (name) and ``row`` (line)."""
        positions = []
        offset = 0
        while offset < frame.height:
            if self.handle is None or self.rows_in_part >= self.part_rows:
                self._open_next()
            take = min(self.part_rows - self.rows_in_part, frame.height - offset)
            piece = frame.slice(offset, take)
            first_line = self.rows_in_part + (2 if self.csv else 1)  # CSV line 1 is the header
            if self.csv:
                piece.write_csv(self.handle, include_header=self.rows_in_part == 0)
            else:
                piece.write_ndjson(self.handle)
            positions.append(
                pl.DataFrame(
                    {
                        "file": [self.paths[-1].name] * take,
                        "row": np.arange(first_line, first_line + take, dtype=np.int64),
                    }
                )
            )
            self.rows_in_part += take
            self.rows += take
            offset += take
        if not positions:
            return pl.DataFrame(schema={"file": pl.String, "row": pl.Int64})
        return pl.concat(positions)

    def finish(self) -> list[Path]:
        if not self.paths:  # an empty table still gets its (header-only) part
            self._open_next()
            if self.csv:
                pl.DataFrame(schema=dict.fromkeys(crm_contract.TABLE_COLUMNS[self.table], pl.String)).write_csv(
                    self.handle
                )
        self.close()
        return self.paths

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


@dataclass(frozen=True)
class ExportResult:
    folder: str
    as_of: str
    history_start: str
    identity: dict
    projects: int
    events: int
    project_files: list[str]
    event_files: list[str]
    faults: dict[str, int] = field(default_factory=dict)
    payments: int = 0
    payment_files: list[str] = field(default_factory=list)


def write_exports(
    spec: CrmSpec,
    as_of: date,
    sources_dir: Path,
    *,
    part_rows: int = DEFAULT_PART_ROWS,
    progress: bool | None = None,
) -> ExportResult:
    """Write the snapshot as of ``as_of`` as the CRM exports it, streaming chunk by chunk into part files
    of at most ``part_rows`` rows, with ``_faults.csv`` and, last, ``_export.json``. The folder is built
    beside its place and swapped in, so a reader never sees half an export."""
    start = spec.start_for(as_of)
    target = crm.export_dir(sources_dir, as_of)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        projects = _PartWriter(staging, crm_contract.PROJECTS_TABLE, part_rows)
        events = _PartWriter(staging, crm_contract.EVENTS_TABLE, part_rows)
        payments = _PartWriter(staging, crm_contract.PAYMENTS_TABLE, part_rows)
        fault_counts: dict[str, int] = {}
        with (staging / FAULTS_FILE).open("wb") as faults, _progress(progress) as bar:
            task = bar.add_task(f"CRM export as of {as_of}", total=len(creation_days(spec, as_of)))
            header = True
            for chunk in snapshot_chunks(replace(spec, history_start=start), as_of):
                project_lines = projects.write(chunk.projects.select(crm_contract.PROJECT_COLUMNS))
                event_lines = events.write(chunk.events.select(crm_contract.EVENT_COLUMNS))
                payment_lines = payments.write(chunk.payments.select(crm_contract.PAYMENT_COLUMNS))
                written = [
                    _faults_of(crm_contract.PROJECTS_TABLE, chunk.projects, project_lines),
                    _faults_of(crm_contract.EVENTS_TABLE, chunk.events, event_lines),
                    _faults_of(crm_contract.PAYMENTS_TABLE, chunk.payments, payment_lines),
                ]
                manifest = pl.concat(written).select("table", "fault", "file", "row", "key", "original_key")
                manifest.write_csv(faults, include_header=header)
                header = False
                for kind, count in manifest.group_by("fault").len().iter_rows():
                    fault_counts[kind] = fault_counts.get(kind, 0) + count
                bar.advance(task, chunk.days)
            if header:
                faults.write(b"table,fault,file,row,key,original_key\n")
        result = ExportResult(
            folder=str(target),
            as_of=as_of.isoformat(),
            history_start=start.isoformat(),
            identity=spec.identity(),
            projects=projects.rows,
            events=events.rows,
            project_files=[p.name for p in projects.finish()],
            event_files=[p.name for p in events.finish()],
            faults=dict(sorted(fault_counts.items())),
            payments=payments.rows,
            payment_files=[p.name for p in payments.finish()],
        )
        marker = {key: value for key, value in asdict(result).items() if key != "folder"}  # the same bytes anywhere
        (staging / EXPORT_MARKER).write_text(json.dumps(marker, indent=2, ensure_ascii=False), encoding="utf-8")
        (staging / GENERATED_MARKER).write_text(json.dumps({GENERATOR_KEY: __name__}) + "\n", encoding="utf-8")
        retired = target.parent / f".retired-{uuid.uuid4().hex}"
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info(
        "CRM export as of %s: %d projects, %d events, %d payments in %s",
        as_of,
        result.projects,
        result.events,
        result.payments,
        target,
    )
    return result


def read_export_result(folder: Path) -> ExportResult | None:
    marker = folder / EXPORT_MARKER
    if not marker.is_file():
        return None
    return ExportResult(folder=str(folder), **json.loads(marker.read_text(encoding="utf-8")))


def ensure_exports(
    spec: CrmSpec,
    as_of: date,
    sources_dir: Path,
    *,
    part_rows: int = DEFAULT_PART_ROWS,
    progress: bool | None = None,
) -> ExportResult:
    """The export as of ``as_of``, written unless already there for this CRM. The go-live date is kept in
    ``<sources_dir>/crm/_generator.json`` (the first as-of date sets it), so later dates extend one history."""
    state_path = sources_dir / crm_contract.EXPORT_FOLDER / STATE_FILE
    identity = spec.identity()
    if spec.history_start is None:
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else None
        if state is not None and state.get("identity") == identity:
            spec = replace(spec, history_start=date.fromisoformat(state["history_start"]))
        else:
            spec = replace(spec, history_start=default_history_start(as_of))
            state_path.parent.mkdir(parents=True, exist_ok=True)
            state = {"identity": identity, "history_start": spec.history_start.isoformat()}
            state_path.write_text(json.dumps(state, indent=2), encoding="utf-8")
    existing = read_export_result(crm.export_dir(sources_dir, as_of))
    if (
        existing is not None
        and existing.identity == identity
        and existing.history_start == spec.start_for(as_of).isoformat()
    ):
        return existing
    return write_exports(spec, as_of, sources_dir, part_rows=part_rows, progress=progress)


# --------------------------------------------------------------------------- PostgreSQL


_SQL_TYPES = {
    "contracted_amount": "numeric(20,2)",
    "paid_in_amount": "numeric(20,2)",
    "intention_date": "date",
    "signed_date": "date",
    "construction_started_date": "date",
    "in_production_date": "date",
    "created_at": "timestamptz NOT NULL",
    "event_at": "timestamptz",
    "updated_at": "timestamptz NOT NULL",
    "payment_date": "date",
    "amount": "numeric(20,2)",
}


def _ddl(table: str) -> str:
    key = crm_contract.TABLE_KEYS[table]
    columns = ",\n  ".join(
        f"{c} text PRIMARY KEY" if c == key else f"{c} {_SQL_TYPES.get(c, 'text')}"
        for c in crm_contract.TABLE_COLUMNS[table]
    )
    return f"CREATE TABLE IF NOT EXISTS {{schema}}.{table} (\n  {columns}\n)"


@dataclass(frozen=True)
class LoadResult:
    schema: str
    as_of: str
    history_start: str
    mode: str  # full | incremental | rewind | unchanged
    projects: int  # rows upserted
    events: int
    left_out: dict[str, int] = field(default_factory=dict)  # rows the tables' keys cannot hold
    faults: dict[str, int] = field(default_factory=dict)  # corrupted rows upserted, per kind
    payments: int = 0


def _read_marker(cursor, schema: str) -> tuple[bool, dict | None]:
    cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,))
    row = cursor.fetchone()
    if row is None:
        return False, None
    cursor.execute("SELECT obj_description(%s, 'pg_namespace')", (row[0],))
    comment = cursor.fetchone()[0]
    try:
        marker = json.loads(comment) if comment else None
    except json.JSONDecodeError:
        marker = None
    return True, marker if isinstance(marker, dict) and marker.get(GENERATOR_KEY) == __name__ else None


def _has_crm_tables(cursor, schema: str) -> bool:
    cursor.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = ANY(%s)",
        (schema, list(crm_contract.TABLE_COLUMNS)),
    )
    return cursor.fetchone()[0] > 0


def _upsert(cursor, schema_sql, table: str, frame: pl.DataFrame) -> int:
    from psycopg2 import sql

    if frame.is_empty():
        return 0
    columns = crm_contract.TABLE_COLUMNS[table]
    key = crm_contract.TABLE_KEYS[table]
    stage = sql.Identifier(f"crm_stage_{table}")
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    buffer = io.BytesIO()
    frame.select(columns).write_csv(buffer)
    buffer.seek(0)
    cursor.execute(sql.SQL("TRUNCATE {}").format(stage))
    cursor.copy_expert(
        sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)").format(stage, names).as_string(cursor),
        buffer,
    )
    updates = sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns if c != key)
    cursor.execute(
        sql.SQL("INSERT INTO {}.{} ({}) SELECT {} FROM {} ON CONFLICT ({}) DO UPDATE SET {}").format(
            schema_sql, sql.Identifier(table), names, names, stage, sql.Identifier(key), updates
        )
    )
    return frame.height


def load_postgres(
    dsn: str,
    spec: CrmSpec,
    as_of: date,
    *,
    schema: str = crm_contract.DEFAULT_SCHEMA,
    force: bool = False,
    progress: bool | None = None,
) -> LoadResult:
    """Make ``schema`` hold the snapshot as of ``as_of``: tables created if missing, rows upserted chunk by
    chunk (COPY into a temporary table, INSERT ... ON CONFLICT DO UPDATE), all in one transaction.

    A marker in the schema's comment records the generated CRM (identity, go-live, as-of date): the
    same date again is a no-op (unless ``force``), a later date upserts only the rows changed since
    (``incremental``), an earlier one removes what came later and upserts every row (``rewind``). A
    schema with CRM tables the generator did not create is never written to.
    """
    from psycopg2 import sql

    tables = ", ".join(f"{schema}.{table}" for table in crm_contract.TABLE_COLUMNS)
    connection = crm.connect(dsn, f"loading {tables}")
    identity = spec.identity()
    try:
        with connection.cursor() as cursor:
            exists, marker = _read_marker(cursor, schema)
            if exists and marker is None and _has_crm_tables(cursor, schema):
                raise crm.CrmSourceError(
                    f"schema {schema} at {crm.describe_dsn(dsn)} holds CRM tables the generator did not create: "
                    "refusing to write generated data into it (a real CRM is only read, by the extractors)"
                )
            ours = marker is not None and marker.get("identity") == identity
            if spec.history_start is None:
                spec = replace(
                    spec,
                    history_start=date.fromisoformat(marker["history_start"]) if ours else default_history_start(as_of),
                )
            ours = ours and marker.get("history_start") == spec.history_start.isoformat()
            loaded = date.fromisoformat(marker["as_of"]) if ours else None
            schema_sql = sql.Identifier(schema)
            if loaded == as_of and not force:
                return LoadResult(schema, as_of.isoformat(), spec.history_start.isoformat(), "unchanged", 0, 0)
            cursor.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema_sql))
            for table in crm_contract.TABLE_COLUMNS:
                cursor.execute(sql.SQL(_ddl(table).replace("{schema}", "{}")).format(schema_sql))
                cursor.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {}.{} (updated_at)").format(
                        sql.Identifier(f"{table}_updated_at"), schema_sql, sql.Identifier(table)
                    )
                )
                cursor.execute(
                    sql.SQL("CREATE TEMPORARY TABLE IF NOT EXISTS {} (LIKE {}.{}) ON COMMIT DROP").format(
                        sql.Identifier(f"crm_stage_{table}"), schema_sql, sql.Identifier(table)
                    )
                )
            since = None
            if loaded is None:
                mode = "full"
                for table in crm_contract.TABLE_COLUMNS:
                    cursor.execute(sql.SQL("TRUNCATE {}.{}").format(schema_sql, sql.Identifier(table)))
            elif loaded < as_of and not force:
                mode, since = "incremental", loaded
            else:
                mode = "rewind"
                end = crm.end_of_day(as_of)
                cursor.execute(
                    sql.SQL("DELETE FROM {}.{} WHERE updated_at >= %s").format(
                        schema_sql, sql.Identifier(crm_contract.EVENTS_TABLE)
                    ),
                    (end,),
                )
                for table in (crm_contract.PROJECTS_TABLE, crm_contract.PAYMENTS_TABLE):
                    cursor.execute(
                        sql.SQL("DELETE FROM {}.{} WHERE created_at >= %s").format(schema_sql, sql.Identifier(table)),
                        (end,),
                    )
            counts = {"projects": 0, "events": 0, "payments": 0}
            left_out = {"project_id missing": 0, "event_id duplicate": 0}
            faults: dict[str, int] = {}
            with _progress(progress) as bar:
                task = bar.add_task(f"CRM {schema} as of {as_of}", total=len(creation_days(spec, as_of)))
                for chunk in snapshot_chunks(spec, as_of, since=since):
                    projects = chunk.projects.filter(pl.col("project_id").is_not_null())
                    # a database keeps one row per key: the first of a repeated event id
                    events = chunk.events.unique("event_id", keep="first", maintain_order=True)
                    left_out["project_id missing"] += chunk.projects.height - projects.height
                    left_out["event_id duplicate"] += chunk.events.height - events.height
                    counts["projects"] += _upsert(cursor, schema_sql, crm_contract.PROJECTS_TABLE, projects)
                    counts["events"] += _upsert(cursor, schema_sql, crm_contract.EVENTS_TABLE, events)
                    counts["payments"] += _upsert(cursor, schema_sql, crm_contract.PAYMENTS_TABLE, chunk.payments)
                    stored = pl.concat(
                        [projects.select("_fault"), events.select("_fault"), chunk.payments.select("_fault")]
                    ).drop_nulls()
                    for kind, count in stored.group_by("_fault").len().iter_rows():
                        faults[kind] = faults.get(kind, 0) + count
                    bar.advance(task, chunk.days)
            marker = {
                GENERATOR_KEY: __name__,
                "identity": identity,
                "history_start": spec.history_start.isoformat(),
                "as_of": as_of.isoformat(),
            }
            cursor.execute(sql.SQL("COMMENT ON SCHEMA {} IS %s").format(schema_sql), (json.dumps(marker),))
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()
    log.info(
        "CRM %s as of %s (%s): %d projects, %d events, %d payments upserted", schema, as_of, mode, *counts.values()
    )
    return LoadResult(
        schema,
        as_of.isoformat(),
        spec.history_start.isoformat(),
        mode,
        counts["projects"],
        counts["events"],
        left_out,
        dict(sorted(faults.items())),
        payments=counts["payments"],
    )


# --------------------------------------------------------------------------- the demo's CRM


def generator_parks(settings: Settings) -> pl.DataFrame:
    """The registry's zones for the generator: zone_code, zone_name and the clusters their declared
    leading industries map to (empty list when none maps)."""
    registry = (
        catalogue.valid_registry(settings)
        .unique("zone_code", keep="first", maintain_order=True)
        .select("zone_code", "zone_name", "leading_industries")
    )
    return (
        registry.join(registry_enrichment.declared_clusters(registry), on="zone_code", how="left")
        .select("zone_code", "zone_name", "clusters")
        .sort("zone_code")
    )


def write_snapshot(settings: Settings, as_of: date) -> ExportResult | LoadResult:
    """Make the simulated CRM hold its snapshot as of ``as_of`` where the CRM sources read it: PostgreSQL
    with ``PARK_CRM_DSN``, else the exports. Cheap when it is already there."""
    spec = spec_from_settings(settings, generator_parks(settings))
    if settings.crm_dsn is not None:
        return load_postgres(settings.crm_dsn, spec, as_of, schema=settings.crm_schema)
    return ensure_exports(spec, as_of, settings.sources_dir)


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """``python -m simulators.crm --as-of 2026-11-23 [--dsn ...]``: generate the configured scale."""
    from parkplatform.config import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--dsn", help="load PostgreSQL instead of writing exports (default: PARK_CRM_DSN)")
    parser.add_argument("--schema", help="PostgreSQL schema (default: PARK_CRM_SCHEMA, else crm)")
    parser.add_argument("--part-rows", type=int, default=DEFAULT_PART_ROWS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = get_settings()
    spec = spec_from_settings(settings, generator_parks(settings))
    dsn = args.dsn or settings.crm_dsn
    args.schema = args.schema or settings.crm_schema
    if dsn:
        result = load_postgres(dsn, spec, args.as_of, schema=args.schema)
    else:
        result = ensure_exports(spec, args.as_of, settings.sources_dir, part_rows=args.part_rows)
    print(json.dumps(asdict(result), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
