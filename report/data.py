"""What the weekly report shows, read from the published marts only (DuckDB, read-only).

Every number comes from a mart as it is stored: the headline numbers, their changes, year to date and
target from ``mart_weekly_indicators``; the funnel and the stalled count from ``mart_match_funnel`` (its
stage counts summed over committees, channels, types and clusters: they are additive); the stalled
matches themselves from ``fct_match``; corridors from ``mart_investment_corridors_year``, parks from
``mart_investment_flows_month``; tier
changes from ``mart_cluster_park_year``; data quality from ``stg_landing__batches`` and, when the quality
gate has published them, ``quality_validation_results`` and ``mart_quarantine_batches``. Labels come
from the dimensions and seeds. Nothing here recomputes an indicator; the templates only format.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from parkplatform.serving import ServingNotFound, WarehouseReader, open_serving
from parkplatform.sources import sources

TREND_WEEKS = 12
FLOW_WINDOW_MONTHS = 12
TOP_ROWS = 8
STALLED_ROWS = 8
QUARANTINE_ROWS = 10
# an intake status that counts as having reported the month (mart_intake_status)
REPORTED_STATUSES = ("reported", "reported_in_longer_period")
# the other statuses, in the order the report counts and lists them: first what someone must act on (late: the
# due date has passed; rejected: the office must send the file again), then what waits on the next extract or
# on the park's due date at its own cadence
NOT_REPORTED_STATUSES = ("late", "rejected", "received", "not_yet_due")
FUNNEL_STAGES = ("recommended", "contacted", "meeting", "negotiation", "signed", "landed")
# the sources whose daily batches feed the weekly indicators: the week is complete once each has
# landed a batch for the week's Sunday or later
DAILY_SOURCES = tuple(spec.name for spec in sources() if spec.schedule == "@daily")

_WEEK_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")


class WeekNotAvailable(LookupError):
    """The warehouse holds no complete data for the asked ISO week."""


@dataclass(frozen=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, label: str) -> IsoWeek:
        match = _WEEK_LABEL.match(label.strip())
        if not match:
            raise ValueError(f"{label!r}: expected an ISO week like 2026-W47")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError as exc:
            raise ValueError(f"{label!r}: {year} has no ISO week {number}") from exc
        return cls(year, number)

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(days=7))


@dataclass(frozen=True)
class TrendPoint:
    week_label: str
    week_start: date
    value: float | None
    same_week_last_year_value: float | None


@dataclass(frozen=True)
class Indicator:
    code: str
    name_cn: str
    name_en: str
    unit: str
    aggregation: str
    higher_is_better: bool
    value: float | None
    previous_week_value: float | None
    same_week_last_year_value: float | None
    year_to_date: float | None
    last_year_to_date: float | None
    year_to_date_target: float | None
    week_over_week_change: float | None
    year_over_year_change: float | None
    year_to_date_vs_target: float | None
    trend: tuple[TrendPoint, ...] = ()


@dataclass(frozen=True)
class Funnel:
    first_month: date
    last_month: date
    stages: dict[str, int]
    lost: int
    stalled: int
    stalled_all_cohorts: int


@dataclass(frozen=True)
class TierChanges:
    year: int | None
    previous_year: int | None
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Quality:
    cut_off: date
    batches: list[dict[str, Any]]
    complete: bool
    missing_daily_sources: list[str]
    validation: list[dict[str, Any]] | None
    validation_run: dict[str, Any] | None
    quarantine: list[dict[str, Any]] | None
    intake: Intake | None = None


@dataclass(frozen=True)
class Intake:
    """Park offices' reporting: the newest month ended before the cut-off, who has reported it, and the files
    that wait for someone to act (sent for review or rejected whole, and not resubmitted since)."""

    period: str | None
    expected: int
    parks_by_status: dict[str, int]  # member parks per intake_status of the month
    not_reported: list[dict[str, Any]]  # park_code, park_name, intake_status, due_date: late and rejected first
    problem_files: list[dict[str, Any]]  # original_name, park, period, outcome, outcome_reason

    @property
    def reported(self) -> int:
        return sum(self.parks_by_status.get(status, 0) for status in REPORTED_STATUSES)

    @property
    def missing(self) -> int:
        return self.expected - self.reported

    @property
    def needing_action(self) -> int:
        """Member parks late or whose file was rejected: the ones someone must chase."""
        return sum(self.parks_by_status.get(status, 0) for status in NOT_REPORTED_STATUSES[:2])

    @property
    def tally(self) -> list[tuple[str, int]]:
        """(status, member parks) to say: reported always, then each status of NOT_REPORTED_STATUSES that occurs."""
        return [("reported", self.reported)] + [
            (status, self.parks_by_status[status])
            for status in NOT_REPORTED_STATUSES
            if self.parks_by_status.get(status)
        ]


@dataclass(frozen=True)
class WeeklyReportData:
    week: IsoWeek
    as_of: date
    generated_parts: list[str]
    indicators: list[Indicator]
    funnel: Funnel
    corridors: list[dict[str, Any]] | None
    top_parks: list[dict[str, Any]]
    stalled: list[dict[str, Any]]
    tier_changes: TierChanges
    quality: Quality
    flow_months: tuple[date, date] = field(default=(date.min, date.min))

    @property
    def is_generated(self) -> bool:
        return bool(self.generated_parts)

    def indicator(self, code: str) -> Indicator:
        return next(indicator for indicator in self.indicators if indicator.code == code)


def _value(con: WarehouseReader, query: str, parameters: list | None = None) -> Any:
    """The first column of the first row."""
    return next(iter(con.rows(query, parameters)[0].values()))


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def read_report_data(warehouse: Path | None, week: IsoWeek) -> WeeklyReportData:
    """Everything the report of ``week`` shows, from the marts of the serving warehouse of the configured
    engine (DuckDB or PostgreSQL), or of the DuckDB file ``warehouse``, read-only.

    Raises WeekNotAvailable when ``mart_weekly_indicators`` has no row for the week (not complete yet
    at the build's as-of date, or before the CRM's history)."""
    try:
        with open_serving(warehouse=warehouse) as con:
            return _read(con, week)
    except ServingNotFound as error:
        raise WeekNotAvailable(str(error)) from None


def _read(con: WarehouseReader, week: IsoWeek) -> WeeklyReportData:
    as_of = _value(con, "select max(as_of_date) from fct_match")
    indicators = _indicators(con, week)
    if not indicators:
        weeks = con.rows(
            "select min(iso_week_label) as first_week, max(iso_week_label) as last_week from mart_weekly_indicators",
        )[0]
        raise WeekNotAvailable(
            f"{week.label} is not in mart_weekly_indicators of {con.location} (complete weeks there: "
            f"{weeks['first_week']} to {weeks['last_week']}, data as of {as_of})"
        )
    first_month, last_month = _month_start(week.sunday, FLOW_WINDOW_MONTHS - 1), _month_start(week.sunday)
    year_start = date(week.sunday.year, 1, 1)
    return WeeklyReportData(
        week=week,
        as_of=as_of,
        generated_parts=_generated_parts(con),
        indicators=indicators,
        funnel=_funnel(con, first_month, last_month),
        corridors=_corridors(con, week.sunday.year),
        top_parks=_top_parks(con, year_start, last_month),
        stalled=_stalled(con),
        tier_changes=_tier_changes(con, week),
        quality=_quality(con, week),
        flow_months=(year_start, last_month),
    )


def _indicators(con: WarehouseReader, week: IsoWeek) -> list[Indicator]:
    rows = con.rows(
        """
        select weekly.*, targets.indicator_name_cn, targets.indicator_name_en, targets.unit,
            targets.higher_is_better
        from mart_weekly_indicators as weekly
        inner join reference.weekly_indicator_targets as targets using (indicator_code)
        where weekly.iso_week_label = ?
        order by weekly.indicator_code
        """,
        [week.label],
    )
    trend = con.rows(
        """
        select indicator_code, iso_week_label, week_start, value, same_week_last_year_value
        from mart_weekly_indicators
        where week_start between ? and ?
        order by indicator_code, week_start
        """,
        [week.monday - timedelta(weeks=TREND_WEEKS - 1), week.monday],
    )
    order = {code: position for position, code in enumerate(_INDICATOR_ORDER)}
    indicators = [
        Indicator(
            code=row["indicator_code"],
            name_cn=row["indicator_name_cn"],
            name_en=row["indicator_name_en"],
            unit=row["unit"],
            aggregation=row["aggregation"],
            higher_is_better=bool(row["higher_is_better"]),
            value=row["value"],
            previous_week_value=row["previous_week_value"],
            same_week_last_year_value=row["same_week_last_year_value"],
            year_to_date=row["year_to_date"],
            last_year_to_date=row["last_year_to_date"],
            year_to_date_target=row["year_to_date_target"],
            week_over_week_change=row["week_over_week_change"],
            year_over_year_change=row["year_over_year_change"],
            year_to_date_vs_target=row["year_to_date_vs_target"],
            trend=tuple(
                TrendPoint(
                    point["iso_week_label"], point["week_start"], point["value"], point["same_week_last_year_value"]
                )
                for point in trend
                if point["indicator_code"] == row["indicator_code"]
            ),
        )
        for row in rows
    ]
    return sorted(indicators, key=lambda indicator: order.get(indicator.code, len(order)))


# the order leaders read them in: the pipeline from first contact to money arriving
_INDICATOR_ORDER = (
    "new_matches",
    "match_conversion_rate",
    "signings",
    "signed_amount_cny",
    "landed_matches",
    "construction_starts",
    "paid_in_cny",
)


def _generated_parts(con: WarehouseReader) -> list[str]:
    """Which parts of the data are generated, as the marts record it (``data_origin``): the CRM
    (matches and projects), the park offices' submissions, the registry when no catalogue was loaded."""
    checks = {
        "crm": "select count(*) from fct_match where data_origin = 'generated'"
        " union all select count(*) from fct_investment_project where data_origin = 'generated'",
        "submissions": "select count(*) from fct_enterprise_period where data_origin = 'generated'",
        "registry": "select count(*) from dim_park where in_catalogue and data_origin = 'generated'",
    }
    return [part for part, query in checks.items() if any(any(row.values()) for row in con.rows(query))]


