{#- One row per investment project of the alliance CRM, in its current version: where it comes from
    and goes to, its cluster and sourcing committee, the contracted amount in its currency and
    converted to CNY and USD, paid-in funds (到位资金) and the stage dates with the delays between them.

    Conversion (the contract of int_fx_rates_yearly): the yearly average rate of the signing year, or
    of the intention year for a project not signed yet; CNY = amount x cny_per_unit, USD = CNY /
    cny_per_usd. An amount in CNY is its own CNY amount, one in USD its own USD amount (exact). Without
    WDI rates (a run without PARK_REFERENCE_DIR) the conversions that need a rate are null.

    Paid-in arrives from the CRM in the contract's currency and converts at the SAME rate as the
    contract, so paid-in / contracted is the same in yuan as in the contract's currency and a fully
    paid contract reads exactly 100 % (converting each at a different rate made some read above). -#}

with projects as (
    select
        *,
        cast(extract(year from coalesce(signed_date, intention_date)) as integer) as fx_year
    from {{ ref('int_crm__projects_current') }}
),

converted as (
    select
        projects.*,
        fx.rate_year_used as fx_rate_year_used,
        case when projects.currency = 'CNY' then 1.0 else fx.cny_per_unit end as cny_per_unit,
        fx.cny_per_usd
    from projects
    left join {{ ref('int_fx_rates_yearly') }} as fx
        on projects.currency = fx.currency_code and projects.fx_year = fx.year
)

select
    projects.project_id,
    projects.project_name,
    projects.investor_name,
    projects.park_code,
    parks.park_id,
    projects.direction,
    projects.origin_country_iso3,
    projects.origin_province_adcode,
    projects.destination_country_iso3,
    projects.cluster_code,
    projects.committee,
    projects.currency,
    projects.contracted_amount,
    projects.fx_year,
    projects.fx_rate_year_used,
    projects.cny_per_unit,
    cast(projects.contracted_amount as double precision) * projects.cny_per_unit as contracted_cny,
    case
        when projects.currency = 'USD' then cast(projects.contracted_amount as double precision)
        else cast(projects.contracted_amount as double precision) * projects.cny_per_unit / projects.cny_per_usd
    end as contracted_usd,
    projects.paid_in_amount,
    cast(projects.paid_in_amount as double precision) * projects.cny_per_unit as paid_in_cny,
    projects.intention_date,
    projects.signed_date,
    projects.construction_started_date,
    projects.in_production_date,
    cast(date_trunc('month', projects.signed_date) as date) as signed_month,
    projects.signed_date is not null as is_signed,
    projects.construction_started_date is not null as is_construction_started,
    projects.in_production_date is not null as is_in_production,
    {{ days_between('projects.signed_date', 'projects.construction_started_date') }} as days_signed_to_started,
    {{ days_between('projects.construction_started_date', 'projects.in_production_date') }}
        as days_started_to_producing,
    projects.status,
    projects.data_origin,
    projects.created_at,
    projects.updated_at,
    projects.batch_id
from converted as projects
left join {{ ref('int_crm__park_codes') }} as parks
    on projects.park_code = parks.park_code
