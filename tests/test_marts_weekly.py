"""The weekly indicators on the tiny build: one week's values, week-over-week and year-over-year
changes recomputed by hand from the landed CRM events (independently of the SQL), and the laws of
the mart."""

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from parkplatform.landing import LANDED_FILE

WEEK = "2026-W47"  # Monday 2026-11-16 to Sunday 2026-11-22, the last complete week before 2026-11-23
MONDAY = date(2026, 11, 16)


def _sql(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def events(tiny_warehouse: Path) -> pl.DataFrame:
    landed = pl.read_parquet(
        tiny_warehouse.parent.parent / "landing" / "crm_match_events" / "batch_date=2026-11-23" / LANDED_FILE
    )
    return landed.unique("event_id").select(
        "match_id",
        "stage",
        pl.col("event_at")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="Asia/Shanghai")
        .dt.date()
        .alias("event_date"),
    )


def _matches_reaching(events: pl.DataFrame, stage: str, monday: date) -> int:
    week = events.filter(
        (pl.col("stage") == stage) & pl.col("event_date").is_between(monday, monday + timedelta(days=6))
    )
    return week["match_id"].n_unique()


def test_one_weeks_values_and_changes_match_the_hand_count(tiny_warehouse, events):
    row = _sql(
        tiny_warehouse,
        "select value, previous_week_value, same_week_last_year_value, week_over_week_change, year_over_year_change "
        f"from mart_weekly_indicators where iso_week_label = '{WEEK}' and indicator_code = 'new_matches'",
    )[0]
    this_week = _matches_reaching(events, "recommended", MONDAY)
    week_before = _matches_reaching(events, "recommended", MONDAY - timedelta(days=7))
    year_before = _matches_reaching(events, "recommended", date(2025, 11, 17))  # Monday of 2025-W47
    assert row[:3] == (this_week, week_before, year_before) == (3, 2, 3)
    assert row[3] == pytest.approx(this_week / week_before - 1) == 0.5
    assert row[4] == pytest.approx(this_week / year_before - 1) == 0.0

    conversion = _sql(
        tiny_warehouse,
        "select value from mart_weekly_indicators "
        f"where iso_week_label = '{WEEK}' and indicator_code = 'match_conversion_rate'",
    )[0][0]
    assert conversion == pytest.approx(_matches_reaching(events, "signed", MONDAY) / this_week) == 2 / 3


def test_weekly_indicators_obey_their_laws(tiny_warehouse):
    # every indicator every week, up to the last complete week before the as-of date
    assert _sql(
        tiny_warehouse,
        "select count(distinct indicator_code), max(week_end), count(*) = count(distinct iso_week_label) * 7 "
        "from mart_weekly_indicators",
    ) == [(7, date(2026, 11, 22), True)]
    # a year to date is the sum of its ISO year's weeks so far (sum indicators)
    assert _sql(
        tiny_warehouse,
        "select count(*) from mart_weekly_indicators as m where aggregation = 'sum' and abs(year_to_date - "
        "(select sum(value) from mart_weekly_indicators as w where w.indicator_code = m.indicator_code "
        "and w.iso_year = m.iso_year and w.iso_week <= m.iso_week)) > 1e-9 * abs(year_to_date) + 1e-6",
    ) == [(0,)]
    # new matches per week add up to the matches whose recommendation the facts hold in those weeks
    assert _sql(
        tiny_warehouse,
        "select (select sum(value) from mart_weekly_indicators where indicator_code = 'signings') = "
        "(select count(*) from fct_investment_project where signed_date <= date '2026-11-22')",
    ) == [(True,)]
