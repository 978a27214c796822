-- One row per complete ISO week (Asia/Shanghai dates) and weekly indicator of DESIGN.md section 5:
-- the week's value, the week before, the same ISO week a year before (week 53: the year before's last
-- week when it has no week 53), the year to date and its target
-- (seed weekly_indicator_targets: last year's year to date grown by the target growth), and the
-- changes. Counts and amounts come from the CRM facts; nothing is recomputed another way here.
with as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

first_day as (
    select min(first_date) as first_date
    from (
        select min(event_date) as first_date from {{ ref('fct_match_event') }}
        union all
        select min(intention_date) from {{ ref('fct_investment_project') }}
    ) as earliest
),

-- the complete weeks from the first one with CRM data up to the build's as-of date
weeks as (
    select distinct dates.iso_year, dates.iso_week, dates.iso_week_label, dates.week_start, dates.week_end
    from {{ ref('dim_date') }} as dates
    cross join as_of
    cross join first_day
    where dates.week_end <= as_of.as_of_date
        and dates.week_end >= first_day.first_date
),

events as (
    select
        dates.week_start,
        count(distinct case when events.stage = 'recommended' then events.match_id end) as recommended,
        count(distinct case when events.stage = 'signed' then events.match_id end) as signed,
        count(distinct case when events.stage = 'landed' then events.match_id end) as landed
    from {{ ref('fct_match_event') }} as events
    inner join {{ ref('dim_date') }} as dates
        on events.event_date = dates.date_day
    group by dates.week_start
),

signings as (
    select dates.week_start, count(*) as signings, {{ exact_sum('projects.contracted_cny') }} as signed_amount_cny
    from {{ ref('fct_investment_project') }} as projects
    inner join {{ ref('dim_date') }} as dates
        on projects.signed_date = dates.date_day
    group by dates.week_start
),

starts as (
    select dates.week_start, count(*) as construction_starts
    from {{ ref('fct_investment_project') }} as projects
    inner join {{ ref('dim_date') }} as dates
        on projects.construction_started_date = dates.date_day
    group by dates.week_start
),

-- paid-in funds received: the CRM's payment ledger summed by payment date, each payment in yuan at the
-- average rate of its payment year (fct_paid_in_payment); a change to a project's row moves nothing here
paid_in as (
    select
        dates.week_start,
        {{ exact_sum('payments.amount_cny') }} as paid_in_cny
    from {{ ref('fct_paid_in_payment') }} as payments
    inner join {{ ref('dim_date') }} as dates
        on payments.payment_date = dates.date_day
    group by dates.week_start
),

weekly as (
    select
        weeks.*,
        coalesce(events.recommended, 0) as recommended,
        coalesce(events.signed, 0) as signed,
        coalesce(events.landed, 0) as landed,
        coalesce(signings.signings, 0) as signings,
        coalesce(signings.signed_amount_cny, 0) as signed_amount_cny,
        coalesce(starts.construction_starts, 0) as construction_starts,
        coalesce(paid_in.paid_in_cny, 0) as paid_in_cny
    from weeks
    left join events on weeks.week_start = events.week_start
    left join signings on weeks.week_start = signings.week_start
    left join starts on weeks.week_start = starts.week_start
    left join paid_in on weeks.week_start = paid_in.week_start
),

-- how many ISO weeks each year has (52, or 53 as 2020 and 2026)
weeks_per_year as (
    select iso_year, max(iso_week) as last_iso_week
    from {{ ref('dim_date') }}
    group by iso_year
),

-- long: one row per week and indicator, as numerator and denominator (1 for a sum); the branches after
-- the first take their column names from it, hence no aliases there (AL03 off)
measures as (
    select
        week_start,
        'new_matches' as indicator_code,
        cast(recommended as double precision) as numerator,
        1.0 as denominator
    from weekly
    -- noqa: disable=AL03
    union all
    select week_start, 'signings', cast(signings as double precision), 1.0 from weekly
    union all
    select week_start, 'signed_amount_cny', cast(signed_amount_cny as double precision), 1.0 from weekly
    union all
    select week_start, 'landed_matches', cast(landed as double precision), 1.0 from weekly
    union all
    select week_start, 'construction_starts', cast(construction_starts as double precision), 1.0 from weekly
    union all
    select week_start, 'paid_in_cny', cast(paid_in_cny as double precision), 1.0 from weekly
    union all
    select week_start, 'match_conversion_rate', cast(signed as double precision), cast(recommended as double precision)
    from weekly
    -- noqa: enable=AL03
),

with_weeks as (
    select measures.*, weeks.iso_year, weeks.iso_week, weeks.iso_week_label, weeks.week_end
    from measures
    inner join weeks on measures.week_start = weeks.week_start
),

year_to_date as (
    select
        current_week.week_start,
        current_week.indicator_code,
        {{ exact_sum('earlier.numerator') }} as ytd_numerator,
        {{ exact_sum('earlier.denominator') }} as ytd_denominator
    from with_weeks as current_week
    inner join with_weeks as earlier
        on
            current_week.indicator_code = earlier.indicator_code
            and current_week.iso_year = earlier.iso_year
            and current_week.iso_week >= earlier.iso_week
    group by current_week.week_start, current_week.indicator_code
),

valued as (
    select
        with_weeks.*,
        targets.aggregation,
        targets.target_growth,
        targets.indicator_name_cn,
        targets.indicator_name_en,
        targets.unit,
        targets.higher_is_better,
        targets.unit_cn,
        targets.unit_cn_scale,
        targets.display_order,
        with_weeks.numerator / nullif(with_weeks.denominator, 0) as value,
        case
            when targets.aggregation = 'ratio' then year_to_date.ytd_numerator / nullif(year_to_date.ytd_denominator, 0)
            else year_to_date.ytd_numerator
        end as year_to_date
    from with_weeks
    inner join year_to_date
        on
            with_weeks.week_start = year_to_date.week_start
            and with_weeks.indicator_code = year_to_date.indicator_code
    inner join {{ ref('weekly_indicator_targets') }} as targets
        on with_weeks.indicator_code = targets.indicator_code
)

select
    this_week.iso_week_label,
    this_week.iso_year,
    this_week.iso_week,
    this_week.week_start,
    this_week.week_end,
    this_week.indicator_code,
    this_week.aggregation,
    this_week.value,
    previous_week.value as previous_week_value,
    last_year.value as same_week_last_year_value,
    this_week.year_to_date,
    last_year.year_to_date as last_year_to_date,
    last_year.year_to_date * (1 + this_week.target_growth) as year_to_date_target,
    this_week.value / nullif(previous_week.value, 0) - 1 as week_over_week_change,
    this_week.value / nullif(last_year.value, 0) - 1 as year_over_year_change,
    this_week.year_to_date / nullif(last_year.year_to_date * (1 + this_week.target_growth), 0)
        as year_to_date_vs_target,
    -- the dashboard's "this week" and "12-week trend" (the latest complete week and the 11 before it)
    this_week.week_start = max(this_week.week_start) over () as is_latest_week,
    this_week.week_start > max(this_week.week_start) over () - 84 as in_last_12_weeks,
    -- the indicator's names and units (seed weekly_indicator_targets), what the dashboard labels it with, and
    -- the week's value in the Chinese unit (亿元 for yuan)
    this_week.indicator_name_cn,
    this_week.indicator_name_en,
    this_week.unit,
    this_week.higher_is_better,
    this_week.unit_cn,
    this_week.value / this_week.unit_cn_scale as value_in_unit_cn,
    this_week.display_order
from valued as this_week
left join valued as previous_week
    on
        this_week.indicator_code = previous_week.indicator_code
        and previous_week.week_start = this_week.week_start - 7
left join weeks_per_year as year_before
    on year_before.iso_year = this_week.iso_year - 1
-- the same ISO week a year before; week 53 of a year whose year before has 52 weeks (2026-W53) is compared
-- with that year's last week (2025-W52): both are the week ending the year
left join valued as last_year
    on
        this_week.indicator_code = last_year.indicator_code
        and last_year.iso_year = this_week.iso_year - 1
        and last_year.iso_week = least(this_week.iso_week, year_before.last_iso_week)
