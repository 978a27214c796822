"""The CRM generator: one deterministic universe per seed, snapshots that only grow, exact scale
counts, part files that roll over, every fault kind, the calendar's dips, and a payment ledger that adds
up to each project's paid-in."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from extractors.crm import contract as crm_contract
from extractors.crm import extract as crm
from parkplatform.config import get_settings
from simulators import crm as crm_generator
from simulators import crm as crm_simulator

DAY = date(2026, 11, 23)  # far from Spring Festival: every project created by then is in the snapshot
FUNNEL = crm_contract.STAGES[:-1]


@pytest.fixture
def spec(tiny) -> crm_generator.CrmSpec:
    """The tiny CRM on the real catalogue, live since 113 weeks before DAY, 10 % of rows corrupted."""
    settings = get_settings()
    return replace(
        crm_generator.spec_from_settings(settings, crm_simulator.generator_parks(settings)),
        history_start=crm_generator.default_history_start(DAY),
        bad_row_rate=0.1,
    )


def _rows(spec: crm_generator.CrmSpec, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Projects, events and payments of a snapshot with the generator's ``_fault`` column."""
    chunks = list(crm_generator.snapshot_chunks(spec, as_of))
    return (
        pl.concat(c.projects for c in chunks),
        pl.concat(c.events for c in chunks),
        pl.concat(c.payments for c in chunks),
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_same_seed_writes_identical_bytes_and_another_seed_does_not(spec, tmp_path):
    result = crm_generator.write_exports(spec, DAY, tmp_path / "a", part_rows=300)
    crm_generator.write_exports(spec, DAY, tmp_path / "b", part_rows=300)
    crm_generator.write_exports(replace(spec, seed=spec.seed + 1), DAY, tmp_path / "c", part_rows=300)
    first, again, other = (_files(tmp_path / name) for name in "abc")
    assert first == again
    parts = [
        *(f"investment_projects-{i:05d}.csv" for i in range(-(-result.projects // 300))),
        *(f"payments-{i:05d}.csv" for i in range(-(-result.payments // 300))),
        *(f"match_events-{i:05d}.jsonl" for i in range(-(-result.events // 300))),
    ]
    assert set(first) == {
        f"crm/export_date={DAY}/{name}" for name in (*parts, "_faults.csv", "_export.json", "generated.json")
    }
    for table in ("investment_projects", "payments"):
        path = f"crm/export_date={DAY}/{table}-00000.csv"
        assert first[path] != other[path]


def _begun(events: pl.DataFrame, since: date) -> pl.DataFrame:
    """The matches (match_id) recommended on or after ``since``: those of the CRM itself from its go-live on."""
    return events.filter((pl.col("stage") == "recommended") & (pl.col("event_at") >= since.isoformat())).select(
        "match_id"
    )


def test_tiny_scale_counts_are_exact_per_113_weeks(spec):
    """scale.investment_projects projects and target_matches(scale.match_events) matches are created in
    any 113 consecutive weeks; their events number scale.match_events on average. The portfolio migrated
    at go-live comes on top (test_the_migration_brings_what_the_old_system_held_open)."""
    assert crm_generator.HISTORY_DAYS == 791  # 113 weeks, the 26 months before the first as-of date
    assert crm_generator.target_matches(1_000) == 299  # 1,000 events / 3.344 events per match
    for shift in (0, 1, 3, 100, 365):  # the window may start on any weekday
        later = DAY + timedelta(days=shift)
        moved = replace(spec, history_start=crm_generator.default_history_start(later))
        assert crm_generator.history_counts(moved, later) == {"investment_projects": 200, "matches": 299}

    # counted on the clean CRM: a corrupted event may have lost its stage or date
    clean = replace(spec, bad_row_rate=0.0)
    go_live = clean.history_start
    snap = crm_generator.snapshot(clean, DAY)
    assert snap.projects.filter(pl.col("intention_date") >= go_live.isoformat()).height == 200
    begun = _begun(snap.events, go_live)
    assert begun.height == 299
    # the same matches' events, whenever they happen (some are still to come on DAY)
    later = crm_generator.snapshot(clean, DAY + timedelta(days=3 * 365)).events
    whole = later.join(begun, on="match_id")
    assert snap.events.join(begun, on="match_id").height < whole.height
    assert 900 <= whole.height <= 1_100
    # with the migrated portfolio (derived in test_the_migration_brings_what_the_old_system_held_open)
    assert snap.projects.height == 322
    assert snap.events["match_id"].n_unique() == 426
    assert snap.payments.height == 372


def test_the_migration_brings_what_the_old_system_held_open(spec):
    """The CRM goes live holding what the system before it held open the evening before go-live: the same
    universe live since the portfolio's first day (104 weeks earlier), seen as of DAY, less what was closed
    by go-live (a project dropped, a match landed or lost). Nothing else differs but the migrated rows'
    recording time: the migration, at 22:00 the evening before go-live."""
    clean = replace(spec, bad_row_rate=0.0)
    go_live = clean.history_start
    since = crm_generator.portfolio_start(go_live)
    assert since == go_live - timedelta(weeks=104)
    migration = f"{go_live - timedelta(days=1)}T22:00:00+08:00"
    ours = crm_generator.snapshot(clean, DAY)
    old = crm_generator.snapshot(replace(clean, history_start=since), DAY)

    def recorded(column: str) -> pl.Expr:  # what the old system recorded before the migration, at the migration
        return pl.max_horizontal(pl.col(column), pl.lit(migration)).alias(column)

    # projects begun in the old system and not dropped by go-live (a dropped project's last change is its drop)
    dropped_before = (pl.col("status") == "dropped") & (pl.col("updated_at") < go_live.isoformat())
    projects = old.projects.filter((pl.col("intention_date") >= since.isoformat()) & ~dropped_before)
    assert ours.projects.sort("project_id").equals(
        projects.with_columns(recorded("created_at"), recorded("updated_at")).sort("project_id")
    )
    # their whole ledger, the payments before go-live recorded at the migration
    payments = old.payments.join(projects.select("project_id"), on="project_id", how="semi")
    assert ours.payments.sort("payment_id").equals(
        payments.with_columns(recorded("created_at"), recorded("updated_at")).sort("payment_id")
    )
    # matches begun in the old system, less those landed or lost by go-live, with their whole event log
    closed = old.events.filter(pl.col("stage").is_in(["landed", "lost"]) & (pl.col("event_at") < go_live.isoformat()))
    events = old.events.join(_begun(old.events, since), on="match_id").join(closed, on="match_id", how="anti")
    assert ours.events.sort("event_id").equals(events.with_columns(recorded("updated_at")).sort("event_id"))

    # the tiny CRM's counts (test_tiny_scale_counts_are_exact_per_113_weeks), by those queries on the old system
    before_go_live = go_live.isoformat()
    assert projects.height == 322 and projects.filter(pl.col("intention_date") < before_go_live).height == 122
    assert payments.height == 372 and payments.filter(pl.col("payment_date") < before_go_live).height == 100
    assert events["match_id"].n_unique() == 426 and events.height == 1_333
    assert _begun(events, since).join(_begun(events, go_live), on="match_id", how="anti").height == 127  # + 299
    assert events.filter(pl.col("event_at") < before_go_live).height == 340


def test_clean_rows_obey_the_stage_order(spec):
    projects, events, _ = _rows(spec, DAY)
    faulty_matches = events.filter(pl.col("_fault").is_not_null())["match_id"].unique().implode()
    clean = events.filter(~pl.col("match_id").is_in(faulty_matches)).with_columns(
        pl.col("stage").replace_strict(crm_contract.STAGE_RANK, return_dtype=pl.Int8).alias("rank"),
        crm.parse_timestamp(pl.col("event_at")).alias("at"),
    )
    per_match = clean.sort("match_id", "at", "rank").group_by("match_id", maintain_order=True).agg("rank", "stage")
    for ranks, stages in per_match.select("rank", "stage").iter_rows():
        funnel = [rank for rank in ranks if rank < len(FUNNEL)]
        assert funnel == list(range(len(funnel))), stages  # in order, no stage skipped, none repeated
        if "lost" in stages:
            assert stages[-1] == "lost" and stages.count("lost") == 1 and "landed" not in stages, stages
    assert (clean.filter(pl.col("stage") == "lost")["lost_reason"].is_not_null()).all()
    assert clean.filter(pl.col("stage") != "lost")["lost_reason"].is_null().all()
    assert (
        clean.select(crm.parse_timestamp(pl.col("updated_at")) >= pl.col("at")).to_series().all()
    )  # recorded after it happened

    good = projects.filter(pl.col("_fault").is_null())
    dates = [pl.col(column).str.to_date() for column in crm_contract.PROJECT_DATES]
    for earlier, later in itertools.pairwise(dates):
        assert good.filter(later.is_not_null() & (earlier.is_null() | (later < earlier))).is_empty()
    paid = pl.col("paid_in_amount").cast(pl.Decimal(20, 2))
    assert good.filter((paid > 0) & pl.col("construction_started_date").is_null()).is_empty()
    # paid-in in the contract's currency, as a CRM records it: never beyond the contract
    assert good.filter(paid > pl.col("contracted_amount").cast(pl.Decimal(20, 2))).is_empty()
    assert good.filter(
        (pl.col("direction") == "domestic") != pl.col("origin_province_adcode").str.contains(r"^\d{2}0000$")
    ).is_empty()
    outbound = good.filter(pl.col("direction") == "outbound")
    assert (outbound["origin_country_iso3"] == "CHN").all() and (outbound["destination_country_iso3"] != "CHN").all()

    # a project born from a match carries its dates: signed (and landed) when the match signed (and landed)
    linked = (
        clean.filter(pl.col("project_id").is_not_null() & pl.col("stage").is_in(["signed", "landed"]))
        .select("project_id", "stage", pl.col("event_at").str.slice(0, 10).alias("day"))
        .pivot(on="stage", index="project_id", values="day")
        .join(good, on="project_id")
    )
    if "landed" not in linked.columns:
        linked = linked.with_columns(pl.lit(None, dtype=pl.String).alias("landed"))
    assert linked.height > 0
    assert (linked["signed"] == linked["signed_date"]).all()
    assert (linked["landed"].is_null() | (linked["landed"] == linked["construction_started_date"])).all()


def test_a_later_snapshot_only_adds_and_updates(spec):
    later = DAY + timedelta(days=30)
    end = crm.end_of_day(DAY)
    first, second = crm_generator.snapshot(spec, DAY), crm_generator.snapshot(spec, later)

    # events and payments are logs: every earlier row is there unchanged, the new ones were recorded after DAY
    for table, columns in (("events", crm_contract.EVENT_COLUMNS), ("payments", crm_contract.PAYMENT_COLUMNS)):
        before, after = getattr(first, table), getattr(second, table)
        assert before.join(after, on=list(columns), how="anti", nulls_equal=True).is_empty(), table
        added = after.join(before, on=list(columns), how="anti", nulls_equal=True)
        assert added.height == after.height - before.height > 0, table
        assert (added.select(crm.parse_timestamp(pl.col("updated_at")) >= end).to_series()).all(), table

    # projects change in place: a row that changed (or is new) has updated_at after DAY, the others are equal
    keyed = [frame.filter(pl.col("project_id").is_not_null()) for frame in (first.projects, second.projects)]
    both = keyed[0].join(keyed[1], on="project_id", how="full", suffix="_later", coalesce=True)
    assert both.filter(pl.col("updated_at_later").is_null()).is_empty()  # no project disappears
    changed = both.filter(pl.col("updated_at").is_null() | (pl.col("updated_at") != pl.col("updated_at_later")))
    assert changed.height > 0
    assert (changed.select(crm.parse_timestamp(pl.col("updated_at_later")) >= end).to_series()).all()
    unchanged = both.join(changed.select("project_id"), on="project_id", how="anti")
    for column in crm_contract.PROJECT_COLUMNS[1:]:
        assert unchanged.filter(pl.col(column).ne_missing(pl.col(f"{column}_later"))).is_empty(), column


def test_parts_roll_over_at_the_row_limit_and_hold_the_same_rows(spec, tmp_path):
    small = crm_generator.write_exports(spec, DAY, tmp_path / "small", part_rows=40)
    whole = crm_generator.write_exports(spec, DAY, tmp_path / "whole")
    # 322 projects, 372 payments (test_tiny_scale_counts_are_exact_per_113_weeks): 8 x 40 + 2 and 9 x 40 + 12 rows
    assert small.projects == whole.projects == 322
    assert small.project_files == [f"investment_projects-{i:05d}.csv" for i in range(9)]
    assert len(small.event_files) == -(-small.events // 40) and whole.event_files == ["match_events-00000.jsonl"]
    folder, single = Path(small.folder), Path(whole.folder)
    parts = [crm.read_export_part(folder / name, crm_contract.PROJECTS_TABLE) for name in small.project_files]
    assert [part.height for part in parts] == [40] * 8 + [2]
    one = crm.read_export_part(single / whole.project_files[0], crm_contract.PROJECTS_TABLE)
    assert pl.concat(parts).select(crm_contract.PROJECT_COLUMNS).equals(one.select(crm_contract.PROJECT_COLUMNS))
    events = pl.concat(crm.read_export_part(folder / name, crm_contract.EVENTS_TABLE) for name in small.event_files)
    single_events = crm.read_export_part(single / whole.event_files[0], crm_contract.EVENTS_TABLE)
    assert events.select(crm_contract.EVENT_COLUMNS).equals(single_events.select(crm_contract.EVENT_COLUMNS))
    assert small.payments == whole.payments == 372 and whole.payment_files == ["payments-00000.csv"]
    assert small.payment_files == [f"payments-{i:05d}.csv" for i in range(10)]
    payments = pl.concat(
        crm.read_export_part(folder / name, crm_contract.PAYMENTS_TABLE) for name in small.payment_files
    )
    single_payments = crm.read_export_part(single / whole.payment_files[0], crm_contract.PAYMENTS_TABLE)
    assert payments.select(crm_contract.PAYMENT_COLUMNS).equals(single_payments.select(crm_contract.PAYMENT_COLUMNS))

    # the manifest points at the corrupted line of the right part
    manifest = pl.read_csv(folder / crm_generator.FAULTS_FILE, infer_schema=False)
    lines = pl.concat(
        [
            *(part.select(pl.col("project_id").alias("key"), "_source_file", "_source_row") for part in parts),
            events.select(pl.col("event_id").alias("key"), "_source_file", "_source_row"),
            payments.select(pl.col("payment_id").alias("key"), "_source_file", "_source_row"),
        ]
    ).select(
        pl.col("_source_file").str.split("/").list.last().alias("file"),
        pl.col("_source_row").cast(pl.String).alias("row"),
        pl.col("key").alias("key_in_file"),
    )
    pointed = manifest.join(lines, on=["file", "row"], how="left")
    assert pointed.height == manifest.height == sum(small.faults.values())
    assert (pointed["key"].eq_missing(pointed["key_in_file"])).all()
    assert manifest.filter(pl.col("table") == crm_contract.PAYMENTS_TABLE).height > 0


def test_every_fault_kind_appears_and_the_exports_look_like_crm_data(spec, tmp_path):
    result = crm_generator.write_exports(spec, DAY, tmp_path)
    assert set(result.faults) == (
        set(crm_generator.PROJECT_FAULTS) | set(crm_generator.EVENT_FAULTS) | set(crm_generator.PAYMENT_FAULTS)
    )
    rows = result.projects + result.events + result.payments
    assert sum(result.faults.values()) == pytest.approx(0.1 * rows, rel=0.15)
    payment_faults = sum(result.faults[kind] for kind in crm_generator.PAYMENT_FAULTS)
    assert payment_faults == pytest.approx(0.1 * result.payments, rel=0.25)  # chosen per project: coarser
    folder = Path(result.folder)
    header = (folder / result.project_files[0]).read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(crm_contract.PROJECT_COLUMNS)
    header = (folder / result.payment_files[0]).read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == list(crm_contract.PAYMENT_COLUMNS)
    first_event = json.loads((folder / result.event_files[0]).read_text(encoding="utf-8").splitlines()[0])
    assert list(first_event) == list(crm_contract.EVENT_COLUMNS)
    assert first_event["event_at"].endswith("+08:00")
    clean = crm_generator.write_exports(replace(spec, bad_row_rate=0.0), DAY, tmp_path / "clean")
    assert clean.faults == {}


def test_spring_festival_and_weekends_are_quiet():
    """At a larger size: new matches dip in the Spring Festival week; weekends see few events."""
    parks = pl.DataFrame({"zone_code": ["G321001", "S440001", "S510002"]})
    spec = crm_generator.CrmSpec(
        parks=crm_generator.choose_parks(parks, 3, seed=7),
        investment_projects=2_000,
        match_events=40_000,
        seed=7,
        bad_row_rate=0.0,
    )
    events = crm_generator.snapshot(spec, date(2026, 4, 30)).events.with_columns(
        crm.parse_timestamp(pl.col("event_at")).dt.convert_time_zone("Asia/Shanghai").alias("at")
    )
    weekly = (
        events.filter(pl.col("stage") == "recommended")
        .group_by(pl.col("at").dt.truncate("1w").dt.date().alias("week"))
        .len()
        .sort("week")
    )
    holiday_week = weekly.filter(pl.col("week") == date(2026, 2, 16))["len"].item()  # 2026-02-17 is New Year
    before = weekly.filter(pl.col("week").is_between(date(2026, 1, 5), date(2026, 2, 2)))["len"].mean()
    assert holiday_week < 0.4 * before
    weekend_share = events.select((pl.col("at").dt.weekday() >= 6).mean()).item()
    assert weekend_share < 0.6 * 2 / 7


def test_the_ledger_adds_up_to_each_projects_paid_in(spec):
    """Each project's paid_in_amount is the sum of its payments recorded by then, in the contract's
    currency; tranches start with construction, arrive on working hours and are recorded the same day
    (those before go-live at the migration, 22:00 the evening before); some contracts are paid in full
    (paid-in = contract), none beyond."""
    clean = replace(spec, bad_row_rate=0.0)
    go_live = clean.history_start
    for as_of in (DAY, DAY + timedelta(days=200)):
        snap = crm_generator.snapshot(clean, as_of)
        money = pl.col("amount").cast(pl.Decimal(20, 2))
        payments = snap.payments.with_columns(
            money.alias("money"),
            pl.col("payment_date").str.to_date().alias("paid_on"),
            crm.parse_timestamp(pl.col("created_at")).dt.convert_time_zone("Asia/Shanghai").alias("recorded"),
        )
        assert payments.height > 0 and (payments["money"] > 0).all()
        assert payments["payment_id"].is_unique().all()
        assert (payments["created_at"] == payments["updated_at"]).all()
        migrated = payments.filter(pl.col("paid_on") < go_live)
        assert migrated.height > 0
        assert (migrated["created_at"] == f"{go_live - timedelta(days=1)}T22:00:00+08:00").all()
        recorded_live = payments.filter(pl.col("paid_on") >= go_live)
        assert (recorded_live["recorded"].dt.date() == recorded_live["paid_on"]).all()  # the day it arrived
        assert recorded_live["recorded"].dt.hour().is_between(8, 21).all()  # working hours, within 90 minutes
        assert payments["recorded"].dt.date().max() <= as_of
        ledger = payments.group_by("project_id").agg(
            pl.col("money").sum().alias("ledger"),
            pl.col("currency").unique().alias("currencies"),
            pl.col("paid_on").min().alias("first_paid"),
            pl.len().alias("payments"),
        )
        projects = snap.projects.with_columns(
            pl.col("paid_in_amount").cast(pl.Decimal(20, 2)).alias("paid"),
            pl.col("contracted_amount").cast(pl.Decimal(20, 2)).alias("contracted"),
        ).join(ledger, on="project_id", how="left")
        assert projects.filter(pl.col("ledger").is_null() & (pl.col("paid") > 0)).is_empty()
        paying = projects.filter(pl.col("ledger").is_not_null())
        assert (paying["ledger"] == paying["paid"]).all()  # the running total is the ledger's sum
        assert (paying["currencies"].list.len() == 1).all()
        assert (paying["currencies"].list.first() == paying["currency"]).all()  # in the contract's currency
        # the first tranche when construction starts (a weekend or Spring Festival start: the next working days)
        started = paying["construction_started_date"].str.to_date()
        assert ((paying["first_paid"] - started).dt.total_days().is_between(0, 14)).all()
        assert (paying["first_paid"] == started).mean() > 0.8
        assert paying["payments"].max() <= crm_generator.MAX_TRANCHES
        assert (paying["paid"] <= paying["contracted"]).all()
        assert paying.filter(pl.col("paid") == pl.col("contracted")).height > 0  # paid in full
        assert paying.filter(pl.col("paid") < pl.col("contracted")).height > 0
        # ids: project number x 10 + tranche
        assert (payments["payment_id"].str.slice(2, 9) == payments["project_id"].str.slice(2)).all()
