{#- The measures of one geography × cluster × year summed over int_enterprise_years rows: R&D
    intensity is taken over the enterprises that report R&D spending (older submission templates do
    not), so that an unreported figure does not read as zero. -#}
{% macro cluster_measures() %}
count(*) as enterprises,
        sum(employees) as employment,
        {{ ordered_sum('revenue_cny') }} as revenue_cny,
        {{ ordered_sum('tax_cny') }} as tax_cny,
        {{ ordered_sum('rnd_cny') }} as rnd_cny,
        {{ ordered_sum('case when rnd_cny is not null then revenue_cny end') }} as rnd_reporting_revenue_cny,
        sum(case when is_high_tech then 1 else 0 end) as high_tech_enterprises
{%- endmacro %}

{#- The cluster indicators of DESIGN.md section 5 for one geography (park or province), as CTEs ending
    in `indicators`. cluster_rows: one row per geo_id × cluster_code × year with cluster_measures()
    (classified enterprises only); geo_totals: geo_id,
    year, employment (every enterprise of the geography). `indicators` adds the location quotient on
    employment, the geography's Herfindahl-Hirschman index across clusters, the tier (strong /
    significant / emerging) and year-over-year growth (has_prior_year: the geography had the cluster the year
    before, else growth is null). -#}
{% macro cluster_indicators(cluster_rows, geo_totals) %}
national as (
    select
        clusters.year,
        clusters.cluster_code,
        sum(clusters.employment) as cluster_employment,
        max(totals.total_employment) as total_employment
    from {{ cluster_rows }} as clusters
    inner join (
        select year, sum(employment) as total_employment from {{ geo_totals }} group by year
    ) as totals
        on clusters.year = totals.year
    group by clusters.year, clusters.cluster_code
),

located as (
    select
        clusters.*,
        geo.employment as geo_employment,
        clusters.employment * 1.0 / nullif(geo.employment, 0) as employment_share,
        (clusters.employment * 1.0 / nullif(geo.employment, 0))
        / nullif(national.cluster_employment * 1.0 / nullif(national.total_employment, 0), 0)
            as location_quotient
    from {{ cluster_rows }} as clusters
    inner join {{ geo_totals }} as geo
        on clusters.geo_id = geo.geo_id and clusters.year = geo.year
    inner join national
        on clusters.year = national.year and clusters.cluster_code = national.cluster_code
),

concentration as (
    select geo_id, year, {{ ordered_sum('employment_share * employment_share') }} as hhi
    from located
    group by geo_id, year
),

thresholds as (
    select
        cluster_code,
        year,
        percentile_cont(0.75) within group (order by location_quotient) as lq_p75,
        percentile_cont(0.5) within group (order by location_quotient) as lq_median,
        percentile_cont(0.25) within group (order by employment) as employment_p25,
        percentile_cont(0.25) within group (order by enterprises) as enterprises_p25
    from located
    group by cluster_code, year
),

indicators as (
    select
        located.geo_id,
        located.cluster_code,
        located.year,
        located.enterprises,
        located.employment,
        located.revenue_cny,
        located.tax_cny,
        located.high_tech_enterprises * 1.0 / nullif(located.enterprises, 0) as high_tech_share,
        located.rnd_cny * 1.0 / nullif(located.rnd_reporting_revenue_cny, 0) as rnd_intensity,
        located.geo_employment,
        located.employment_share,
        located.location_quotient,
        concentration.hhi,
        case
            when located.location_quotient >= thresholds.lq_p75
                and located.location_quotient >= 1
                and located.employment >= thresholds.employment_p25
                and located.enterprises >= thresholds.enterprises_p25
                then 'strong'
            when located.location_quotient > thresholds.lq_median then 'significant'
            else 'emerging'
        end as cluster_tier,
        located.employment * 1.0 / nullif(previous.employment, 0) - 1 as employment_growth,
        located.revenue_cny * 1.0 / nullif(previous.revenue_cny, 0) - 1 as revenue_growth,
        previous.geo_id is not null as has_prior_year
    from located
    inner join concentration
        on located.geo_id = concentration.geo_id and located.year = concentration.year
    inner join thresholds
        on located.cluster_code = thresholds.cluster_code and located.year = thresholds.year
    left join {{ cluster_rows }} as previous
        on located.geo_id = previous.geo_id
        and located.cluster_code = previous.cluster_code
        and located.year = previous.year + 1
)
{% endmacro %}
