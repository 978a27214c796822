"""The generated CRM is in steady state from its first run: at the demo scale, read from the files the
generator writes, every weekly indicator of the year before the as-of date compares with the same ISO week
a year before as one ordinary year with the next, not as a CRM filling up (before the migrated portfolio,
the weekly paid-in read +7,556 % in 2026-W01, construction starts +2,200 % and landed matches +2,900 %).

The indicators are those of mart_weekly_indicators, computed here from the export (Asia/Shanghai dates,
corrupted rows left out as the warehouse quarantines them; yuan at the generator's own rates, where the
warehouse uses the WDI rate of each year). The bands are what two independent weeks of the demo scale's
size stay within (simulated: 200,000 pairs of weeks):

- an indicator that sums at least ~75 facts a week (new matches ~265, payments ~250, signings ~100,
  construction starts ~75): -60 % .. +150 %, which two weeks of 250 lognormal payments (sigma 1.3, the
  contracts' spread) or of 75 Poisson counts leave about once in 10,000;
- the sparse or heavy-tailed ones (landed matches ~25 a week, signed matches ~36, so the conversion rate,
  and the signed amount: ~100 contracts a week where one 10亿 deal is a normal week's total): a factor 4,
  -75 % .. +300 %, left about once in 10,000 pairs as well;
- the weeks the Spring Festival moves (its holiday days and the week after them, when what waited is
  done, in either year: 2025 and 2026 fall three weeks apart) are compared as one season, summed: within
  +-30 %, as the first twelve weeks of 2026 summed; the whole year within +-15 % (about three standard
  deviations of the signed amount's yearly total, the noisiest).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from parkplatform.config import get_settings
from simulators import crm as crm_generator

AS_OF = date(2026, 12, 7)  # a `make demo` of early December 2026: the year before is 2025-W50 .. 2026-W49
MANY = (-0.60, 1.50)
FEW = (-0.75, 3.00)
BANDS = {
    "new_matches": MANY,
    "signings": MANY,
    "construction_starts": MANY,
    "paid_in_cny": MANY,
    "landed_matches": FEW,
    "signed_matches": FEW,
    "match_conversion_rate": FEW,
    "signed_amount_cny": FEW,
}
SEASON_BAND = 0.30
YEAR_BAND = 0.15


def _clean(folder: Path, table: str) -> pl.DataFrame:
    """The export's rows of ``table`` as text, less the lines its fault manifest lists (landing quarantines
    them; by line, so of an event id sent twice only the repeat goes)."""
    faults = (
        pl.read_csv(folder / crm_generator.FAULTS_FILE, infer_schema=False)
        .filter(pl.col("table") == table)
        .select("file", pl.col("row").cast(pl.Int64))
    )
    parts = []
    for path in sorted(folder.glob(f"{table}-*")):
        lines = path.suffix == ".jsonl"  # JSON lines from line 1, CSV rows from line 2 (under the header)
        rows = pl.read_ndjson(path, infer_schema_length=None) if lines else pl.read_csv(path, infer_schema=False)
        numbered = rows.with_row_index("row", offset=1 if lines else 2).with_columns(pl.col("row").cast(pl.Int64))
        parts.append(numbered.with_columns(pl.lit(path.name).alias("file")))
    return pl.concat(parts).join(faults, on=["file", "row"], how="anti")


def _weekly_indicators(folder: Path) -> pl.DataFrame:
    """iso_year, iso_week, indicator_code, numerator, denominator: mart_weekly_indicators' definitions."""
    rates = pl.DataFrame(
        {"currency": list(crm_generator.CNY_PER_UNIT), "rate": list(crm_generator.CNY_PER_UNIT.values())}
    )
    projects = _clean(folder, "investment_projects").join(rates, on="currency")
    events = _clean(folder, "match_events")
    payments = _clean(folder, "payments").join(rates, on="currency")

    def day(column: str) -> pl.Expr:
        return pl.col(column).str.slice(0, 10).str.to_date().alias("day")  # the +08:00 wall-clock date

    def matches(stage: str) -> pl.DataFrame:
        reached = events.filter(pl.col("stage") == stage).select(day("event_at"), "match_id").unique()
        return reached.select("day", pl.lit(f"{stage}_matches").alias("fact"), pl.lit(1.0).alias("value"))

    def counted(column: str, fact: str, value: pl.Expr) -> pl.DataFrame:
        return projects.filter(pl.col(column).is_not_null()).select(day(column), pl.lit(fact).alias("fact"), value)

    amount_cny = (pl.col("contracted_amount").cast(pl.Float64) * pl.col("rate")).alias("value")
    facts = pl.concat(
        [
            matches("recommended"),
            matches("signed"),
            matches("landed"),
            counted("signed_date", "signings", pl.lit(1.0).alias("value")),
            counted("signed_date", "signed_amount_cny", amount_cny),
            counted("construction_started_date", "construction_starts", pl.lit(1.0).alias("value")),
            payments.select(
                day("payment_date"),
                pl.lit("paid_in_cny").alias("fact"),
                (pl.col("amount").cast(pl.Float64) * pl.col("rate")).alias("value"),
            ),
        ]
    )
    weekly = (
        facts.group_by(pl.col("day").dt.iso_year().alias("iso_year"), pl.col("day").dt.week().alias("iso_week"), "fact")
        .agg(pl.col("value").sum())
        .pivot(on="fact", index=["iso_year", "iso_week"], values="value")
        .with_columns(pl.exclude("iso_year", "iso_week").fill_null(0.0))
    )
    indicators = [
        pl.col("recommended_matches").alias("new_matches"),
        "signings",
        "signed_amount_cny",
        "landed_matches",
        "signed_matches",
        "construction_starts",
        "paid_in_cny",
    ]
    numerators = weekly.select("iso_year", "iso_week", *indicators).unpivot(
        index=["iso_year", "iso_week"], variable_name="indicator_code", value_name="numerator"
    )
    conversion = weekly.select(
        "iso_year",
        "iso_week",
        pl.lit("match_conversion_rate").alias("indicator_code"),
        pl.col("signed_matches").alias("numerator"),
        pl.col("recommended_matches").alias("denominator"),
    )
    return pl.concat([numerators.with_columns(pl.lit(1.0).alias("denominator")), conversion])


