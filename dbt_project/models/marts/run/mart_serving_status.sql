-- One row: what the warehouse describes, for the banner every dashboard shows. It is built with the marts
-- and published with them (the whole build replaces serving), so the banner follows each publish: the
-- as-of date (the newest logical date of the batches loaded, int_as_of), the latest complete ISO week of
-- mart_weekly_indicators, and which parts of the data are generated, as the marts record it (data_origin).
-- a part is generated when at least one of its rows is (the registry: of its catalogue parks)
with origins as (
    select
        {{ has_generated_rows(ref('fct_enterprise_period')) }} as enterprises_generated,
        {{ has_generated_rows(ref('fct_match')) }}
        or {{ has_generated_rows(ref('fct_investment_project')) }} as crm_generated,
        {{ has_generated_rows(ref('int_alliance_parks')) }} as members_generated,
        {{ has_generated_rows(ref('dim_park'), 'in_catalogue') }} as registry_generated
),

latest_week as (
    select max(iso_week_label) as latest_week_label
    from {{ ref('mart_weekly_indicators') }}
    where is_latest_week
),

parts as (
    select
        origins.*,
        concat_ws(
            '、',
            case when origins.enterprises_generated then '企业报送' end,
            case when origins.crm_generated then 'CRM（投资项目与对接）' end,
            case when origins.members_generated then '会员名单' end,
            case when origins.registry_generated then '园区名录' end
        ) as generated_parts_cn,
        concat_ws(
            ', ',
            case when origins.enterprises_generated then 'enterprise submissions' end,
            case when origins.crm_generated then 'the CRM (projects and matches)' end,
            case when origins.members_generated then 'the member list' end,
            case when origins.registry_generated then 'the park registry' end
        ) as generated_parts_en
    from origins
)

select
    as_of.as_of_date,
    latest_week.latest_week_label,
    parts.enterprises_generated,
    parts.crm_generated,
    parts.members_generated,
    parts.registry_generated,
    case
        when parts.generated_parts_cn = '' then '本仓库不含生成数据。'
        else '演示数据：' || parts.generated_parts_cn || '为程序生成的模拟数据，不代表真实业务。'
    end as data_notice_cn,
    case
        when parts.generated_parts_en = '' then 'This warehouse holds no generated data.'
        else 'Demo data: ' || parts.generated_parts_en || ' are generated, not real.'
    end as data_notice_en
from {{ ref('int_as_of') }} as as_of
cross join latest_week
cross join parts
