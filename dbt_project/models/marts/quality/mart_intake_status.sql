-- Who has reported: one row per alliance member park of the catalogue and reporting month: the months
-- files arrived for and the last month complete at the build's as-of date (unless it lies before the
-- first month any file arrived for: an installation is not owed reports from before its inbox). A month is reported
-- by the park's current file for that month, or covered by its file for the quarter or year that holds
-- the month (offices report at their own cadence; a quarter is never split into months). Without
-- either, the month is late once its due date has passed: the 15th day after the period the park's office
-- owes for it at its own cadence (the month itself, its quarter or its year), so an office that reports
-- quarterly is late for November only in the middle of January.
{%- set due_days = var('submission_due_days', 15) | int %}
with as_of as (
    select as_of_date from {{ ref('int_as_of') }}
),

members as (
    select
        zone_code as park_code,
        min(zone_name) as park_name,
        min(province_name) as province_name,
        min(member_since) as member_since
    from {{ ref('dim_park') }}
    where is_alliance_member and in_catalogue and not zone_code_clash
    group by zone_code
),

receipts as (
    select * from {{ ref('fct_intake_receipt') }}
    where source = 'park_submissions' and park_code is not null
),

last_complete_month as (
    select
        previous.calendar_year,
        previous.calendar_month,
        previous.month_start,
        previous.date_day as month_end
    from as_of
    inner join {{ ref('dim_date') }} as today
        on as_of.as_of_date = today.date_day
    inner join {{ ref('dim_date') }} as previous
        on previous.date_day = today.month_start - 1
),

months as (
    select distinct period, period_start, period_end
    from receipts
    where period_kind = 'month'
    union
    select
        cast(calendar_year as varchar) || '-' || lpad(cast(calendar_month as varchar), 2, '0') as period,
        month_start as period_start,
        month_end as period_end
    from last_complete_month
    where month_start >= (select min(receipts.period_start) from receipts)
),

expected as (
    select
        members.park_code,
        members.park_name,
        members.province_name,
        months.period,
        months.period_start,
        months.period_end
    from members
    cross join months
    where members.member_since is null or members.member_since <= months.period_end
),

current_files as (
    -- the park's current file for a period (one: a resubmission supersedes the earlier file)
    select *
    from receipts
    where outcome <> 'superseded'
),

cadences as (
    -- each park's reporting cadence: the kind of the newest period its current files are for (of periods
    -- ending on the same day, the shortest: an office that sends December and the year reports monthly)
    select
        park_code,
        period_kind as reporting_cadence
    from (
        select
            park_code,
            period_kind,
            row_number() over (
                partition by park_code
                order by period_end desc, case period_kind when 'month' then 1 when 'quarter' then 2 else 3 end
            ) as newest
        from current_files
    ) as ranked
    where newest = 1
),

owed as (
    -- the period each park owes for each expected month at its cadence (monthly without a file yet)
    select
        expected.park_code,
        expected.period,
        coalesce(cadences.reporting_cadence, 'month') as reporting_cadence,
        case cadences.reporting_cadence
            when 'quarter'
                then
                    cast(extract(year from expected.period_start) as varchar)
                    || 'Q' || cast(extract(quarter from expected.period_start) as varchar)
            when 'year' then cast(extract(year from expected.period_start) as varchar)
            else expected.period
        end as due_period,
        case cadences.reporting_cadence
            when 'quarter' then {{ dbt.last_day('expected.period_start', 'quarter') }}
            when 'year' then {{ dbt.last_day('expected.period_start', 'year') }}
            else expected.period_end
        end as due_period_end
    from expected
    left join cadences
        on expected.park_code = cadences.park_code
),

files_per_period as (
    select
        park_code,
        period,
        count(*) as files_received
    from receipts
    group by park_code, period
),

covering as (
    select
        expected.park_code,
        expected.period,
        min(current_files.period) as covered_by_period
    from expected
    inner join current_files
        on expected.park_code = current_files.park_code
            and current_files.period_kind in ('quarter', 'year')
            and current_files.outcome = 'landed'
            and expected.period_start >= current_files.period_start
            and expected.period_end <= current_files.period_end
    group by expected.park_code, expected.period
),

statuses as (
    select
        expected.park_code,
        expected.park_name,
        expected.province_name,
        expected.period,
        expected.period_start,
        expected.period_end,
        owed.reporting_cadence,
        owed.due_period,
        owed.due_period_end + {{ due_days }} as due_date,
        case
            when current_files.outcome = 'landed' then 'reported'
            when covering.covered_by_period is not null then 'reported_in_longer_period'
            when current_files.outcome = 'rejected' then 'rejected'
            when current_files.outcome = 'waiting' then 'received'
            when as_of.as_of_date > owed.due_period_end + {{ due_days }} then 'late'
            else 'not_yet_due'
        end as intake_status,
        covering.covered_by_period,
        coalesce(files_per_period.files_received, 0) as files_received,
        current_files.receipt_id as current_receipt_id,
        current_files.original_name as current_file_name,
        current_files.received_at as current_received_at,
        current_files.outcome_reason as current_file_error,
        current_files.rows_landed,
        current_files.rows_quarantined,
        as_of.as_of_date
    from expected
    cross join as_of
    inner join owed
        on expected.park_code = owed.park_code
            and expected.period = owed.period
    left join current_files
        on expected.park_code = current_files.park_code
            and expected.period = current_files.period
    left join files_per_period
        on expected.park_code = files_per_period.park_code
            and expected.period = files_per_period.period
    left join covering
        on expected.park_code = covering.park_code
            and expected.period = covering.period
)

-- the status in Chinese, what the data-quality dashboard shows, and in English, for its English version
select
    statuses.*,
    {{ label_cn('intake_status', 'statuses.intake_status') }} as intake_status_cn,
    {{ label_en('intake_status', 'statuses.intake_status') }} as intake_status_en
from statuses