def _funnel(con: WarehouseReader, first_month: date, last_month: date) -> Funnel:
    stage_sums = ", ".join(f"coalesce(sum({stage}_matches), 0) as {stage}" for stage in FUNNEL_STAGES)
    row = con.rows(
        f"select {stage_sums}, coalesce(sum(lost_matches), 0) as lost, coalesce(sum(stalled_matches), 0) as stalled "
        "from mart_match_funnel where cohort_month between ? and ?",
        [first_month, last_month],
    )[0]
    stalled_all_cohorts = _value(con, "select coalesce(sum(stalled_matches), 0) from mart_match_funnel")
    return Funnel(
        first_month=first_month,
        last_month=last_month,
        stages={stage: int(row[stage]) for stage in FUNNEL_STAGES},
        lost=int(row["lost"]),
        stalled=int(row["stalled"]),
        stalled_all_cohorts=int(stalled_all_cohorts),
    )


def _corridors(con: WarehouseReader, year: int) -> list[dict[str, Any]] | None:
    """The year's top inbound corridors (origin country → park) as mart_investment_corridors_year ranks them;
    None for a warehouse published before that mart existed."""
    if not con.exists("main", "mart_investment_corridors_year"):
        return None
    return con.rows(
        f"""
        select corridors.corridor_rank, corridors.origin_country_iso3,
            coalesce(origin.name_cn, corridors.origin_country_iso3) as origin_cn,
            coalesce(origin.name_en, corridors.origin_country_iso3) as origin_en,
            corridors.park_name, corridors.projects, corridors.contracted_usd, corridors.contracted_cny,
            corridors.paid_in_cny, corridors.paid_in_ratio, corridors.share_of_year_inbound_usd
        from mart_investment_corridors_year as corridors
        left join dim_region as origin
            on origin.region_type = 'country' and origin.code = corridors.origin_country_iso3
        where corridors.signed_year = ? and corridors.corridor_rank <= {TOP_ROWS}
        order by corridors.corridor_rank
        """,
        [year],
    )