def _spring_festival_weeks(year: int) -> set[tuple[int, int]]:
    """(ISO year, week) of the holiday's days and the seven days after them, when what waited is done."""
    new_year = crm_generator.CHINESE_NEW_YEAR[year]
    days = (new_year + timedelta(days=offset) for offset in range(-1, 14))  # New Year's Eve .. 13 days on
    return {day.isocalendar()[:2] for day in days}


def test_every_weekly_indicator_of_the_year_before_compares_as_steady_state(demo, tmp_path):
    settings = get_settings()
    spec = replace(
        crm_generator.spec_from_settings(settings, crm_generator.generator_parks(settings)),
        history_start=crm_generator.default_history_start(AS_OF),
    )
    result = crm_generator.write_exports(spec, AS_OF, tmp_path, progress=False)
    weekly = _weekly_indicators(Path(result.folder))

    last_week = AS_OF - timedelta(days=AS_OF.isoweekday())  # the Sunday ending the latest complete week
    year_before = [(last_week - timedelta(weeks=n)).isocalendar()[:2] for n in range(52)]
    assert year_before[0] == (2026, 49) and year_before[-1] == (2025, 50)
    weeks = pl.DataFrame(year_before, schema={"iso_year": pl.Int32, "iso_week": pl.Int8}, orient="row")
    compared = (
        weeks.join(weekly, on=["iso_year", "iso_week"], how="left")
        .join(
            weekly.select(
                (pl.col("iso_year") + 1).cast(pl.Int32).alias("iso_year"),
                "iso_week",
                "indicator_code",
                pl.col("numerator").alias("numerator_before"),
                pl.col("denominator").alias("denominator_before"),
            ),
            on=["iso_year", "iso_week", "indicator_code"],
            how="left",
        )
        .with_columns(
            (pl.col("numerator") / pl.col("denominator")).alias("value"),
            (pl.col("numerator_before") / pl.col("denominator_before")).alias("value_before"),
        )
        .with_columns((pl.col("value") / pl.col("value_before") - 1).alias("change"))
    )
    assert set(compared["indicator_code"]) == set(BANDS)
    assert compared.height == 52 * len(BANDS) and compared["value_before"].is_not_null().all()

    # a week of 2026 compares with the same ISO week of 2025: moved when the festival falls in either
    festival = {(year + 1, week) for year, week in _spring_festival_weeks(2025)} | _spring_festival_weeks(2026)
    assert festival == {(2026, week) for week in (5, 6, 7, 8, 9, 10)}  # 2025-01-29 and 2026-02-17
    in_festival = (pl.col("iso_year") * 100 + pl.col("iso_week")).is_in([year * 100 + week for year, week in festival])
    ordinary = compared.filter(~in_festival)
    for code, (low, high) in BANDS.items():
        rows = ordinary.filter(pl.col("indicator_code") == code)
        outside = rows.filter(~pl.col("change").is_between(low, high))
        assert outside.is_empty(), (code, outside.select("iso_year", "iso_week", "value", "value_before", "change"))

    def summed_change(rows: pl.DataFrame) -> pl.DataFrame:
        return rows.group_by("indicator_code").agg(
            (
                (pl.col("numerator").sum() / pl.col("denominator").sum())
                / (pl.col("numerator_before").sum() / pl.col("denominator_before").sum())
                - 1
            ).alias("change")
        )

    early_2026 = compared.filter((pl.col("iso_year") == 2026) & (pl.col("iso_week") <= 12))
    for name, rows, band in (
        ("Spring Festival season", compared.filter(in_festival), SEASON_BAND),
        ("2026-W01..W12", early_2026, SEASON_BAND),
        ("the whole year", compared, YEAR_BAND),
    ):
        changes = summed_change(rows)
        assert changes.height == len(BANDS)
        assert changes.filter(pl.col("change").abs() > band).is_empty(), (name, changes)

    # the weekly paid-in of early 2026 in particular: each week an ordinary one, apart from the festival's
    paid_in = early_2026.filter(pl.col("indicator_code") == "paid_in_cny").sort("iso_week")
    assert paid_in.filter(~in_festival)["change"].is_between(*MANY).all(), paid_in
    assert paid_in["numerator_before"].min() > 0.2 * paid_in["numerator"].mean()  # 2025 had a full portfolio paying
