-- One row per calendar day, 2000 to 2030, with its ISO week (Monday to Sunday): the weekly
-- indicators and the report count in ISO weeks of Asia/Shanghai dates.
with days as (
    {{ date_series('2000-01-01', '2030-12-31') }}
)

select
    date_day,
    cast(extract(year from date_day) as integer) as calendar_year,
    cast(extract(month from date_day) as integer) as calendar_month,
    cast(extract(quarter from date_day) as integer) as calendar_quarter,
    cast(date_trunc('month', date_day) as date) as month_start,
    cast(extract(isoyear from date_day) as integer) as iso_year,
    cast(extract(week from date_day) as integer) as iso_week,
    cast(extract(isoyear from date_day) as varchar)
    || '-W' || lpad(cast(extract(week from date_day) as varchar), 2, '0') as iso_week_label,
    cast(date_trunc('week', date_day) as date) as week_start,
    cast(date_trunc('week', date_day) as date) + 6 as week_end,
    cast(extract(isodow from date_day) as integer) as iso_day_of_week,
    extract(isodow from date_day) >= 6 as is_weekend
from days