def _top_parks(con: WarehouseReader, first_month: date, last_month: date) -> list[dict[str, Any]]:
    return con.rows(
        f"""
        select parks.park_id, parks.zone_name as park_name, parks.province_name, parks.province_name_en,
            parks.level, sum(flows.projects) as projects, sum(flows.contracted_cny) as contracted_cny,
            sum(flows.paid_in_cny) as paid_in_cny,
            sum(flows.construction_started_projects) as construction_started_projects
        from mart_investment_flows_month as flows
        inner join dim_park as parks on flows.park_id = parks.park_id
        where flows.signed_month between ? and ?
        group by parks.park_id, parks.zone_name, parks.province_name, parks.province_name_en, parks.level
        order by contracted_cny desc nulls last, projects desc, park_name
        limit {TOP_ROWS}
        """,
        [first_month, last_month],
    )


def _stalled(con: WarehouseReader) -> list[dict[str, Any]]:
    """The stalled matches furthest down the funnel first (closest to a signature), then the longest silent."""
    return con.rows(
        f"""
        select matches.match_id, matches.furthest_stage, matches.furthest_stage_rank, matches.committee,
            committees.committee_name_cn, committees.committee_name_en, matches.demand_party,
            matches.supply_party, parks.zone_name as park_name, clusters.cluster_name_cn,
            clusters.cluster_name_en, matches.last_event_date, matches.days_since_last_event
        from fct_match as matches
        inner join dim_park as parks on matches.park_id = parks.park_id
        inner join dim_cluster as clusters on matches.cluster_code = clusters.cluster_code
        left join reference.committees as committees on matches.committee = committees.committee_code
        where matches.is_stalled
        order by matches.furthest_stage_rank desc, matches.days_since_last_event desc, matches.match_id
        limit {STALLED_ROWS}
        """,
    )


