{#- Maturity-aware rates (analyst guide, "Maturity-aware rates"). A cohort is the matches recommended, or the
    projects signed, in one month; its rate of reaching a stage (开工率, 签约/推荐, ...) keeps rising until its
    members have had the usual time to get there, so a recent cohort's low rate says "too early", not "worse".
    A cohort is mature for a stage once the cohort's youngest member (recommended or signed on the month's
    last day) is at least as old, on the build's as-of date, as the usual time to that stage. The usual time
    is measured on mature cohorts, in two steps: a first estimate, the 75th percentile of the days from the
    cohort's event to the stage over every member that has reached it (too short: the young cohorts have
    only their fast members there yet), then the same percentile over the members of the cohorts at least as
    old as that first estimate. Charts count a rate only over the cohorts mature for its stage; the immature
    ones are left out rather than drawn as a fall. A stage nobody has reached yet has no usual time: no
    cohort is mature for it. -#}

{#- The select list of the usual time to each stage: `stage_days` maps an output column to the days from the
    cohort's event to the stage (null for a member that has not reached it), aggregated over every member of every
    cohort. With `first_estimate` (the alias of a relation holding the same columns without it), over the members
    of the cohorts mature by that estimate only, `cohort_month` and `as_of_date` saying how old each member's cohort
    is. -#}
{% macro usual_days_to_stages(stage_days, cohort_month=none, as_of_date=none, first_estimate=none) -%}
    {%- for name, days in stage_days.items() %}
        {%- if first_estimate is not none %}
            {%- set days = 'case when ' ~ is_cohort_mature(cohort_month, as_of_date, first_estimate ~ '.' ~ name)
                ~ ' then ' ~ days ~ ' end' %}
        {%- endif %}
        percentile_cont(0.75) within group (order by {{ days }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Whole days from the last day of `cohort_month` (a month's first day) to `as_of_date`: the age of the
    cohort's youngest possible member. -#}
{% macro cohort_age_days(cohort_month, as_of_date) -%}
    {{ days_between(dbt.dateadd('day', -1, dbt.dateadd('month', 1, cohort_month)), as_of_date) }}
{%- endmacro %}

{#- Whether the cohort of `cohort_month` is mature for a stage whose usual time is `usual_days`. -#}
{% macro is_cohort_mature(cohort_month, as_of_date, usual_days) -%}
    coalesce({{ cohort_age_days(cohort_month, as_of_date) }} >= {{ usual_days }}, false)
{%- endmacro %}
