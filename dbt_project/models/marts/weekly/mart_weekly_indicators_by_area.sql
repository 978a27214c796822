-- One row per complete ISO week (Asia/Shanghai dates), weekly indicator of DESIGN.md section 5 and area:
-- the committee that sourced the deal and the province of its park, the two ways the leadership
-- dashboard filters the week's figures. Every indicator is kept as a numerator and, for a ratio, a
-- denominator, with the same for the week before, the same ISO week a year before (week 53: the year
-- before's last week when it has no week 53) and the two years to date, so that any set of areas adds up
-- to its own figures; mart_weekly_indicators is the sum over all areas, hence the dashboard and the weekly
-- report cannot disagree. Counts and amounts come from the CRM facts. Every area seen in the CRM has a row
-- every week (zero when nothing happened there), so a week's comparisons never miss an area.
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

-- every CRM fact a weekly indicator counts, dated, with its committee and park: match events by stage,
-- signings with their contracted yuan, construction starts, and paid-in funds received (the CRM's payment
-- ledger by payment date, each payment in yuan at the average rate of its payment year, fct_paid_in_payment;
-- a change to a project's row moves nothing here)
facts as (
    select
        events.event_date as fact_date,
        events.committee,
        codes.park_id,
        events.stage as fact,
        events.match_id,
        cast(null as double precision) as amount_cny
    from {{ ref('fct_match_event') }} as events
    left join {{ ref('int_crm__park_codes') }} as codes
        on events.park_code = codes.park_code
    -- noqa: disable=AL03
    union all
    select signed_date, committee, park_id, 'signing', null, contracted_cny
    from {{ ref('fct_investment_project') }}
    union all
    select construction_started_date, committee, park_id, 'construction_start', null, null
    from {{ ref('fct_investment_project') }}
    union all
    select payment_date, committee, park_id, 'payment', null, amount_cny
    from {{ ref('fct_paid_in_payment') }}
    -- noqa: enable=AL03
),

-- the facts by week and area (the committee, the province of the park)
weekly as (
    select
        dates.week_start,
        facts.committee,
        parks.province_adcode,
        count(distinct case when facts.fact = 'recommended' then facts.match_id end) as recommended,
        count(distinct case when facts.fact = 'signed' then facts.match_id end) as signed,
        count(distinct case when facts.fact = 'landed' then facts.match_id end) as landed,
        count(case when facts.fact = 'signing' then 1 end) as signings,
        {{ exact_sum("case when facts.fact = 'signing' then facts.amount_cny end") }} as signed_amount_cny,
        count(case when facts.fact = 'construction_start' then 1 end) as construction_starts,
        {{ exact_sum("case when facts.fact = 'payment' then facts.amount_cny end") }} as paid_in_cny
    from facts
    inner join {{ ref('dim_date') }} as dates
        on facts.fact_date = dates.date_day
    left join {{ ref('dim_park') }} as parks
        on facts.park_id = parks.park_id
    group by dates.week_start, facts.committee, parks.province_adcode
),

provinces as (
    select province_adcode, min(province_name) as province_name, min(province_name_en) as province_name_en
    from {{ ref('dim_park') }}
    group by province_adcode
),

-- long: one row per week, area and indicator that the CRM has something for, as a numerator and (a ratio's
-- only) a denominator; the branches after the first take their column names from it (AL03 off)
measured as (
    select
        week_start,
        committee,
        province_adcode,
        'new_matches' as indicator_code,
        cast(recommended as double precision) as numerator,
        cast(null as double precision) as denominator
    from weekly
    -- noqa: disable=AL03
    union all
    select week_start, committee, province_adcode, 'signings', cast(signings as double precision), null
    from weekly
    union all
    select week_start, committee, province_adcode, 'signed_amount_cny', coalesce(signed_amount_cny, 0), null
    from weekly
    union all
    select week_start, committee, province_adcode, 'landed_matches', cast(landed as double precision), null
    from weekly
    union all
    select
        week_start, committee, province_adcode, 'construction_starts', cast(construction_starts as double precision),
        null
    from weekly
    union all
    select week_start, committee, province_adcode, 'paid_in_cny', coalesce(paid_in_cny, 0), null
    from weekly
    union all
    select
        week_start, committee, province_adcode, 'match_conversion_rate', cast(signed as double precision),
        cast(recommended as double precision)
    from weekly
    -- noqa: enable=AL03
),

-- an area's key: its committee and province, either of which the CRM may leave unknown
keyed as (
    select
        measured.*,
        coalesce(measured.committee, '-') || '|' || coalesce(measured.province_adcode, '-') as area_key
    from measured
),

areas as (
    select distinct area_key, committee, province_adcode from keyed
),

-- every week, area and indicator; zero where the CRM has nothing (a ratio's denominator too)
grid as (
    select
        weeks.*,
        areas.area_key,
        areas.committee,
        areas.province_adcode,
        targets.indicator_code,
        targets.aggregation,
        coalesce(keyed.numerator, 0) as numerator,
        case when targets.aggregation = 'ratio' then coalesce(keyed.denominator, 0) end as denominator
    from weeks
    cross join areas
    cross join {{ ref('weekly_indicator_targets') }} as targets
    left join keyed
        on
            weeks.week_start = keyed.week_start
            and areas.area_key = keyed.area_key
            and targets.indicator_code = keyed.indicator_code
),

-- the year to date of each week: the ISO year's weeks so far, summed exactly
with_year_to_date as (
    select
        grid.*,
        {{ exact_sum('grid.numerator', over='partition by grid.indicator_code, grid.area_key, grid.iso_year
            order by grid.iso_week rows between unbounded preceding and current row') }} as ytd_numerator,
        {{ exact_sum('grid.denominator', over='partition by grid.indicator_code, grid.area_key, grid.iso_year
            order by grid.iso_week rows between unbounded preceding and current row') }} as ytd_denominator
    from grid
),

-- how many ISO weeks each year has (52, or 53 as 2020 and 2026)
weeks_per_year as (
    select iso_year, max(iso_week) as last_iso_week
    from {{ ref('dim_date') }}
    group by iso_year
)

select
    this_week.iso_week_label,
    this_week.iso_year,
    this_week.iso_week,
    this_week.week_start,
    this_week.week_end,
    this_week.indicator_code,
    this_week.aggregation,
    this_week.area_key,
    this_week.committee,
    {{ committee_name_cn('this_week.committee') }} as committee_name_cn,
    this_week.province_adcode,
    coalesce(provinces.province_name, '未知省份') as province_name,
    this_week.numerator,
    this_week.denominator,
    previous_week.numerator as previous_week_numerator,
    previous_week.denominator as previous_week_denominator,
    last_year.numerator as same_week_last_year_numerator,
    last_year.denominator as same_week_last_year_denominator,
    this_week.ytd_numerator,
    this_week.ytd_denominator,
    last_year.ytd_numerator as last_year_ytd_numerator,
    last_year.ytd_denominator as last_year_ytd_denominator,
    targets.target_growth,
    -- the dashboard's "this week" and "12-week trend" (the latest complete week and the 11 before it)
    this_week.week_start = max(this_week.week_start) over () as is_latest_week,
    this_week.week_start > max(this_week.week_start) over () - 84 as in_last_12_weeks,
    -- the indicator's names and units (seed weekly_indicator_targets), what the dashboard labels it with
    targets.indicator_name_cn,
    targets.indicator_name_en,
    targets.unit,
    targets.higher_is_better,
    targets.unit_cn,
    targets.unit_cn_scale,
    targets.display_order,
    -- in English, what the dashboard's English version filters by and labels with
    {{ committee_name_en('this_week.committee') }} as committee_name_en,
    coalesce(provinces.province_name_en, 'Unknown province') as province_name_en,
    targets.unit_en,
    targets.unit_en_scale
from with_year_to_date as this_week
inner join {{ ref('weekly_indicator_targets') }} as targets
    on this_week.indicator_code = targets.indicator_code
left join provinces
    on this_week.province_adcode = provinces.province_adcode
left join with_year_to_date as previous_week
    on
        this_week.indicator_code = previous_week.indicator_code
        and this_week.area_key = previous_week.area_key
        and previous_week.week_start = this_week.week_start - 7
left join weeks_per_year as year_before
    on year_before.iso_year = this_week.iso_year - 1
-- the same ISO week a year before; week 53 of a year whose year before has 52 weeks (2026-W53) is compared
-- with that year's last week (2025-W52): both are the week ending the year
left join with_year_to_date as last_year
    on
        this_week.indicator_code = last_year.indicator_code
        and this_week.area_key = last_year.area_key
        and last_year.iso_year = this_week.iso_year - 1
        and last_year.iso_week = least(this_week.iso_week, year_before.last_iso_week)