def _tier_changes(con: WarehouseReader, week: IsoWeek) -> TierChanges:
    """Park × cluster pairs whose tier differs from the year before, in the newest year up to the week's."""
    years = [
        row["year"]
        for row in con.rows(
            "select distinct year from mart_cluster_park_year where year <= ? order by year desc limit 2",
            [week.sunday.year],
        )
    ]
    if len(years) < 2:
        return TierChanges(year=years[0] if years else None, previous_year=None, rows=[])
    year, previous_year = years
    rows = con.rows(
        f"""
        select parks.zone_name as park_name, parks.province_name, parks.province_name_en,
            clusters.cluster_name_cn, clusters.cluster_name_en, earlier.cluster_tier as previous_tier,
            latest.cluster_tier as tier, latest.location_quotient, latest.employment
        from mart_cluster_park_year as latest
        inner join mart_cluster_park_year as earlier
            on latest.park_id = earlier.park_id and latest.cluster_code = earlier.cluster_code
            and earlier.year = ?
        inner join dim_park as parks on latest.park_id = parks.park_id
        inner join dim_cluster as clusters on latest.cluster_code = clusters.cluster_code
        where latest.year = ? and latest.cluster_tier <> earlier.cluster_tier
        order by case latest.cluster_tier when 'strong' then 1 when 'significant' then 2 else 3 end,
            latest.location_quotient desc, park_name
        limit {TOP_ROWS * 2}
        """,
        [previous_year, year],
    )
    return TierChanges(year=year, previous_year=previous_year, rows=rows)


