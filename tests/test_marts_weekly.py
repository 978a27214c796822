"""The weekly indicators on the tiny build: one week's values, week-over-week and year-over-year
changes recomputed by hand from the landed CRM events (independently of the SQL), paid-in of every week
recomputed from the landed payment ledger by payment date, a project row updated in the CRM that moves no
week's paid-in, and the laws of the mart."""

import shutil
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
    # the alliance is the sum of its areas: each match, project and payment counts in one area, so every week's
    # new matches are the distinct matches recommended that week (the committee of a match is one)
    assert _sql(
        tiny_warehouse,
        "select count(*) from mart_weekly_indicators as m where indicator_code = 'new_matches' and value <> "
        "(select count(distinct match_id) from fct_match_event as e where e.stage = 'recommended' "
        "and e.event_date between m.week_start and m.week_end)",
    ) == [(0,)]
    # and so are its years to date, a ratio's as the ratio of the areas' sums
    assert _sql(
        tiny_warehouse,
        "with areas as (select iso_week_label, indicator_code, case when max(aggregation) = 'ratio' then "
        "sum(ytd_numerator) / nullif(sum(ytd_denominator), 0) else sum(ytd_numerator) end as year_to_date "
        "from mart_weekly_indicators_by_area group by all) "
        "select count(*) from mart_weekly_indicators as m join areas as a using (iso_week_label, indicator_code) "
        "where (m.year_to_date is null) <> (a.year_to_date is null) "
        "or abs(m.year_to_date - a.year_to_date) > 1e-9 * abs(m.year_to_date)",
    ) == [(0,)]
    # new matches per week add up to the matches whose recommendation the facts hold in those weeks
    assert _sql(
        tiny_warehouse,
        "select (select sum(value) from mart_weekly_indicators where indicator_code = 'signings') = "
        "(select count(*) from fct_investment_project where signed_date <= date '2026-11-22')",
    ) == [(True,)]


def _hand_paid_in_per_week(warehouse: Path) -> pl.DataFrame:
    """Paid-in yuan per ISO week (Monday) from the landed payments (each payment's latest version), each
    at the yearly average rate of its payment year (CNY as it is), by payment date."""
    landing = warehouse.parent.parent / "landing" / "crm_payments"
    landed = pl.concat([pl.read_parquet(path / LANDED_FILE) for path in sorted(landing.glob("batch_date=*"))])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rates = con.execute("select currency_code, year, cny_per_unit from intermediate.int_fx_rates_yearly").pl()
    amount = pl.col("amount").cast(pl.Float64)
    return (
        landed.sort("updated_at", "_batch_id", descending=True)
        .unique("payment_id", keep="first")
        .with_columns(pl.col("payment_date").str.to_date().alias("paid_on"))
        .with_columns(pl.col("paid_on").dt.year().cast(pl.Int32).alias("year"))
        .join(rates, left_on=["currency", "year"], right_on=["currency_code", "year"], how="left")
        .with_columns(
            pl.when(pl.col("currency") == "CNY").then(amount).otherwise(amount * pl.col("cny_per_unit")).alias("cny")
        )
        .group_by(pl.col("paid_on").dt.truncate("1w").alias("week_start"))
        .agg(pl.col("cny").sum().alias("hand"), pl.len().alias("payments"))
    )


def _weekly_paid_in(warehouse: Path) -> pl.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select week_start, value, year_to_date from mart_weekly_indicators "
            "where indicator_code = 'paid_in_cny' order by week_start"
        ).pl()


def test_weekly_paid_in_is_the_sum_of_the_payments_dated_in_the_week(tiny_warehouse):
    """Every week's paid-in is the ledger's payments dated in that week (Monday to Sunday), in yuan at
    their payment years' rates; weeks without a payment read 0; 2026-W47 by hand: 201,616,480.94 yuan."""
    hand = _hand_paid_in_per_week(tiny_warehouse)
    mart = _weekly_paid_in(tiny_warehouse)
    both = mart.join(hand, on="week_start", how="left").with_columns(pl.col("hand", "payments").fill_null(0))
    assert both.height == mart.height > 100
    assert both["value"].to_list() == pytest.approx(both["hand"].to_list(), rel=1e-12)
    # every payment up to the last complete week is in one week of the mart, none twice
    in_weeks = hand.filter(pl.col("week_start") <= MONDAY)
    # of the 365 landed (test_marts_crm): two are dated 2026-11-23, after the last complete week
    assert both["payments"].sum() == in_weeks["payments"].sum() == 363
    assert (
        both.filter(pl.col("payments") == 0)["value"].to_list() == [0.0] * both.filter(pl.col("payments") == 0).height
    )
    week = both.filter(pl.col("week_start") == MONDAY).row(0, named=True)
    assert week["value"] == pytest.approx(201616480.94, abs=0.01)


def test_no_weeks_paid_in_moves_when_a_project_row_is_updated(tiny, tiny_warehouse):
    """The CRM updates the row of every paying project, most in 2026-W47 (a new version landed a day later,
    with a new status and a running total of paid-in that disagrees with the ledger): the old reading counted a
    project's paid-in in the week its row last changed; from the ledger, no week's paid-in moves."""
    from parkplatform.config import get_settings
    from parkplatform.dbt import build_project

    before = _weekly_paid_in(tiny_warehouse)
    build = get_settings().build_warehouse
    build.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_warehouse, build)
    with duckdb.connect(str(build)) as con:
        updated = con.execute(
            """
            insert into raw.crm_projects
            select * replace (
                'crm_projects-20261124' as _batch_id,
                greatest(updated_at + interval 1 minute, timestamptz '2026-11-18 15:00:00+08') as updated_at,
                'dropped' as status,
                paid_in_amount * 3 + 1000000 as paid_in_amount
            )
            from raw.crm_projects
            where project_id in (select distinct project_id from raw.crm_payments)
            """
        ).fetchone()[0]
    assert updated > 50  # every project with a payment, its row changed (in 2026-W47 for most of them)
    build_project(
        "--select",
        "fct_investment_project fct_paid_in_payment mart_weekly_indicators",
        "--target-path",
        str(build.parent / "dbt-target"),
    )
    with duckdb.connect(str(build), read_only=True) as con:
        assert (
            con.execute(
                "select count(*) from fct_investment_project "
                "where status = 'dropped' and batch_id = 'crm_projects-20261124'"
            ).fetchone()[0]
            == updated
        )
    after = _weekly_paid_in(build)
    assert after["week_start"].to_list() == before["week_start"].to_list()
    assert after["value"].to_list() == pytest.approx(before["value"].to_list(), rel=1e-12, abs=1e-6)
    assert after["year_to_date"].to_list() == pytest.approx(before["year_to_date"].to_list(), rel=1e-12, abs=1e-6)
