-- Yearly average exchange rates of the currencies the CRM converts, 2000 to 2030, from the WDI
-- official exchange rate PA.NUS.FCRF (local currency units per US$, period average) of the economy
-- each currency belongs to (seed currency_economies: EUR -> EMU, USD -> USA, CNY -> CHN, ...).
-- A year without an observation takes the latest earlier observed year (rate_year_used says which;
-- the CNY leg its own, cny_rate_year_used). Contract for the facts: CNY = amount * cny_per_unit,
-- USD = CNY / cny_per_usd.
with years as (
    select cast(year_number as integer) as year
    from generate_series(2000, 2030) as years (year_number)
),

observed as (
    select
        economies.currency_code,
        rates.year,
        rates.value as units_per_usd
    from {{ ref('currency_economies') }} as economies
    inner join {{ ref('stg_world_bank__indicators') }} as rates
        on economies.wdi_economy_code = rates.country_iso3
    where
        rates.indicator_code = 'PA.NUS.FCRF'
        and rates.value > 0
        and rates.year <= 2030
),

latest_observed as (
    select
        observed.currency_code,
        years.year,
        max(observed.year) as rate_year_used
    from years
    inner join observed
        on years.year >= observed.year
    group by observed.currency_code, years.year
),

rates as (
    select
        latest_observed.currency_code,
        latest_observed.year,
        observed.units_per_usd,
        latest_observed.rate_year_used
    from latest_observed
    inner join observed
        on
            latest_observed.currency_code = observed.currency_code
            and latest_observed.rate_year_used = observed.year
),

cny as (
    select
        year,
        units_per_usd as cny_per_usd,
        rate_year_used as cny_rate_year_used
    from rates
    where currency_code = 'CNY'
)

select
    rates.currency_code,
    rates.year,
    rates.units_per_usd,
    cny.cny_per_usd,
    cny.cny_per_usd / rates.units_per_usd as cny_per_unit,
    rates.rate_year_used,
    cny.cny_rate_year_used
from rates
inner join cny
    on rates.year = cny.year