def _quality(con: WarehouseReader, week: IsoWeek) -> Quality:
    """The loads the week's numbers rest on: each source's newest batch up to the Monday after the week
    (the report's cut-off) with its reconciliation, the week's batch count; the gate's validation
    results and the quarantine mart when the warehouse has them."""
    cut_off = week.sunday + timedelta(days=1)
    batches = con.rows(
        """
        select source, batch_id, logical_date, received_rows, landed_rows, quarantined_rows,
            received_rows = landed_rows + quarantined_rows as reconciles, batches_in_week
        from (
            select *,
                row_number() over (partition by source order by logical_date desc, batch_id desc) as newest,
                count(*) filter (where logical_date between ? and ?) over (partition by source) as batches_in_week
            from staging.stg_landing__batches
            where logical_date <= ?
        ) as ranked
        where newest = 1
        order by source
        """,
        [week.monday, cut_off, cut_off],
    )
    newest = {batch["source"]: batch["logical_date"] for batch in batches}
    missing = [source for source in DAILY_SOURCES if newest.get(source) is None or newest[source] < week.sunday]
    validation = validation_run = quarantine = None
    if con.exists("main", "quality_validation_results"):
        run = con.rows(
            """
            select run_id, max(validated_at) as validated_at, max(as_of) as as_of, count(*) as expectations,
                count(*) filter (where not success) as failed,
                count(*) filter (where not success and severity = 'critical') as failed_critical
            from main.quality_validation_results
            where as_of is null or cast(as_of as date) <= ?
            group by run_id
            order by validated_at desc, run_id desc
            limit 1
            """,
            [cut_off],
        )
        validation_run = run[0] if run else None
        validation = (
            con.rows(
                """
                select suite, expectation, column_name, severity, success, expected, observed
                from main.quality_validation_results
                where run_id = ?
                order by success, case severity when 'critical' then 0 else 1 end, suite, expectation, column_name
                """,
                [validation_run["run_id"]],
            )
            if validation_run
            else []
        )
    if con.exists("main", "mart_quarantine_batches"):
        quarantine = con.rows(
            f"""
            select source, batch_id, logical_date, reason, quarantined_rows
            from main.mart_quarantine_batches
            where cast(logical_date as date) between ? and ?
            order by quarantined_rows desc, source, reason
            limit {QUARANTINE_ROWS}
            """,
            [week.monday, cut_off],
        )
    return Quality(
        cut_off=cut_off,
        batches=batches,
        complete=not missing,
        missing_daily_sources=missing,
        validation=validation,
        validation_run=validation_run,
        quarantine=quarantine,
        intake=_intake(con, cut_off) if con.exists("main", "mart_intake_status") else None,
    )


def _intake(con: WarehouseReader, cut_off: date) -> Intake:
    """From ``mart_intake_status`` and ``fct_intake_receipt``: the newest month ended before the cut-off."""
    period = _value(con, "select max(period) from main.mart_intake_status where period_end < ?", [cut_off])
    order = " ".join(f"when '{status}' then {rank}" for rank, status in enumerate(NOT_REPORTED_STATUSES))
    parks = con.rows(
        f"""
        select park_code, park_name, intake_status, due_date
        from main.mart_intake_status
        where period = ?
        order by case intake_status {order} else {len(NOT_REPORTED_STATUSES)} end, park_code
        """,
        [period],
    )
    problems = con.rows(
        f"""
        select original_name, coalesce(park_name, park_as_sent) as park, period, outcome, outcome_reason
        from main.fct_intake_receipt
        where outcome in ('review', 'rejected')
        order by received_at desc, receipt_id
        limit {QUARANTINE_ROWS}
        """,
    )
    return Intake(
        period=period,
        expected=len(parks),
        parks_by_status=dict(Counter(park["intake_status"] for park in parks)),
        not_reported=[park for park in parks if park["intake_status"] not in REPORTED_STATUSES][:QUARANTINE_ROWS],
        problem_files=problems,
    )
