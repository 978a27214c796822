-- One row per complete ISO week (Asia/Shanghai dates) and weekly indicator of DESIGN.md section 5, for the
-- whole alliance: the sum over every area of mart_weekly_indicators_by_area, which also holds each week's
-- comparisons (the week before, the same ISO week a year before, the years to date). Here they become the
-- week's value, its changes and the year to date against its target (seed weekly_indicator_targets: last
-- year's year to date grown by the target growth), what the weekly report and the dashboard's tiles show.
{#- what is the same in every area of a week and indicator, and the parts that add up over the areas -#}
{%- set week_and_indicator = [
    'iso_week_label',
    'iso_year',
    'iso_week',
    'week_start',
    'week_end',
    'indicator_code',
    'aggregation',
    'target_growth',
    'is_latest_week',
    'in_last_12_weeks',
    'indicator_name_cn',
    'indicator_name_en',
    'unit',
    'higher_is_better',
    'unit_cn',
    'unit_cn_scale',
    'unit_en',
    'unit_en_scale',
    'display_order'
] -%}
{%- set parts = [
    'numerator',
    'denominator',
    'previous_week_numerator',
    'previous_week_denominator',
    'same_week_last_year_numerator',
    'same_week_last_year_denominator',
    'ytd_numerator',
    'ytd_denominator',
    'last_year_ytd_numerator',
    'last_year_ytd_denominator'
] -%}
{%- set sums = [] -%}
{%- for part in parts -%}
{%- do sums.append(exact_sum(part) ~ " as " ~ part) -%}
{%- endfor %}

with summed as (
    select
        {{ week_and_indicator | join(',\n        ') }},
        {{ sums | join(',\n        ') }}
    from {{ ref('mart_weekly_indicators_by_area') }}
    group by {{ week_and_indicator | join(', ') }}
),

valued as (
    select
        summed.*,
        {{ weekly_value('aggregation', 'numerator', 'denominator') }} as value,
        {{ weekly_value('aggregation', 'previous_week_numerator', 'previous_week_denominator') }}
            as previous_week_value,
        {{ weekly_value('aggregation', 'same_week_last_year_numerator', 'same_week_last_year_denominator') }}
            as same_week_last_year_value,
        {{ weekly_value('aggregation', 'ytd_numerator', 'ytd_denominator') }} as year_to_date,
        {{ weekly_value('aggregation', 'last_year_ytd_numerator', 'last_year_ytd_denominator') }}
            as last_year_to_date
    from summed
)

select
    iso_week_label,
    iso_year,
    iso_week,
    week_start,
    week_end,
    indicator_code,
    aggregation,
    value,
    previous_week_value,
    same_week_last_year_value,
    year_to_date,
    last_year_to_date,
    last_year_to_date * (1 + target_growth) as year_to_date_target,
    value / nullif(previous_week_value, 0) - 1 as week_over_week_change,
    value / nullif(same_week_last_year_value, 0) - 1 as year_over_year_change,
    year_to_date / nullif(last_year_to_date * (1 + target_growth), 0) as year_to_date_vs_target,
    -- the dashboard's "this week" and "12-week trend" (the latest complete week and the 11 before it)
    is_latest_week,
    in_last_12_weeks,
    -- the indicator's names and units (seed weekly_indicator_targets), what the dashboard labels it with, and
    -- the week's value in the Chinese unit (亿元 for yuan)
    indicator_name_cn,
    indicator_name_en,
    unit,
    higher_is_better,
    unit_cn,
    value / unit_cn_scale as value_in_unit_cn,
    -- and in the English unit (bn yuan for yuan), for the dashboard's English version
    unit_en,
    value / unit_en_scale as value_in_unit_en,
    display_order
from valued
